// The docker runtime's reload against a fake daemon: the config is checked
// inside the container (an exec of the image's own server) on the file the
// container has mounted, written in place, and a config the check rejects
// is put back without the server being signalled. The signal and the wait
// for the new workers need real containers: tests/integration.

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>

#include "harness/common/scratch_dir.h"
#include "harness/common/text.h"
#include "harness/stack/docker_spec.h"
#include "harness/stack/docker_stack.h"
#include "harness/stack/run_registry.h"
#include "tests/platform/fake_docker_daemon.h"
#include "tests/stack/stack_fixtures.h"

namespace faultline::stack::docker {
namespace {

using experiment::ServiceKind;
using faultline::testing::FakeDockerDaemon;
using faultline::testing::http_answer;
using faultline::testing::RecordedRequest;
using nlohmann::json;

experiment::Experiment docker_experiment(ServiceKind lb_kind) {
  auto exp = stack::testing::lb_experiment(lb_kind);
  exp.stack.runtime = experiment::kRuntimeDocker;
  for (auto& s : exp.stack.services) {
    s.image =
        s.kind == ServiceKind::haproxy ? "faultline-test/haproxy:bookworm" : "faultline-test/nginx:bookworm";
    // Where the test images' Debian packages read their configs.
    s.config_path = s.kind == ServiceKind::haproxy ? "/etc/haproxy/haproxy.cfg" : "/etc/nginx/nginx.conf";
  }
  return exp;
}

ino_t inode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_ino;
}

std::string frame(char stream, const std::string& text) {
  std::string head("\0\0\0\0\0\0\0\0", 8);
  head[0] = stream;
  head[7] = static_cast<char>(text.size());
  return head + text;
}

// A daemon whose containers run (pid: this test, never signalled on the
// paths tested here) and whose every exec is the check, answering with
// `check_exit` and `check_said` on stderr. While the check runs it reads
// the file it checks from the host side, as the container would see it.
struct CheckingDaemon {
  int check_exit = 1;
  std::string check_said;
  std::string host_file;  // read when a check runs
  std::mutex mutex;
  std::vector<std::string> seen_text;
  std::vector<ino_t> seen_inode;
  std::vector<json> exec_cmds;
  int containers = 0;

  FakeDockerDaemon daemon{[this](const RecordedRequest& r) -> std::optional<std::string> {
    std::lock_guard lock(mutex);
    if (r.method == "POST" && r.target.rfind("/v1.41/containers/create", 0) == 0) {
      return http_answer(201, json{{"Id", "c" + std::to_string(++containers)}}.dump());
    }
    if (r.method == "POST" && r.target.size() > 6 && r.target.substr(r.target.size() - 6) == "/start" &&
        r.target.rfind("/v1.41/containers/", 0) == 0) {
      return http_answer(204, "");
    }
    // Teardown's lists: nothing left of the run.
    if (r.method == "GET" &&
        (r.target.rfind("/v1.41/containers/json", 0) == 0 || r.target.rfind("/v1.41/networks", 0) == 0)) {
      return http_answer(200, "[]");
    }
    if (r.method == "GET" && r.target.rfind("/v1.41/containers/c", 0) == 0) {
      return http_answer(
          200, json{{"Id", "c"}, {"State", {{"Status", "running"}, {"Running", true}, {"Pid", ::getpid()}}}}
                   .dump());
    }
    if (r.method == "POST" && r.target.find("/exec") != std::string::npos &&
        r.target.rfind("/v1.41/containers/", 0) == 0) {
      exec_cmds.push_back(json::parse(r.body)["Cmd"]);
      if (!host_file.empty()) {
        seen_text.push_back(read_text(host_file));
        seen_inode.push_back(inode_of(host_file));
      }
      return http_answer(201, R"({"Id":"e1"})");
    }
    if (r.target == "/v1.41/exec/e1/start") {
      return "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n" +
             (check_said.empty() ? std::string() : frame(2, check_said));
    }
    if (r.target == "/v1.41/exec/e1/json") {
      return http_answer(200, json{{"Running", false}, {"ExitCode", check_exit}}.dump());
    }
    return http_answer(500, R"({"message":"the fake has no answer for this"})");
  }};
};

// A DockerStack whose configs are written and containers "started" on the
// fake daemon.
struct Fixture {
  CheckingDaemon fake;
  ScratchDir registry{"faultline-docker-reload"};
  RunIdentity id;
  std::unique_ptr<DockerStack> stack;

  explicit Fixture(ServiceKind lb_kind) {
    auto made = create_run(registry.path());
    REQUIRE(made.ok());
    id = *made;
    const auto exp = docker_experiment(lb_kind);
    auto plan = make_plan(exp, id);
    REQUIRE(plan.ok());
    stack = std::make_unique<DockerStack>(platform::DockerApi(fake.daemon.socket_path()), id,
                                          docker_plan(*plan, id.run_id));
    REQUIRE(stack->write_configs(exp));
    REQUIRE(stack->start_containers(exp, {}));
  }
  ~Fixture() {
    stack.reset();
    release_run(id);
  }
};

TEST_CASE("docker reload: a config the image's server rejects is put back in place and nothing is signalled",
          "[stack][docker]") {
  Fixture f(ServiceKind::haproxy);
  const std::string path = f.stack->find("lb")->config_path;
  const std::string before = read_text(path);
  const ino_t inode = inode_of(path);
  f.fake.host_file = path;
  f.fake.check_said =
      "[NOTICE] (7) : haproxy version is 2.6.12\n"
      "[ALERT]  (7) : config : parsing [/etc/haproxy/haproxy.cfg:2] : unknown keyword 'bogus'\n";

  const auto st = f.stack->reload("lb", before + "bogus\n");
  REQUIRE_FALSE(st);
  CHECK(st.error().message ==
        "service lb: haproxy -c rejected the configuration: [ALERT]  (7) : config : parsing "
        "[/etc/haproxy/haproxy.cfg:2] : unknown keyword 'bogus'");
  // The check ran inside the container, on the mounted path, while the
  // file held the new text in the same inode the container has mounted.
  REQUIRE(f.fake.exec_cmds.size() == 1);
  CHECK(f.fake.exec_cmds[0] == json({"haproxy", "-c", "-f", "/etc/haproxy/haproxy.cfg"}));
  REQUIRE(f.fake.seen_text.size() == 1);
  CHECK(f.fake.seen_text[0] == before + "bogus\n");
  CHECK(f.fake.seen_inode[0] == inode);
  // Put back byte for byte, still the same file.
  CHECK(read_text(path) == before);
  CHECK(inode_of(path) == inode);
  // Nothing was asked of the daemon that would signal or stop a container.
  for (const auto& r : f.fake.daemon.requests()) {
    CHECK(r.target.find("/kill") == std::string::npos);
    CHECK(r.target.find("/restart") == std::string::npos);
  }
}

TEST_CASE("docker reload_files writes only the service's mounted config", "[stack][docker]") {
  Fixture f(ServiceKind::nginx);
  const std::string path = f.stack->find("lb")->config_path;
  const std::string before = read_text(path);
  const auto st = f.stack->reload_files("lb", {{f.id.run_dir + "/lb/other.conf", "x"}});
  REQUIRE_FALSE(st);
  CHECK(st.error().message == "service lb: " + f.id.run_dir + "/lb/other.conf is not its config file " +
                                  path + ", so faultline does not write it");
  CHECK(f.fake.exec_cmds.empty());
  CHECK(read_text(path) == before);
  CHECK_FALSE(f.stack->reload("nobody", "x"));
}

TEST_CASE("docker check_config runs the image's nginx -t on a candidate in the mounted run folder",
          "[stack][docker]") {
  Fixture f(ServiceKind::nginx);
  const auto* lb = f.stack->find("lb");
  const std::string candidate = lb->log_dir + "/candidate.conf";
  f.fake.host_file = candidate;
  f.fake.check_said = "nginx: [emerg] unknown directive \"bogus\" in " + candidate + ":1\n" +
                      "nginx: configuration file " + candidate + " test failed\n";
  const auto st = f.stack->check_config("lb", "bogus;\n");
  REQUIRE_FALSE(st);
  CHECK(st.error().message ==
        "nginx -t rejected the configuration: nginx: [emerg] unknown directive \"bogus\" in " + candidate +
            ":1");
  REQUIRE(f.fake.exec_cmds.size() == 1);
  CHECK(f.fake.exec_cmds[0] ==
        json({"nginx", "-t", "-q", "-c", candidate, "-e", lb->log_dir + "/check.log"}));
  CHECK(f.fake.seen_text == std::vector<std::string>{"bogus;\n"});
  CHECK_FALSE(std::filesystem::exists(candidate));

  f.fake.check_exit = 0;
  f.fake.check_said.clear();
  CHECK(f.stack->check_config("lb", "events {}\n"));
}

}  // namespace
}  // namespace faultline::stack::docker
