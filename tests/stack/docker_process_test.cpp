// The docker runtime's process-fault seam and restart against a fake
// daemon that keeps each container's state: what the stack asks the Engine
// API, the journal's words, and limits written into the container's own
// cgroup (a fixture tree) and written back.

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "harness/common/scratch_dir.h"
#include "harness/platform/cgroup.h"
#include "harness/stack/docker_stack.h"
#include "tests/load/test_http_server.h"
#include "tests/platform/fake_docker_daemon.h"
#include "tests/stack/stack_fixtures.h"

namespace faultline::stack::docker {
namespace {

namespace fs = std::filesystem;
using experiment::ServiceKind;
using faultline::testing::FakeDockerDaemon;
using faultline::testing::http_answer;
using faultline::testing::RecordedRequest;

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void put(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

// A daemon with containers "id-<service>": create, start, stop, kill,
// pause, unpause and inspect change and show their state; each start
// gives the container a new pid.
class StatefulDaemon {
 public:
  StatefulDaemon() : fake_([this](const RecordedRequest& r) { return answer(r); }) {}

  const std::string& socket() const { return fake_.socket_path(); }
  // "POST /v1.41/containers/id-web1/kill?signal=SIGKILL" for each request
  // about a container other than inspect and logs.
  std::vector<std::string> actions() const {
    std::vector<std::string> out;
    for (const auto& r : fake_.requests()) {
      if (starts_with(r.target, "/v1.41/containers/id-") && r.method == "POST") {
        out.push_back(r.method + " " + r.target);
      }
    }
    return out;
  }

 private:
  struct Container {
    std::string status = "created";
    int pid = 0;
    int exit_code = 0;
  };

  std::optional<std::string> answer(const RecordedRequest& r) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::string create = "/v1.41/containers/create?name=faultline-abc123-";
    if (r.method == "POST" && starts_with(r.target, create)) {
      const std::string id = "id-" + r.target.substr(create.size());
      containers_[id] = {};
      return http_answer(201, fmt::format(R"({{"Id":"{}","Warnings":[]}})", id));
    }
    if (starts_with(r.target, "/v1.41/containers/json") || starts_with(r.target, "/v1.41/networks")) {
      return http_answer(200, "[]");  // teardown finds nothing more to remove
    }
    const std::string prefix = "/v1.41/containers/";
    if (!starts_with(r.target, prefix)) {
      return http_answer(500, R"({"message":"the fake has no answer for this"})");
    }
    const std::string rest = r.target.substr(prefix.size());
    const std::string id = rest.substr(0, rest.find('/'));
    const std::string verb = rest.substr(id.size());
    auto it = containers_.find(id);
    if (it == containers_.end()) {
      return http_answer(404, R"({"message":"No such container"})");
    }
    Container& c = it->second;
    if (verb == "/json") {
      return http_answer(200, fmt::format(R"({{"Id":"{}","Name":"/{}","State":{{"Status":"{}","Running":{},)"
                                          R"("Paused":{},"Pid":{},"ExitCode":{}}}}})",
                                          id, id, c.status, c.status != "exited" ? "true" : "false",
                                          c.status == "paused" ? "true" : "false", c.pid, c.exit_code));
    }
    if (starts_with(verb, "/logs")) {
      return http_answer(200, "", "application/vnd.docker.raw-stream");
    }
    if (verb == "/start") {
      if (c.status == "running") {
        return http_answer(304, "");
      }
      c = {"running", next_pid_++, 0};
      return http_answer(204, "");
    }
    if (starts_with(verb, "/stop")) {
      c = {"exited", 0, 0};
      return http_answer(204, "");
    }
    if (starts_with(verb, "/kill")) {
      // A paused container is killed too: SIGKILL reaches frozen processes.
      if (c.status == "exited") {
        return http_answer(409, R"({"message":"Container is not running"})");
      }
      c = {"exited", 0, 137};
      return http_answer(204, "");
    }
    if (verb == "/pause") {
      c.status = "paused";
      return http_answer(204, "");
    }
    if (verb == "/unpause") {
      if (c.status != "paused") {
        return http_answer(500, R"({"message":"Container is not paused"})");
      }
      c.status = "running";
      return http_answer(204, "");
    }
    return http_answer(500, R"({"message":"the fake has no answer for this"})");
  }

  std::mutex mutex_;
  std::map<std::string, Container> containers_;
  int next_pid_ = 4242;
  FakeDockerDaemon fake_;  // last: its thread stops before the state goes
};

// A docker stack of lb, web1 and web2 whose addresses are all one loopback
// HTTP server: readiness (bring-up, restart) is probed for real.
struct Fixture {
  StatefulDaemon daemon;
  load::testing::TestHttpServer server{load::testing::ServerMode::answer, std::chrono::milliseconds(0)};
  ScratchDir dir{"faultline-docker-process-test"};
  experiment::Experiment exp = stack::testing::lb_experiment(ServiceKind::haproxy);
  std::unique_ptr<DockerStack> stack;

  Fixture() {
    exp.stack.runtime = experiment::kRuntimeDocker;
    exp.load.backend_header = "X-Backend";
    Plan plan = stack::testing::fixed_plan(exp);
    for (auto& s : exp.stack.services) {
      s.image = "faultline-test/nginx:bookworm";
      s.config_path = experiment::default_config_path(s.kind);
    }
    for (auto& p : plan.services) {
      p.address = "127.0.0.1";
      p.port = server.port();
    }
    stack = std::make_unique<DockerStack>(platform::DockerApi(daemon.socket()),
                                          RunIdentity{"abc123", dir.path()}, plan);
    REQUIRE(stack->write_configs(exp).ok());
    const auto started = stack->start_containers(exp, {});
    INFO((started.ok() ? std::string("started") : started.error().message));
    REQUIRE(started.ok());
  }
  pid_t pid_of(const std::string& service) const { return stack->find(service)->pid; }
};

TEST_CASE("docker kill goes through the Engine API, and restart starts the container and reads its new pid",
          "[stack][docker][process]") {
  Fixture f;
  const pid_t before = f.pid_of("web1");
  const auto how = f.stack->kill_mechanism("web1", "KILL");
  REQUIRE(how.ok());
  CHECK(*how == "Engine API kill SIGKILL of container faultline-abc123-web1, started again on revert");
  f.stack->set_expected_down("web1", true);
  REQUIRE(f.stack->kill_service("web1", SIGKILL).ok());
  // Down on purpose: not a harness failure.
  CHECK(f.stack->check_alive().ok());
  // A second kill is refused before anything is sent: the container is not running.
  const auto again = f.stack->kill_mechanism("web1", "KILL");
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().message ==
        "web1's container faultline-abc123-web1 is exited (exit code 137); nothing sent");

  const auto restarted = f.stack->restart("web1");
  INFO((restarted.ok() ? std::string("restarted") : restarted.error().message));
  REQUIRE(restarted.ok());
  f.stack->set_expected_down("web1", false);
  CHECK(f.pid_of("web1") != before);
  CHECK(f.pid_of("web1") > 0);
  CHECK(f.stack->check_alive().ok());
  const auto actions = f.daemon.actions();
  CHECK(std::count(actions.begin(), actions.end(), "POST /v1.41/containers/id-web1/kill?signal=SIGKILL") ==
        1);
  CHECK(actions.back() == "POST /v1.41/containers/id-web1/start");
}

TEST_CASE("docker restart stops a container still draining before it starts it again",
          "[stack][docker][process]") {
  Fixture f;
  REQUIRE(f.stack->restart("web2").ok());
  const auto actions = f.daemon.actions();
  REQUIRE(actions.size() >= 2);
  CHECK(actions[actions.size() - 2] == "POST /v1.41/containers/id-web2/stop?t=2");
  CHECK(actions.back() == "POST /v1.41/containers/id-web2/start");
}

TEST_CASE(
    "docker pause and unpause go through the Engine API, and a container no longer paused is left alone",
    "[stack][docker][process]") {
  Fixture f;
  auto hold = f.stack->freeze_service("web1");
  REQUIRE(hold.ok());
  CHECK((*hold)->mechanism() ==
        "Engine API pause of container faultline-abc123-web1 (the freezer cgroup), unpause on revert");
  REQUIRE((*hold)->release().ok());
  REQUIRE((*hold)->release().ok());
  auto actions = f.daemon.actions();
  CHECK(std::count(actions.begin(), actions.end(), "POST /v1.41/containers/id-web1/pause") == 1);
  CHECK(std::count(actions.begin(), actions.end(), "POST /v1.41/containers/id-web1/unpause") == 1);

  // Killed while paused: at release there is nothing to thaw, and no error.
  auto second = f.stack->freeze_service("web2");
  REQUIRE(second.ok());
  REQUIRE(f.stack->kill_service("web2", SIGKILL).ok());
  CHECK((*second)->release().ok());
  actions = f.daemon.actions();
  CHECK(std::count(actions.begin(), actions.end(), "POST /v1.41/containers/id-web2/unpause") == 0);
}

TEST_CASE("the process seam names an unknown service", "[stack][docker][process]") {
  Fixture f;
  CHECK(f.stack->kill_mechanism("db", "KILL").error().message == "db has no running process");
  CHECK(f.stack->kill_service("db", SIGKILL).error().message == "db has no running process");
  CHECK(f.stack->freeze_service("db").error().message == "db has no running process");
  CHECK(f.stack->restart("db").error().message == "service db has no running process");
}

// cgroup v1 as on this host, the container's pid in docker/<id>; writes
// replace a file's value as cgroupfs does.
class CgroupFixture final : public platform::CgroupHost {
 public:
  CgroupFixture(const std::string& dir, pid_t pid) {
    mountinfo = dir + "/mountinfo";
    fs_root = dir;
    proc = dir + "/proc";
    cpu = dir + "/sys/fs/cgroup/cpu,cpuacct/docker/id-lb";
    memory = dir + "/sys/fs/cgroup/memory/docker/id-lb";
    put(mountinfo,
        "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
        "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n");
    put(fmt::format("{}/{}/cgroup", proc, pid), "4:memory:/docker/id-lb\n2:cpu,cpuacct:/docker/id-lb\n");
    put(cpu + "/cpu.cfs_quota_us", "-1\n");
    put(cpu + "/cpu.cfs_period_us", "100000\n");
    put(memory + "/memory.limit_in_bytes", "9223372036854771712\n");
  }
  Status write(const std::string& path, const std::string& value) const override {
    if (!fs::exists(path)) {
      return Error{"cannot open " + path};
    }
    std::ofstream(path, std::ios::trunc) << value << "\n";
    return {};
  }
  std::string cpu;
  std::string memory;
};

TEST_CASE("docker limits are written into the container's own group, recorded, and written back",
          "[stack][docker][process]") {
  Fixture f;
  ScratchDir cg("faultline-docker-cgroup-test");
  const CgroupFixture host(cg.path(), f.pid_of("lb"));
  const platform::ScopedCgroupHost use(host);

  auto limit = f.stack->limit_service("lb", "cpu");
  INFO((limit.ok() ? std::string("limit") : limit.error().message));
  REQUIRE(limit.ok());
  auto& l = **limit;
  CHECK(l.version() == platform::CgroupVersion::v1);
  REQUIRE(l.write("cpu.cfs_period_us", "100000").ok());
  REQUIRE(l.write("cpu.cfs_quota_us", "2000").ok());
  REQUIRE(l.enforce().ok());
  CHECK(l.active());
  CHECK(slurp(host.cpu + "/cpu.cfs_quota_us") == "2000\n");
  // The originals are in the service's folder while they are changed.
  const std::string record = f.dir.path() + "/lb/cgroup-originals.cpu";
  CHECK(slurp(record) == host.cpu + "/cpu.cfs_period_us\t100000\n" + host.cpu + "/cpu.cfs_quota_us\t-1\n");
  CHECK(l.mechanism("cpu.cfs_quota_us") ==
        "cgroup v1 (cpu.cfs_quota_us of " + host.cpu +
            ", container faultline-abc123-lb's own group): 100000 written to cpu.cfs_period_us in place of "
            "100000, 2000 written to cpu.cfs_quota_us in place of -1; the originals written back on revert");

  REQUIRE(l.lift().ok());
  CHECK_FALSE(l.active());
  CHECK(slurp(host.cpu + "/cpu.cfs_quota_us") == "-1\n");
  CHECK(slurp(host.cpu + "/cpu.cfs_period_us") == "100000\n");
  CHECK_FALSE(fs::exists(record));
  REQUIRE(l.lift().ok());

  auto memory = f.stack->limit_service("lb", "memory");
  REQUIRE(memory.ok());
  REQUIRE((*memory)->write("memory.limit_in_bytes", "67108864").ok());
  REQUIRE((*memory)->lift().ok());
  CHECK(slurp(host.memory + "/memory.limit_in_bytes") == "9223372036854771712\n");
}

TEST_CASE("a docker limit on a container that is not running is refused", "[stack][docker][process]") {
  Fixture f;
  REQUIRE(f.stack->kill_service("web2", SIGKILL).ok());
  const auto limit = f.stack->limit_service("web2", "cpu");
  REQUIRE_FALSE(limit.ok());
  CHECK(limit.error().message == "web2 has no running process (its container is exited)");
}

}  // namespace
}  // namespace faultline::stack::docker
