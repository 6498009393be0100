// runtime compose: what validation says about the running project, against
// a fake daemon whose "container" is a process of this test: a shell whose
// command line names the server and its config, so that the config is read
// through /proc/<pid>/root as on a real container (here the host's root).

#include "harness/stack/compose_check.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "harness/common/scratch_dir.h"
#include "harness/common/text.h"
#include "tests/platform/fake_docker_daemon.h"

namespace faultline::stack::compose {
namespace {

using experiment::ServiceKind;
using faultline::testing::FakeDockerDaemon;
using faultline::testing::http_answer;
using faultline::testing::RecordedRequest;

// `sh -c 'sleep 30; :' <program> <flag> <config>`: its command line reads as
// that server's, and it lives until the destructor.
class FakeServer {
 public:
  FakeServer(const std::string& program, const std::string& flag, const std::string& config) {
    pid_ = ::fork();
    if (pid_ == 0) {
      // "; :" keeps the shell from replacing itself with sleep.
      ::execl("/bin/sh", "sh", "-c", "sleep 30; :", program.c_str(), flag.c_str(), config.c_str(), nullptr);
      ::_exit(127);
    }
    // Until the exec is done, the child's command line is still this test's.
    for (int i = 0; i < 200; ++i) {
      if (read_text("/proc/" + std::to_string(pid_) + "/cmdline").find(config) != std::string::npos) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;
  ~FakeServer() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

std::string container_list(const std::string& service) {
  return R"([{"Id":"c1","Names":["/shop_)" + service + R"(_1"],"State":"running","Labels":{)" +
         R"("com.docker.compose.project":"shop","com.docker.compose.service":")" + service +
         R"(","com.docker.compose.container-number":"1","com.docker.compose.oneoff":"False"}}])";
}

std::string container_inspect(pid_t pid, const std::string& mounts) {
  return R"({"Id":"c1","Name":"/shop_lb_1","State":{"Status":"running","Running":true,"Pid":)" +
         std::to_string(pid) + R"(},"Mounts":)" + mounts + "}";
}

FakeDockerDaemon::Handler daemon_of(const std::string& service, pid_t pid, const std::string& mounts) {
  return [=](const RecordedRequest& r) -> std::optional<std::string> {
    if (r.target == "/v1.41/_ping") {
      return http_answer(200, "OK", "text/plain");
    }
    if (r.method == "GET" && r.target.rfind("/v1.41/containers/json", 0) == 0) {
      return http_answer(200, container_list(service));
    }
    if (r.method == "GET" && r.target == "/v1.41/containers/c1/json") {
      return http_answer(200, container_inspect(pid, mounts));
    }
    return http_answer(500, R"({"message":"the fake has no answer for this"})");
  };
}

experiment::Experiment lb_experiment(ServiceKind kind, const std::string& fault) {
  experiment::Experiment exp;
  exp.stack.runtime = experiment::kRuntimeCompose;
  exp.stack.project = "shop";
  experiment::Service lb;
  lb.name = "lb";
  lb.kind = kind;
  lb.backends = {"web"};
  exp.stack.services = {lb};
  if (!fault.empty()) {
    experiment::MethodStep step;
    step.fault = fault;
    step.target = "lb";
    exp.method.push_back(step);
  }
  return exp;
}

TEST_CASE("compose validation: an HAProxy without an admin stats socket is an error for the steps needing it",
          "[stack][compose]") {
  ScratchDir dir("faultline-compose-check");
  const std::string config = dir.path() + "/haproxy.cfg";
  std::ofstream(config) << "global\n    stats socket /run/haproxy/user.sock level user\n";
  FakeServer server("haproxy", "-f", config);
  FakeDockerDaemon fake(daemon_of("lb", server.pid(), "[]"));

  experiment::Diagnostics with_step;
  check_project(lb_experiment(ServiceKind::haproxy, "lb_drain"), with_step, fake.socket_path());
  INFO(with_step.format());
  CHECK(with_step.count(experiment::Severity::error) == 1);
  CHECK_THAT(with_step.format(),
             Catch::Contains("service 'lb': its HAProxy config (" + config +
                             " in container shop_lb_1) declares no `stats socket ... level admin`"));
  CHECK_THAT(with_step.format(), Catch::Contains("the steps lb_drain on it need it"));

  // No step needs it: the run's own views do, which is worth a warning.
  experiment::Diagnostics without;
  check_project(lb_experiment(ServiceKind::haproxy, ""), without, fake.socket_path());
  CHECK_FALSE(without.has_errors());
  CHECK(without.count(experiment::Severity::warning) == 1);

  // With one, nothing to say.
  std::ofstream(config) << "global\n    stats socket /run/haproxy/admin.sock mode 600 level admin\n";
  experiment::Diagnostics fine;
  check_project(lb_experiment(ServiceKind::haproxy, "lb_drain"), fine, fake.socket_path());
  CHECK_FALSE(fine.has_errors());
  CHECK_FALSE(fine.has_warnings());
}

TEST_CASE("compose validation: an nginx config mounted read-only is an error for a step that edits it",
          "[stack][compose]") {
  ScratchDir dir("faultline-compose-check");
  const std::string config = dir.path() + "/nginx.conf";
  std::ofstream(config) << "events {}\n";
  FakeServer server("nginx", "-c", config);
  const std::string ro =
      R"([{"Type":"bind","Source":"/team/lb.conf","Destination":")" + config + R"(","RW":false}])";
  FakeDockerDaemon fake(daemon_of("lb", server.pid(), ro));
  experiment::Diagnostics diags;
  check_project(lb_experiment(ServiceKind::nginx, "lb_maintenance"), diags, fake.socket_path());
  INFO(diags.format());
  CHECK(diags.count(experiment::Severity::error) == 1);
  CHECK_THAT(diags.format(),
             Catch::Contains("its nginx config " + config +
                             " is mounted read-only in container shop_lb_1 (from /team/lb.conf)"));

  const std::string rw =
      R"([{"Type":"bind","Source":"/team/lb.conf","Destination":")" + config + R"(","RW":true}])";
  FakeDockerDaemon writable(daemon_of("lb", server.pid(), rw));
  experiment::Diagnostics fine;
  check_project(lb_experiment(ServiceKind::nginx, "lb_maintenance"), fine, writable.socket_path());
  CHECK_FALSE(fine.has_errors());
}

TEST_CASE("compose validation: without a daemon the project is not checked, which is a warning",
          "[stack][compose]") {
  ScratchDir dir("faultline-compose-check");
  experiment::Diagnostics diags;
  check_project(lb_experiment(ServiceKind::haproxy, "lb_drain"), diags, dir.path() + "/no.sock");
  CHECK_FALSE(diags.has_errors());
  CHECK(diags.count(experiment::Severity::warning) == 1);
  CHECK_THAT(diags.format(), Catch::Contains("Compose project 'shop' not checked: no Docker daemon answers"));
}

}  // namespace
}  // namespace faultline::stack::compose
