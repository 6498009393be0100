// End-to-end process faults on `runtime: docker`: the real faultline binary
// runs HAProxy + 2 nginx as containers of the faultline-test images, and
// kills, pauses, CPU-limits or memory-limits one of them. Each test reads
// from journal.json that the fault was in force (its measured effect and
// the mechanism the stack took) and reverted, checks a limit in the
// container's own cgroup while the run goes on and after it, and that the
// run left nothing: no container or network with its label, no namespace,
// link, process, folder or control group.
//
// Needs root and a Docker daemon with the test images
// (scripts/dockerd.sh start; scripts/test-images.sh): without them the
// tests are skipped visibly, except in CI, where that is a failure.

#include <catch2/catch.hpp>

#include "harness/platform/cgroup.h"
#include "harness/platform/docker_api.h"
#include "journal_helpers.h"
#include "tests/skip.h"

using namespace faultline::testing;

namespace {

const char* const kImages[] = {"faultline-test/haproxy:bookworm", "faultline-test/nginx:bookworm"};

// Why these tests cannot run here, or "".
std::string missing_docker() {
  if (!is_root()) {
    return "needs root for runtime docker (CI runs as root)";
  }
  const faultline::platform::DockerApi api;
  if (auto st = api.ping(); !st) {
    return "no Docker daemon answers on /var/run/docker.sock (scripts/dockerd.sh start): " +
           st.error().describe();
  }
  for (const char* image : kImages) {
    auto there = api.image_exists(image);
    if (!there || !*there) {
      return std::string("image ") + image + " is missing (scripts/test-images.sh builds it)";
    }
  }
  return "";
}

std::string docker_experiment(const std::string& name) {
  return std::string(FAULTLINE_TEST_DATA) + "/experiments/docker/process_" + name + ".yaml";
}

// What the daemon still has of the run: containers and networks carrying
// its label, one line each ("" when none).
std::string docker_leftovers(const std::string& run_id) {
  const faultline::platform::DockerApi api;
  const std::vector<std::string> label = {"org.faultline.run=" + run_id};
  std::string left;
  if (auto listed = api.list_containers(label)) {
    for (const auto& c : *listed) {
      left += "container " + c.id + " (" + c.state + ")\n";
    }
  } else {
    left += listed.error().describe() + "\n";
  }
  if (auto listed = api.list_networks(label)) {
    for (const auto& n : *listed) {
      left += "network " + n.name + "\n";
    }
  } else {
    left += listed.error().describe() + "\n";
  }
  return left;
}

void check_nothing_left(const std::string& run_id) {
  CHECK(docker_leftovers(run_id).empty());
  CHECK(leftovers(run_id).empty());
}

// The directory of a service's container group for `controller`, read
// while the run is up ("" when the container is not there).
std::string container_group(const std::string& run_id, const std::string& service,
                            const std::string& controller) {
  const faultline::platform::DockerApi api;
  auto info = api.inspect("faultline-" + run_id + "-" + service);
  if (!info || info->state.pid <= 0) {
    return "";
  }
  auto group = faultline::platform::cgroup_of_process(info->state.pid, controller);
  return group ? group->dir : "";
}

std::string trimmed(std::string text) {
  while (!text.empty() && text.back() == '\n') {
    text.pop_back();
  }
  return text;
}

const json& first_activity(const json& j) {
  REQUIRE(j["activities"].size() == 1);
  return j["activities"][0];
}

// After the revert both backends share the traffic again without errors
// (rise 1, checks every 500 ms: within a second of the revert).
void check_back_to_steady_state(const json& j) {
  const WindowSum settled = windows_between(j, first_activity(j)["reverted_s"].get<double>() + 1.5, 1e9);
  INFO("after revert + 1.5 s: requests " << settled.requests << ", errors " << settled.errors << ", web1 "
                                         << count_of(settled.backends, "web1"));
  REQUIRE(settled.requests > 0);
  CHECK(count_of(settled.backends, "web1") / settled.requests == Approx(0.5).margin(0.1));
  CHECK(settled.errors == 0);
}

}  // namespace

TEST_CASE("docker: a killed backend container is marked down and is back after the Engine API starts it",
          "[integration][docker-runtime]") {
  if (const std::string why = missing_docker(); !why.empty()) {
    FAULTLINE_SKIP(why);
  }
  const std::string out = fresh_out_dir("docker_process/kill");
  const json j = run_to_journal(docker_experiment("kill"), out);  // expect: breach of the balance
  const std::string run_id = j["run_id"].get<std::string>();
  const json& a = first_activity(j);
  INFO(a.dump());
  CHECK(a["mechanism"] ==
        "Engine API kill SIGKILL of container faultline-" + run_id + "-web1, started again on revert");
  const double injected = a["injected_s"].get<double>();
  const double reverted = a["reverted_s"].get<double>();
  // Revert starts the container and waits until it answers.
  CHECK(reverted >= injected + 3.0);
  CHECK(reverted < injected + 8.0);
  // Once the health checks have marked it down, web1 gets nothing.
  const WindowSum late = windows_between(j, injected + 1.45, injected + 3.0);
  INFO("windows from inject + 1.5 s to + 3 s: requests " << late.requests << ", web1 "
                                                         << count_of(late.backends, "web1"));
  CHECK(late.requests >= 300);
  CHECK(count_of(late.backends, "web1") == 0);
  check_back_to_steady_state(j);
  check_nothing_left(run_id);
}

TEST_CASE("docker: a paused backend container stalls its requests, and serves again once unpaused",
          "[integration][docker-runtime]") {
  if (const std::string why = missing_docker(); !why.empty()) {
    FAULTLINE_SKIP(why);
  }
  const std::string out = fresh_out_dir("docker_process/pause");
  const pid_t pid = start_run(docker_experiment("pause"), out);
  CHECK(wait_for_fault_in_force(out + "/faultline.log"));
  const std::string run_id = run_id_from_log(out + "/faultline.log");
  std::string status;
  if (!run_id.empty()) {
    auto info = faultline::platform::DockerApi().inspect("faultline-" + run_id + "-web1");
    status = info ? info->state.status : info.error().describe();
  }
  const int code = wait_for(pid, std::chrono::seconds(90));
  INFO("log:\n" << read_file(out + "/faultline.log"));
  REQUIRE_FALSE(run_id.empty());
  CHECK(status == "paused");
  CHECK(code == 0);  // expect: breach of p(99) < 250ms

  const json j = json::parse(read_file(out + "/journal.json"));
  const json& a = first_activity(j);
  INFO(a.dump());
  CHECK(a["status"] == "reverted");
  CHECK(a["mechanism"] == "Engine API pause of container faultline-" + run_id +
                              "-web1 (the freezer cgroup), unpause on revert");
  const auto& before = journal_phase(j, "baseline");
  const auto& fault = journal_phase(j, "fault");
  INFO("baseline: " << before.dump() << "\nfault: " << fault.dump());
  // Requests that went to the frozen container waited until the load's 2 s
  // timeout: p99 of the fault phase is far above the baseline's (measured
  // here: 2010 ms against 400 ms with a build running beside it).
  CHECK(fault["p99_ms"].get<double>() > 250);
  CHECK(fault["p99_ms"].get<double>() > 3 * before["p99_ms"].get<double>());
  check_back_to_steady_state(j);
  check_nothing_left(run_id);
}

TEST_CASE(
    "docker: a load balancer container held to 0.02 CPU in its own cgroup answers slowly, and the "
    "original quota is back after",
    "[integration][docker-runtime]") {
  if (const std::string why = missing_docker(); !why.empty()) {
    FAULTLINE_SKIP(why);
  }
  const std::string out = fresh_out_dir("docker_process/cpu_limit");
  const pid_t pid = start_run(docker_experiment("cpu_limit"), out);
  // The fault lasts 1 s: look into it at once.
  CHECK(wait_for_fault_in_force(out + "/faultline.log", std::chrono::milliseconds(200)));
  const std::string run_id = run_id_from_log(out + "/faultline.log");
  const std::string group = run_id.empty() ? "" : container_group(run_id, "lb", "cpu");
  const bool v2 = std::filesystem::exists(group + "/cpu.max");
  const std::string file = group + (v2 ? "/cpu.max" : "/cpu.cfs_quota_us");
  const std::string during = group.empty() ? "" : trimmed(read_file(file));
  const std::string record = read_file("/run/faultline/" + run_id + "/lb/cgroup-originals.cpu");
  // After the revert, while the run still goes on.
  const bool reverted = wait_for_text(out + "/faultline.log", "reverted ", std::chrono::seconds(15));
  const std::string after = group.empty() ? "" : trimmed(read_file(file));
  const int code = wait_for(pid, std::chrono::seconds(90));
  INFO("log:\n" << read_file(out + "/faultline.log"));
  REQUIRE_FALSE(run_id.empty());
  REQUIRE_FALSE(group.empty());
  INFO("group " << group);
  CHECK(during == (v2 ? "2000 100000" : "2000"));
  CHECK(reverted);
  CHECK(after == (v2 ? "max 100000" : "-1"));
  // The originals were kept in the run folder while they were changed.
  CHECK(record.find(file + "\t" + after) != std::string::npos);
  CHECK(code == 0);  // expect: breach of p(99) < 50ms

  const json j = json::parse(read_file(out + "/journal.json"));
  const json& a = first_activity(j);
  INFO(a.dump());
  CHECK(a["status"] == "reverted");
  const std::string mechanism = a["mechanism"].get<std::string>();
  CHECK(mechanism.find(std::string(v2 ? "cgroup v2 (cpu.max of " : "cgroup v1 (cpu.cfs_quota_us of ") +
                       group + ", container faultline-" + run_id + "-lb's own group)") == 0);
  CHECK(mechanism.find("the originals written back on revert") != std::string::npos);
  const auto& before = journal_phase(j, "baseline");
  const auto& fault = journal_phase(j, "fault");
  INFO("baseline: " << before.dump() << "\nfault: " << fault.dump());
  CHECK(fault["p99_ms"].get<double>() > 50);
  CHECK(fault["p99_ms"].get<double>() > 5 * before["p99_ms"].get<double>());
  check_back_to_steady_state(j);
  check_nothing_left(run_id);
}

TEST_CASE("docker: a memory cap is in force in the container's own cgroup and the original is back after",
          "[integration][docker-runtime]") {
  if (const std::string why = missing_docker(); !why.empty()) {
    FAULTLINE_SKIP(why);
  }
  const std::string out = fresh_out_dir("docker_process/memory_limit");
  const pid_t pid = start_run(docker_experiment("memory_limit"), out);
  CHECK(wait_for_fault_in_force(out + "/faultline.log"));
  const std::string run_id = run_id_from_log(out + "/faultline.log");
  const std::string group = run_id.empty() ? "" : container_group(run_id, "web1", "memory");
  const bool v2 = std::filesystem::exists(group + "/memory.max");
  const std::string file = group + (v2 ? "/memory.max" : "/memory.limit_in_bytes");
  const std::string during = group.empty() ? "" : trimmed(read_file(file));
  const std::string record = read_file("/run/faultline/" + run_id + "/web1/cgroup-originals.memory");
  const bool reverted = wait_for_text(out + "/faultline.log", "reverted ", std::chrono::seconds(15));
  const std::string after = group.empty() ? "" : trimmed(read_file(file));
  const int code = wait_for(pid, std::chrono::seconds(90));
  INFO("log:\n" << read_file(out + "/faultline.log"));
  REQUIRE_FALSE(run_id.empty());
  REQUIRE_FALSE(group.empty());
  INFO("group " << group << ", record " << record);
  CHECK(during == "67108864");
  // The original, as the kernel showed it before the fault, is back.
  CHECK(reverted);
  CHECK(after != "67108864");
  CHECK(record == file + "\t" + after + "\n");
  CHECK(code == 0);  // expect: hold, error_rate < 1%

  const json j = json::parse(read_file(out + "/journal.json"));
  const json& a = first_activity(j);
  INFO(a.dump());
  CHECK(a["status"] == "reverted");
  const std::string mechanism = a["mechanism"].get<std::string>();
  CHECK(mechanism.find("container faultline-" + run_id + "-web1's own group): 67108864 written to ") !=
        std::string::npos);
  // memory_limit read the container group's OOM counter before and after.
  CHECK(a["description"].get<std::string>().find("no process was OOM-killed under the cap") !=
        std::string::npos);
  const auto& fault = journal_phase(j, "fault");
  INFO("fault: " << fault.dump());
  CHECK(backend_share(fault["backends"], "web1") == Approx(0.5).margin(0.1));
  CHECK(fault["error_rate"].get<double>() < 0.01);
  check_back_to_steady_state(j);
  check_nothing_left(run_id);
}
