// End-to-end process faults: the real faultline binary brings up HAProxy +
// 2 nginx (health checks every 500 ms, fall 2, rise 1), drives load, and
// kills, freezes, CPU-limits or memory-limits one service. Each test reads
// the measured effect from journal.json, checks that the after-revert phase
// is back to the steady state, and that nothing of the run is left: no
// namespace, link, process or control group (also after SIGINT mid-fault,
// and after SIGKILL once `faultline cleanup` has run).

#include <algorithm>
#include <catch2/catch.hpp>

#include "harness/platform/process.h"
#include "journal_helpers.h"
#include "tests/faults/fault_test_support.h"
#include "tests/skip.h"

using namespace faultline::testing;

namespace {

// Runs faults/process_<name>.yaml to completion (each meets its expectation)
// into test-output/process/<name>; returns its journal.
json run_process_fault(const std::string& name) {
  const std::string out = fresh_out_dir("process/" + name);
  INFO("reports and log in " << out);
  return run_to_journal(fault_experiment("process_" + name), out);
}

// The first control group of a run ("" if none): the one its fault made.
std::string first_cgroup(const std::string& run_id) {
  const std::string dirs = run_cgroups(run_id);
  return dirs.substr(0, dirs.find('\n'));
}

// The after-revert phase is back to the steady state: no errors, and once
// the health checks have let a restarted or thawed server back in (rise 1,
// every 500 ms: within a second of the revert), both servers share the
// traffic evenly again.
void check_back_to_steady_state(const json& j) {
  const auto& before = journal_phase(j, "baseline");
  const auto& after = journal_phase(j, "recovery");
  INFO("baseline: " << before.dump() << "\nafter revert: " << after.dump());
  CHECK(backend_share(before["backends"], "web1") == Approx(0.5).margin(0.05));
  CHECK(after["error_rate"].get<double>() < 0.01);
  const WindowSum settled = windows_between(j, j["activities"][0]["reverted_s"].get<double>() + 1.0, 1e9);
  REQUIRE(settled.requests > 0);
  CHECK(count_of(settled.backends, "web1") / settled.requests == Approx(0.5).margin(0.05));
  CHECK(settled.errors == 0);
}

// The CPU quota in force in the run's first control group: cpu.max on
// cgroup v2, cpu.cfs_quota_us on v1 ("" without a group).
std::string cpu_limit_in_force(const std::string& run_id) {
  const std::string group = first_cgroup(run_id);
  if (run_id.empty() || group.empty()) {
    return "";
  }
  return std::filesystem::exists(group + "/cpu.max") ? read_file(group + "/cpu.max")
                                                     : read_file(group + "/cpu.cfs_quota_us");
}

// A pure cgroup v2 machine (the unified hierarchy mounted at the usual place).
bool cgroup_v2_host() {
  return std::filesystem::exists("/sys/fs/cgroup/cgroup.controllers");
}

// What process_cpu_limit.yaml (cpus: 0.05) writes there: 5 ms per 100 ms.
std::string expected_cpu_limit() {
  return cgroup_v2_host() ? "5000 100000\n" : "5000\n";
}

}  // namespace

TEST_CASE("a killed backend is marked down, traffic moves to the other, and it is back after the restart",
          "[integration][process]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces and cgroups (CI runs as root)");
  }
  const json j = run_process_fault("kill");  // expect: breach (the balance objective), and it was met

  const double injected = j["activities"][0]["injected_s"].get<double>();
  const double reverted = j["activities"][0]["reverted_s"].get<double>();
  CHECK(injected == Approx(3.0).margin(0.2));
  // Revert restarts nginx and waits until it answers: on the host within
  // 0.5 s; in user-mode Linux, where a fork and exec alone takes 0.1 s,
  // 0.6 s was seen.
  CHECK(reverted == Approx(6.0).margin(in_uml_guest() ? 1.5 : 0.5));

  const auto& fault = journal_phase(j, "fault");
  INFO("fault phase: " << fault.dump());
  // The requests sent to web1 before the health checks notice fail...
  CHECK(fault["errors"].get<double>() > 0);
  // ...then web1 is out of the pool: nothing reaches it and nothing fails.
  const WindowSum late = windows_between(j, injected + 1.45, reverted);
  INFO("windows from inject + 1.5 s to revert: requests " << late.requests << ", errors " << late.errors
                                                          << ", web1 " << count_of(late.backends, "web1"));
  CHECK(late.requests >= 500);  // 3 windows of 200
  CHECK(count_of(late.backends, "web1") == 0);
  CHECK(late.errors <= 0.005 * late.requests);

  check_back_to_steady_state(j);
  CHECK(leftovers(j["run_id"].get<std::string>()).empty());
}

TEST_CASE("a frozen backend stalls its requests until it is marked down, and recovers after SIGCONT",
          "[integration][process]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces and cgroups (CI runs as root)");
  }
  const json j = run_process_fault("pause");  // expect: breach of p(99) < 250ms

  const double injected = j["activities"][0]["injected_s"].get<double>();
  const double reverted = j["activities"][0]["reverted_s"].get<double>();
  const auto& before = journal_phase(j, "baseline");
  const auto& fault = journal_phase(j, "fault");
  INFO("baseline: " << before.dump() << "\nfault: " << fault.dump());
  // Requests that went to the frozen server wait: p99 of the fault phase is
  // far above the baseline's.
  CHECK(fault["p99_ms"].get<double>() > 250);
  CHECK(fault["p99_ms"].get<double>() > 10 * before["p99_ms"].get<double>());
  // Once marked down (2 failed checks), web1 answers nothing more.
  const WindowSum late = windows_between(j, injected + 1.95, reverted);
  CHECK(late.requests >= 300);  // 2 windows of 200
  CHECK(count_of(late.backends, "web1") == 0);

  check_back_to_steady_state(j);
  // The tail of the after-revert phase is as fast as the baseline.
  const WindowSum tail = windows_between(j, reverted + 2.0, 1e9);
  CHECK(tail.requests > 300);
  CHECK(tail.worst_p99_ms < std::max(50.0, 5 * before["p99_ms"].get<double>()));
  CHECK(leftovers(j["run_id"].get<std::string>()).empty());
}

TEST_CASE("a load balancer held to 0.02 CPU answers slowly, and fast again once the limit is lifted",
          "[integration][process]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces and cgroups (CI runs as root)");
  }
  if (in_uml_guest()) {
    // Measured there: at 200/s no throttling at all (the group's cpu.stat
    // showed usage_usec 0 and nr_throttled 0 after 2.5 s of load), at 150/s
    // p99 137 ms. UML charges CPU time by timer tick on its one virtual CPU,
    // so CFS bandwidth control there says nothing about a real kernel's.
    // That the limit is in force on cgroup v2 is the next test's.
    FAULTLINE_SKIP_KERNEL(
        "CFS bandwidth throttling as a real kernel does it (user-mode Linux accounts CPU "
        "time per tick)");
  }
  // expect: breach of p(99) < 50ms
  const json j = run_to_journal(fault_experiment("process_cpu_limit_starved"),
                                fresh_out_dir("process/cpu_limit_starved"));

  const double reverted = j["activities"][0]["reverted_s"].get<double>();
  const auto& before = journal_phase(j, "baseline");
  const auto& fault = journal_phase(j, "fault");
  INFO("baseline: " << before.dump() << "\nfault: " << fault.dump());
  // HAProxy gets 2 ms of CPU per 100 ms and needs about 7 ms for 1000
  // requests/s here (its CPU time measured over 1.5 s of the baseline): every
  // period spends its quota and the requests after it wait, a backlog
  // growing for the fault's 1 s. Measured over the phase: p99 815 to 844 ms,
  // p50 267 to 354 ms (against 0.4 and 0.17 ms before), no errors. At 0.05
  // CPU the same machine was throttled in some runs and not in one (p99
  // 21.5 ms): HAProxy's need was too close to the quota.
  CHECK(fault["p99_ms"].get<double>() > 50);
  CHECK(fault["p99_ms"].get<double>() > 5 * before["p99_ms"].get<double>());
  CHECK(fault["p50_ms"].get<double>() >= before["p50_ms"].get<double>());
  const WindowSum during =
      windows_between(j, j["activities"][0]["injected_s"].get<double>() - 0.01, reverted);
  CHECK(during.errors == 0);

  check_back_to_steady_state(j);
  const WindowSum tail = windows_between(j, reverted + 2.0, 1e9);
  CHECK(tail.requests > 1000);
  CHECK(tail.worst_p99_ms < std::max(50.0, 5 * before["p99_ms"].get<double>()));
  CHECK(leftovers(j["run_id"].get<std::string>()).empty());
}

TEST_CASE(
    "cpu_limit puts every process of its target in a group with the quota of the machine's cgroup version",
    "[integration][process]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces and cgroups (CI runs as root)");
  }
  const std::string out = fresh_out_dir("process/cpu_limit_path");
  INFO("reports and log in " << out);
  // 200/s: a load the guest's one virtual CPU carries (at 1000/s it falls
  // behind its schedule there, and the run proves nothing).
  const pid_t pid = start_run(fault_experiment("process_cpu_limit"), out, {"--set", "load.rate=200/s"});
  CHECK(wait_for_fault_in_force(out + "/faultline.log"));
  const std::string run_id = run_id_from_log(out + "/faultline.log");
  const std::string group = first_cgroup(run_id);
  const std::string limit = cpu_limit_in_force(run_id);
  const std::string members = group.empty() ? "" : read_file(group + "/cgroup.procs");
  // Every process in lb's namespace: HAProxy's master and worker.
  const std::string in_netns = shell("ip netns pids fl-" + run_id + "-lb 2>/dev/null | sort -n");
  const int code = wait_for(pid, std::chrono::seconds(60));
  INFO("log:\n" << read_file(out + "/faultline.log"));
  REQUIRE_FALSE(run_id.empty());
  INFO("group " << group << ": " << members);
  CHECK(limit == expected_cpu_limit());
  CHECK_FALSE(in_netns.empty());
  CHECK(shell("printf '%s' '" + members + "' | sort -n") == in_netns);
  // A breach or none: the effect is the test above's.
  CHECK((code == 0 || code == 1 || guest_late_sends_only(out, false)));
  const json j = json::parse(read_file(out + "/journal.json"));
  // The journal names the path the fault took.
  const std::string path = j["activities"][0]["kernel_path"].get<std::string>();
  CHECK(path.find(cgroup_v2_host() ? "cgroup v2 (cpu.max of " : "cgroup v1 (cpu.cfs_quota_us of ") == 0);
  CHECK(path.find("faultline-" + run_id + "-lb") != std::string::npos);
  CHECK(run_cgroups(run_id).empty());
  CHECK(leftovers(run_id).empty());
}

TEST_CASE("a memory cap is in force on every nginx process while the server keeps serving",
          "[integration][process]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces and cgroups (CI runs as root)");
  }
  // nginx serving small static answers needs a few MiB, so the cap shows no
  // effect through load; the test checks that the limit is in force on all
  // of web1's processes and that web1 keeps its share without errors.
  const std::string out = fresh_out_dir("process/memory_limit");
  INFO("reports and log in " << out);
  const pid_t pid = start_run(fault_experiment("process_memory_limit"), out);
  CHECK(wait_for_fault_in_force(out + "/faultline.log"));
  const std::string run_id = run_id_from_log(out + "/faultline.log");
  const std::string group = first_cgroup(run_id);
  std::string limit;
  std::string members;
  std::string member_names;
  if (!run_id.empty() && !group.empty()) {
    limit = read_file(group + "/memory.limit_in_bytes") + read_file(group + "/memory.max");
    members = read_file(group + "/cgroup.procs");
    member_names = shell("for p in $(cat " + group + "/cgroup.procs); do cat /proc/$p/comm; done | sort -u");
  }
  const int code = wait_for(pid, std::chrono::seconds(60));
  INFO("log:\n" << read_file(out + "/faultline.log"));
  REQUIRE_FALSE(run_id.empty());
  INFO("group: " << group << "\nmembers: " << members);
  CHECK(limit == "67108864\n");
  // Master + workers (nginx runs at least one worker).
  CHECK(std::count(members.begin(), members.end(), '\n') >= 2);
  CHECK(member_names == "nginx\n");
  CHECK((code == 0 || guest_late_sends_only(out)));  // expect: hold, error_rate < 1%

  const json j = json::parse(read_file(out + "/journal.json"));
  const auto& fault = journal_phase(j, "fault");
  INFO("fault: " << fault.dump());
  CHECK(backend_share(fault["backends"], "web1") == Approx(0.5).margin(0.1));
  CHECK(fault["error_rate"].get<double>() < 0.01);
  check_back_to_steady_state(j);
  CHECK(leftovers(run_id).empty());
}

TEST_CASE("a run interrupted mid-fault thaws or frees its target and leaves nothing behind",
          "[integration][process][signals]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces and cgroups (CI runs as root)");
  }
  const std::string name = GENERATE(std::string("process_pause"), std::string("process_cpu_limit"));
  const int sig = GENERATE(SIGINT, SIGTERM);
  const std::string out = fresh_out_dir("process/" + name + (sig == SIGINT ? "_sigint" : "_sigterm"));
  INFO("reports and log in " << out);
  const pid_t pid = start_run(fault_experiment(name), out);
  CHECK(wait_for_fault_in_force(out + "/faultline.log"));
  const std::string run_id = run_id_from_log(out + "/faultline.log");
  std::string in_force;
  if (name == "process_pause") {
    // Every process of web1's namespace is stopped (state T).
    in_force = shell("for p in $(ip netns pids fl-" + run_id +
                     "-web1 2>/dev/null); do awk '{print $3}' /proc/$p/stat; done | sort -u");
  } else {
    in_force = cpu_limit_in_force(run_id);
  }
  stop_run(pid, out, sig);
  REQUIRE_FALSE(run_id.empty());
  CHECK(in_force == (name == "process_pause" ? "T\n" : expected_cpu_limit()));
  CHECK(leftovers(run_id).empty());
}

TEST_CASE("after a SIGKILL mid-fault, faultline cleanup removes the run's control group",
          "[integration][process][signals]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces and cgroups (CI runs as root)");
  }
  const std::string out = fresh_out_dir("process/cpu_limit_sigkill");
  INFO("reports and log in " << out);
  const pid_t pid = start_run(fault_experiment("process_cpu_limit"), out);
  CHECK(wait_for_fault_in_force(out + "/faultline.log"));
  const std::string run_id = run_id_from_log(out + "/faultline.log");
  kill(pid, SIGKILL);
  wait_for(pid, std::chrono::seconds(10));
  REQUIRE_FALSE(run_id.empty());
  // Nothing reverted it: the group outlives the run...
  CHECK_FALSE(run_cgroups(run_id).empty());
  const int code = run({FAULTLINE_BINARY, "cleanup"}, out + "/cleanup.log");
  const std::string log = read_file(out + "/cleanup.log");
  INFO("cleanup:\n" << log);
  CHECK(code == 0);
  CHECK(log.find("cgroup") != std::string::npos);
  // ...until cleanup removes it with the rest.
  CHECK(leftovers(run_id).empty());
}

TEST_CASE("a memory cap below what a process needs gets it OOM-killed, and the fault counts the kill",
          "[integration][process][oom]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for cgroups (CI runs as root)");
  }
  const std::string out = fresh_out_dir("process/memory_limit_oom");
  // A server that only grows: tail keeps the one endless line of /dev/zero
  // in memory. It starts growing 1 s after its start, once the cap below is
  // in force; `ulimit -v` bounds it to 1 GiB of address space should the
  // cap not be, so the test cannot eat the machine.
  faultline::platform::ProcessSpec spec;
  spec.executable = "/bin/sh";
  spec.args = {"-c", "ulimit -v 1048576; sleep 1; exec tail /dev/zero"};
  spec.stdout_path = out + "/hog.out";
  spec.stderr_path = out + "/hog.err";
  auto hog = faultline::platform::start_process(spec);
  REQUIRE(hog.ok());
  const pid_t pid = (*hog)->pid();

  faultline::faults::testing::BoundMethod bound(
      "  - { at: 0s, fault: memory_limit, target: web1, params: { limit: 16MiB } }\n");
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 1);
  faultline::faults::testing::FakeStack stack;
  stack.id_.run_id = fmt::format("{:06x}", ::getpid() & 0xffffff);
  stack.add_service("web1", pid, *hog);
  auto& fault = *bound.faults[0].fault;
  REQUIRE(fault.inject(stack).ok());
  const std::string group = first_cgroup(stack.id_.run_id);
  const std::string limit =
      group.empty() ? "" : read_file(group + "/memory.max") + read_file(group + "/memory.limit_in_bytes");

  // The kernel ends it with SIGKILL once it passes the cap (v2: memory.max,
  // and as much swap again; v1: memory.limit_in_bytes, on a host without
  // swap as CI's and the guest's).
  int status = 0;
  pid_t reaped = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while ((reaped = ::waitpid(pid, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (reaped == 0) {
    (void)(*hog)->signal(SIGKILL, faultline::platform::SignalScope::group);
    ::waitpid(pid, &status, 0);
  }
  REQUIRE(fault.revert(stack).ok());
  INFO("group " << group << ", hog's stderr: " << read_file(out + "/hog.err"));
  CHECK(limit == "16777216\n");
  REQUIRE(reaped == pid);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  // The fault read the group's oom_kill counter before removing it.
  const std::string told = fault.describe();
  INFO(told);
  CHECK(told.find("; the kernel's OOM killer ended 1 of its processes under the cap") != std::string::npos);
  CHECK(run_cgroups(stack.id_.run_id).empty());
}
