// runtime compose after a SIGKILL: faultline is killed while a method
// holds several faults in force on an attached project (HAProxy weight and
// maintenance through its runtime API, an nft loss table on web1, a
// latency, a CPU limit and a pause on web2), and `faultline cleanup` must
// leave every container exactly as the run found it: `docker inspect`,
// each container's nft ruleset and qdiscs, its cgroup limits, the config's
// bytes, HAProxy's servers' weights and states, all running and none
// paused. The test project has no nginx load balancer, whose config a
// fault would edit, so the config and kill records are left by a stack the
// test abandons instead (its teardown never runs, as after a SIGKILL). The
// project is taken down at the end whatever happened, after a cleanup of
// the run if the test stopped half way.

#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <string>

#include "compose_project.h"
#include "harness/common/scratch_dir.h"
#include "harness/platform/cgroup.h"
#include "harness/platform/container_files.h"
#include "harness/platform/haproxy_runtime_api.h"
#include "harness/stack/cleanup.h"
#include "harness/stack/run_registry.h"
#include "harness/stack/runtime.h"
#include "journal_helpers.h"
#include "tests/skip.h"

using namespace faultline::testing;

namespace {

constexpr int kFaults = 6;

std::string write_experiment(const std::string& dir, const std::string& project) {
  const std::string path = dir + "/killed.yaml";
  std::ofstream(path)
      << "version: 1\n"
         "title: Integration - killed with faults in force on an attached project\n"
         "stack:\n"
         "  runtime: compose\n"
         "  project: "
      << project
      << "\n"
         "  services:\n"
         "    lb: { kind: haproxy, backends: [web1, web2] }\n"
         "    web1: { kind: nginx }\n"
         "    web2: { kind: nginx }\n"
         "load: { target: lb, rate: 50/s, connections: 4, timeout: 1s, duration: 60s }\n"
         "method:\n"
         "  - { at: 1s, fault: lb_weight, target: lb, params: { server: web1, weight: 7 }, duration: 50s }\n"
         "  - { at: 1s, fault: lb_maintenance, target: lb, params: { server: web2 }, duration: 50s }\n"
         "  - { at: 1s, fault: loss, target: web1, params: { percent: 1% }, duration: 50s }\n"
         "  - { at: 1s, fault: latency, target: web2, params: { delay: 20ms }, duration: 50s }\n"
         "  - { at: 1s, fault: cpu_limit, target: web2, params: { cpus: 0.5 }, duration: 50s }\n"
         "  - { at: 2s, fault: pause, target: web2, duration: 50s }\n"
         "expect: hold\n";
  return path;
}

// The limits in each container's own cpu and memory groups, by container
// id and file.
std::map<std::string, std::string> cgroup_limits(const json& inspected) {
  std::map<std::string, std::string> out;
  for (const auto& c : inspected) {
    const int pid = c["State"]["Pid"].get<int>();
    for (const char* controller : {"cpu", "memory"}) {
      auto group = faultline::platform::cgroup_of_process(pid, controller);
      if (!group) {
        out[c["Id"].get<std::string>() + " " + controller] = group.error().message;
        continue;
      }
      for (const char* file :
           {"cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.shares", "cpu.max", "cpu.weight",
            "memory.limit_in_bytes", "memory.soft_limit_in_bytes", "memory.max", "memory.high"}) {
        const std::string path = group->dir + "/" + file;
        if (std::filesystem::exists(path)) {
          out[c["Id"].get<std::string>() + " " + file] = read_file(path);
        }
      }
    }
  }
  return out;
}

// HAProxy's servers as its runtime API shows them: weight in force and
// admin state.
std::map<std::string, std::string> haproxy_servers(const json& inspected) {
  std::map<std::string, std::string> out;
  const json lb = container_of(inspected, "lb");
  const int pid = lb["State"]["Pid"].get<int>();
  const faultline::platform::HaproxyRuntimeApi api(
      faultline::platform::container_path(pid, "/run/haproxy/admin.sock"));
  auto rows = api.servers_state("");
  if (!rows) {
    out["error"] = rows.error().message;
    return out;
  }
  for (const auto& r : *rows) {
    out[r.at("be_name") + "/" + r.at("srv_name")] =
        "weight " + r.at("srv_uweight") + ", admin state " + r.at("srv_admin_state");
  }
  return out;
}

int count_of(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

// A run killed by the test and not cleaned up by it (a REQUIRE failed half
// way) is cleaned up here, before the project goes down, so that nothing
// of it is left on the machine.
struct RunGuard {
  pid_t pid = -1;
  bool cleaned = false;
  std::string out;
  ~RunGuard() {
    if (pid > 0 && ::kill(pid, 0) == 0) {
      ::kill(pid, SIGKILL);
      wait_for(pid, std::chrono::seconds(10));
    }
    if (pid > 0 && !cleaned) {
      run({FAULTLINE_BINARY, "cleanup"}, out + "/guard-cleanup.log", std::chrono::seconds(60));
    }
  }
};

}  // namespace

TEST_CASE(
    "runtime compose: after a SIGKILL with faults in force, faultline cleanup leaves the project as found",
    "[integration][compose][docker-host][sigkill]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root to enter the containers' namespaces and cgroups (CI runs as root)");
  }
  if (const std::string missing = docker_missing(); !missing.empty()) {
    FAULTLINE_SKIP(missing);
  }
  faultline::ScratchDir dir("faultline-compose-cleanup");
  REQUIRE_FALSE(dir.path().empty());
  ComposeProject project(project_name("c"), writable_copy(dir.path()));
  INFO(project.up_log());
  json before = project.inspect();
  REQUIRE(all_running(before, 3));
  REQUIRE(wait_until_serving(before));
  before = project.inspect();
  const auto inside_before = inside_state(before);
  const auto limits_before = cgroup_limits(before);
  const auto servers_before = haproxy_servers(before);
  REQUIRE(servers_before.count("error") == 0);
  const std::string web_conf = dir.path() + "/web.conf";
  const std::string conf_before = read_file(web_conf);

  RunGuard guard;
  guard.out = fresh_out_dir("compose_cleanup");
  const std::string log = guard.out + "/faultline.log";
  guard.pid = start_run(write_experiment(guard.out, project.name()), guard.out);
  // Every fault in force: the progress says so for each, the pause last.
  bool all_in = false;
  for (int i = 0; i < 600 && !all_in; ++i) {
    all_in = count_of(read_file(log), "injected ") >= kFaults;
    if (!all_in) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  INFO("log:\n" << read_file(log));
  REQUIRE(all_in);
  const std::string run_id = run_id_from_log(log);
  REQUIRE_FALSE(run_id.empty());

  // The faults are there to be undone: each kind shows before the kill.
  const json during = project.inspect();
  CHECK(container_of(during, "web2")["State"]["Paused"] == true);
  CHECK(haproxy_servers(during) != servers_before);
  CHECK(cgroup_limits(during) != limits_before);
  const auto inside_during = inside_state(during);
  const std::string web1 = container_of(during, "web1")["Id"];
  CHECK(inside_during.at(web1 + " nft").find("faultline_" + run_id) != std::string::npos);

  REQUIRE(::kill(guard.pid, SIGKILL) == 0);
  CHECK(wait_for(guard.pid, std::chrono::seconds(30)) == 128 + SIGKILL);

  const std::string cleanup_log = guard.out + "/cleanup.log";
  const int code = run({FAULTLINE_BINARY, "cleanup"}, cleanup_log, std::chrono::seconds(90));
  guard.cleaned = true;
  const std::string said = read_file(cleanup_log);
  INFO("cleanup:\n" << said);
  CHECK(code == 0);
  const std::string prefix = "run " + run_id + ": ";
  const std::string web2_name = container_of(during, "web2")["Name"].get<std::string>().substr(1);
  CHECK(said.find(prefix + "unpaused container " + web2_name) != std::string::npos);
  CHECK(said.find(prefix + "nft table ip faultline_" + run_id) != std::string::npos);
  CHECK(said.find(prefix + "HAProxy server be_web/web1 back to weight") != std::string::npos);
  CHECK(said.find(prefix + "HAProxy server be_web/web2 back to state ready") != std::string::npos);
  CHECK(said.find(" of container " + web2_name + " back to ") != std::string::npos);

  // The project as found.
  const json after = project.inspect();
  REQUIRE(all_running(after, 3));
  for (const auto& c : after) {
    CHECK(c["State"]["Paused"] == false);
  }
  const auto b = by_id(before);
  const auto a = by_id(after);
  REQUIRE(a.size() == b.size());
  for (const auto& [id, part] : b) {
    INFO(id);
    REQUIRE(a.count(id) == 1);
    CHECK(a.at(id) == part);
  }
  CHECK(inside_state(after) == inside_before);
  CHECK(cgroup_limits(after) == limits_before);
  CHECK(haproxy_servers(after) == servers_before);
  CHECK(read_file(web_conf) == conf_before);
  CHECK(leftovers(run_id).empty());

  // Nothing is left to undo: a second cleanup says nothing of the run.
  const std::string again_log = guard.out + "/cleanup-again.log";
  CHECK(faultline::testing::run({FAULTLINE_BINARY, "cleanup"}, again_log, std::chrono::seconds(60)) == 0);
  CHECK(read_file(again_log).find(run_id) == std::string::npos);
}

TEST_CASE(
    "runtime compose: cleanup starts a container a killed run had killed and puts back its edited config",
    "[integration][compose][docker-host][sigkill]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root to enter the containers' namespaces (CI runs as root)");
  }
  if (const std::string missing = docker_missing(); !missing.empty()) {
    FAULTLINE_SKIP(missing);
  }
  faultline::ScratchDir dir("faultline-compose-cleanup-edit");
  REQUIRE_FALSE(dir.path().empty());
  ComposeProject project(project_name("d"), writable_copy(dir.path()));
  INFO(project.up_log());
  const json before = project.inspect();
  REQUIRE(all_running(before, 3));
  const std::string web_conf = dir.path() + "/web.conf";
  const std::string original = read_file(web_conf);

  faultline::ScratchDir registry("faultline-compose-registry");
  auto id = faultline::stack::create_run(registry.path());
  REQUIRE(id.ok());
  auto up = faultline::stack::compose_bring_up(nginx_attach(project.name(), {"web1"}), *id);
  INFO((up ? std::string() : up.error().message));
  REQUIRE(up.ok());
  // Abandoned on purpose, never destroyed: its destructor's teardown is
  // what a SIGKILL never lets run.
  auto& stack = *up->release();
  const std::string address = stack.find("web1")->planned.address;

  // An edit in force (the record is written before the file), then a kill
  // of the container by faultline (recorded before the signal), which the
  // daemon is then told is a stop by hand, so the restart policy leaves it
  // down, as a policy of `no` would.
  std::string changed = original;
  const std::string answer = "return 200 \"ok from $hostname\\n\";";
  REQUIRE(changed.find(answer) != std::string::npos);
  changed.replace(changed.find(answer), answer.size(), "return 200 \"changed\\n\";");
  REQUIRE(stack.reload("web1", changed).ok());
  CHECK(body_becomes(address, "changed\n") == "changed\n");
  stack.set_expected_down("web1", true);
  REQUIRE(stack.kill_service("web1", SIGKILL).ok());
  const std::string web1 = container_of(before, "web1")["Id"];
  shell(kDocker + " stop -t 1 " + web1 + " >/dev/null 2>&1");
  REQUIRE(container_of(project.inspect(), "web1")["State"]["Running"] == false);
  CHECK(read_file(web_conf) == changed);

  // The owner gone, as after a SIGKILL.
  const pid_t gone = ::fork();
  if (gone == 0) {
    ::_exit(0);
  }
  wait_for(gone, std::chrono::seconds(5));
  std::ofstream(id->run_dir + "/owner.pid") << gone << "\n";

  const auto report = faultline::stack::cleanup_stale_runs(registry.path(), {{id->run_id}});
  std::string said;
  for (const auto& r : report.removed) {
    said += "removed " + r + "\n";
  }
  for (const auto& e : report.errors) {
    said += "error: " + e + "\n";
  }
  INFO(said);
  CHECK(report.errors.empty());
  const std::string name = container_of(before, "web1")["Name"].get<std::string>().substr(1);
  const std::string prefix = "run " + id->run_id + ": ";
  CHECK(said.find(prefix + "started container " + name) != std::string::npos);
  CHECK(said.find(prefix + "config file /etc/nginx/nginx.conf of container " + name + " back as found") !=
        std::string::npos);
  CHECK(said.find(prefix + "nginx of container " + name + " reloaded its config") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(id->run_dir));

  // Running, serving the team's config from the same file again.
  const json after = project.inspect();
  REQUIRE(all_running(after, 3));
  CHECK(read_file(web_conf) == original);
  CHECK(body_becomes(container_of(after, "web1")["NetworkSettings"]["Networks"].begin().value()["IPAddress"],
                     "ok from web1\n") == "ok from web1\n");
  // Its settings as found: the start changed its process, not its config.
  CHECK(container_of(after, "web1")["HostConfig"] == container_of(before, "web1")["HostConfig"]);
  CHECK(container_of(after, "web1")["Config"] == container_of(before, "web1")["Config"]);
}
