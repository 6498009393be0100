// ServerProcess, the one way faultline signals a server: signals reach the
// server and its process group while it is the run's, and nothing once it
// has been reaped; kill_in_netns kills only a process still in the
// namespace it was found in. No root needed: the processes are our own.

#include "harness/platform/process.h"

#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <fstream>
#include <thread>

#include "harness/platform/netns.h"
#include "tests/stack/stack_fixtures.h"

namespace faultline::platform {
namespace {

using namespace std::chrono_literals;

// A shell leading its own process group, with a `sleep` child in it, as
// an nginx master with a worker.
std::shared_ptr<const ServerProcess> start_group(const std::string& dir) {
  ProcessSpec spec;
  spec.executable = "/bin/sh";
  spec.args = {"-c", "sleep 60 & exec sleep 61"};
  spec.stdout_path = dir + "/out.log";
  spec.stderr_path = dir + "/err.log";
  auto started = start_process(spec);
  REQUIRE(started.ok());
  return *started;
}

// The group's leader and the leader's children.
std::vector<pid_t> group_members(pid_t pgid) {
  std::vector<pid_t> out{pgid};
  std::ifstream in("/proc/" + std::to_string(pgid) + "/task/" + std::to_string(pgid) + "/children");
  pid_t child = 0;
  while (in >> child) {
    out.push_back(child);
  }
  return out;
}

bool all_in_state(const std::vector<pid_t>& pids, char state) {
  const auto deadline = std::chrono::steady_clock::now() + 500ms;
  while (std::chrono::steady_clock::now() < deadline) {
    bool all = true;
    for (pid_t p : pids) {
      const auto st = read_proc_stat(p);
      all = all && st && st->state == state;
    }
    if (all) {
      return true;
    }
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

// Kills and reaps the group at scope exit, whatever the test did.
struct Reaper {
  std::shared_ptr<const ServerProcess> process;
  ~Reaper() {
    if (process->alive()) {
      (void)process->signal(SIGKILL, SignalScope::group);
      ::waitpid(process->pid(), nullptr, 0);
    }
  }
};

TEST_CASE("a server and its process group get signals while the server is the run's, none once reaped",
          "[platform][process][signals]") {
  const stack::testing::ScratchDir dir;
  const auto server = start_group(dir.path());
  Reaper reaper{server};
  // The shell has forked its sleep once the exec'd sleep runs.
  std::vector<pid_t> members;
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while ((members = group_members(server->pid())).size() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  REQUIRE(members.size() == 2);
  CHECK(server->alive());

  REQUIRE(server->signal(SIGSTOP, SignalScope::group).ok());
  CHECK(all_in_state(members, 'T'));
  REQUIRE(server->signal(SIGCONT, SignalScope::group).ok());
  CHECK(all_in_state(members, 'S'));

  // Exited but not reaped: still the run's, its pid cannot be reused yet.
  REQUIRE(server->signal(SIGKILL, SignalScope::process).ok());
  const auto died_by = std::chrono::steady_clock::now() + 2s;
  while (!has_exited(server->pid()) && std::chrono::steady_clock::now() < died_by) {
    std::this_thread::sleep_for(5ms);
  }
  REQUIRE(has_exited(server->pid()));
  CHECK(server->alive());
  CHECK(server->signal(0, SignalScope::group).ok());

  // Reaped (reap_if_exited also kills what is left of the group): from
  // here on the pid may be anyone's.
  REQUIRE(reap_if_exited(server->pid()).has_value());
  CHECK_FALSE(server->alive());
  const auto st = server->signal(SIGTERM, SignalScope::group);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message == "process " + std::to_string(server->pid()) +
                                  " has exited and was reaped, so its pid may belong to another process now: "
                                  "SIGTERM not sent");
  CHECK_FALSE(server->signal(SIGTERM, SignalScope::process).ok());
}

TEST_CASE("kill_in_netns kills a process only while it is in the namespace it was found in",
          "[platform][process][signals]") {
  const stack::testing::ScratchDir dir;
  const auto server = start_group(dir.path());
  Reaper reaper{server};
  const auto here = netns_id_of_path("/proc/self/ns/net");
  REQUIRE(here.ok());
  NetnsId elsewhere = *here;
  elsewhere.ino += 1;

  const auto refused = kill_in_netns(server->pid(), elsewhere);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().message, Catch::Contains("no longer in the namespace"));
  std::this_thread::sleep_for(50ms);
  CHECK_FALSE(has_exited(server->pid()));

  REQUIRE(kill_in_netns(server->pid(), *here).ok());
  int status = 0;
  REQUIRE(::waitpid(server->pid(), &status, 0) == server->pid());
  CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
}

}  // namespace
}  // namespace faultline::platform
