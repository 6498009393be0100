// `faultline cleanup` on the docker runtime, against a fake daemon: which
// runs' containers and networks it removes, in which order, and what it
// never touches.

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "harness/common/scratch_dir.h"
#include "harness/stack/cleanup.h"
#include "harness/stack/docker_spec.h"
#include "harness/stack/run_registry.h"
#include "tests/platform/fake_docker_daemon.h"

namespace faultline::stack {
namespace {

namespace fs = std::filesystem;
using faultline::testing::FakeDockerDaemon;
using faultline::testing::http_answer;
using faultline::testing::RecordedRequest;
using nlohmann::json;

// A pid that belonged to a process that has exited and been reaped.
pid_t dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return pid;
}

// The owner token of such a process.
std::string dead_owner() {
  return std::to_string(dead_pid()) + ":1";
}

// Makes a registered run's owner a process that has exited.
void kill_owner(const RunIdentity& id) {
  std::ofstream(id.run_dir + "/owner.pid") << dead_pid() << "\n";
}

json labels_of(const std::string& run_id, const std::string& owner) {
  json labels = json::object();
  labels[docker::kRunLabel] = run_id;
  if (!owner.empty()) {
    labels[docker::kOwnerLabel] = owner;
  }
  return labels;
}

// What the fake daemon holds: containers and networks, each with labels.
struct DaemonState {
  json containers = json::array();
  json networks = json::array();

  void add_run(const std::string& run_id, const std::string& owner) {
    for (const std::string svc : {"lb", "web1"}) {
      json labels = labels_of(run_id, owner);
      labels[docker::kServiceLabel] = svc;
      containers.push_back({{"Id", "c-" + run_id + "-" + svc},
                            {"Names", {"/" + docker::container_name(run_id, svc)}},
                            {"State", "running"},
                            {"Labels", labels}});
    }
    networks.push_back({{"Id", "n-" + run_id},
                        {"Name", docker::network_name(run_id)},
                        {"Driver", "bridge"},
                        {"Labels", labels_of(run_id, owner)}});
  }
};

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

std::optional<std::string> answer(const DaemonState& state, const RecordedRequest& r) {
  if (r.target == "/v1.41/_ping") {
    return http_answer(200, "OK", "text/plain");
  }
  if (r.method == "GET" && starts_with(r.target, "/v1.41/containers/json")) {
    return http_answer(200, state.containers.dump());
  }
  if (r.method == "GET" && starts_with(r.target, "/v1.41/networks?")) {
    return http_answer(200, state.networks.dump());
  }
  if (r.method == "DELETE") {
    return http_answer(204, "");
  }
  return http_answer(500, R"({"message":"the fake has no answer for this"})");
}

// The targets of the DELETE requests, in order.
std::vector<std::string> deletes(const FakeDockerDaemon& fake) {
  std::vector<std::string> out;
  for (const auto& r : fake.requests()) {
    if (r.method == "DELETE") {
      out.push_back(r.target.substr(0, r.target.find('?')));
    }
  }
  return out;
}

bool deleted(const std::vector<std::string>& targets, const std::string& path) {
  return std::find(targets.begin(), targets.end(), "/v1.41/" + path) != targets.end();
}

TEST_CASE("cleanup removes the containers, then the network, of dead runs and nothing of live ones",
          "[stack][docker][cleanup]") {
  ScratchDir base("faultline-docker-cleanup");
  auto live = create_run(base.path());
  auto dead = create_run(base.path());
  REQUIRE((live.ok() && dead.ok()));
  kill_owner(*dead);
  // Runs this registry does not know: their directory is gone (or in
  // another registry folder), and their labels name the owner.
  const std::string orphan_dead = "a0a0a1";
  const std::string orphan_live = "a0a0a2";
  const std::string orphan_unowned = "a0a0a3";
  const std::string not_asked = "a0a0a4";

  DaemonState state;
  state.add_run(live->run_id, owner_token());
  state.add_run(dead->run_id, dead_owner());
  state.add_run(orphan_dead, dead_owner());
  state.add_run(orphan_live, owner_token());
  state.add_run(orphan_unowned, "");
  state.add_run(not_asked, dead_owner());
  // A team's container that the daemon lists anyway: no run label of ours.
  state.containers.push_back({{"Id", "c-team"},
                              {"Names", {"/shop_web_1"}},
                              {"State", "running"},
                              {"Labels", {{"com.docker.compose.project", "shop"}}}});
  // A label that is not a run id is not one faultline wrote.
  state.containers.push_back({{"Id", "c-odd"},
                              {"Names", {"/odd"}},
                              {"State", "exited"},
                              {"Labels", labels_of("not-a-run", dead_owner())}});
  FakeDockerDaemon fake([&](const RecordedRequest& r) { return answer(state, r); });

  const CleanupFilter filter{
      {live->run_id, dead->run_id, orphan_dead, orphan_live, orphan_unowned, "not-a-run"}};
  const auto report = cleanup_stale_runs(base.path(), filter, fake.socket_path());
  std::string removed;
  for (const auto& line : report.removed) {
    removed += line + "\n";
  }
  INFO("removed:\n" << removed);
  CHECK(report.errors.empty());

  const auto targets = deletes(fake);
  for (const auto& id : {dead->run_id, orphan_dead}) {
    INFO(id);
    CHECK(deleted(targets, "containers/c-" + id + "-lb"));
    CHECK(deleted(targets, "containers/c-" + id + "-web1"));
    CHECK(deleted(targets, "networks/n-" + id));
  }
  // 2 runs × (2 containers + 1 network): nothing of the live, unowned,
  // unasked runs, the team's container or the odd label.
  CHECK(targets.size() == 6);
  // A network goes after the containers attached to it.
  const auto pos = [&](const std::string& path) {
    return std::find(targets.begin(), targets.end(), "/v1.41/" + path) - targets.begin();
  };
  CHECK(pos("containers/c-" + dead->run_id + "-web1") < pos("networks/n-" + dead->run_id));
  CHECK(pos("containers/c-" + orphan_dead + "-web1") < pos("networks/n-" + orphan_dead));

  // The containers went before the registry directory they have mounted.
  CHECK(fs::exists(live->run_dir));
  CHECK_FALSE(fs::exists(dead->run_dir));
  const auto said = [&](const std::string& text) {
    return std::find(report.removed.begin(), report.removed.end(), text) != report.removed.end();
  };
  CHECK(said("run " + orphan_dead + ": container faultline-" + orphan_dead + "-lb"));
  CHECK(said("run " + orphan_dead + ": Docker network faultline-" + orphan_dead));
  CHECK(said("run " + dead->run_id + ": directory " + dead->run_dir));

  // Everything was found by faultline's run label.
  for (const auto& r : fake.requests()) {
    if (r.method == "GET" && r.target != "/v1.41/_ping") {
      CHECK_THAT(r.target, Catch::Contains("org.faultline.run"));
    }
  }
}

TEST_CASE("cleanup keeps a registered dead run's containers when their labels name a live owner",
          "[stack][docker][cleanup]") {
  // Another registry's live run may have drawn the same id: the owner it
  // wrote on its containers outweighs this registry's dead entry.
  ScratchDir base("faultline-docker-cleanup");
  auto dead = create_run(base.path());
  REQUIRE(dead.ok());
  kill_owner(*dead);
  DaemonState state;
  state.add_run(dead->run_id, owner_token());
  FakeDockerDaemon fake([&](const RecordedRequest& r) { return answer(state, r); });
  const auto report = cleanup_stale_runs(base.path(), CleanupFilter{{dead->run_id}}, fake.socket_path());
  CHECK(report.errors.empty());
  CHECK(deletes(fake).empty());
}

TEST_CASE("cleanup without a Docker daemon says nothing of Docker and still cleans the registry",
          "[stack][docker][cleanup]") {
  ScratchDir base("faultline-docker-cleanup");
  auto dead = create_run(base.path());
  REQUIRE(dead.ok());
  kill_owner(*dead);
  const auto report =
      cleanup_stale_runs(base.path(), CleanupFilter{{dead->run_id}}, base.path() + "/no-docker.sock");
  CHECK(report.errors.empty());
  REQUIRE(report.removed.size() == 1);
  CHECK(report.removed[0] == "run " + dead->run_id + ": directory " + dead->run_dir);
}

TEST_CASE("cleanup says so when the daemon answers its ping but not its lists, and removes nothing of it",
          "[stack][docker][cleanup]") {
  FakeDockerDaemon fake([](const RecordedRequest& r) -> std::optional<std::string> {
    if (r.target == "/v1.41/_ping") {
      return http_answer(200, "OK", "text/plain");
    }
    if (r.method == "DELETE") {
      return http_answer(204, "");
    }
    return http_answer(500, R"({"message":"busy"})");
  });
  ScratchDir base("faultline-docker-cleanup");
  const auto report = cleanup_stale_runs(base.path(), CleanupFilter{{"a0a0a5"}}, fake.socket_path());
  REQUIRE(report.errors.size() == 1);
  CHECK_THAT(report.errors[0], Catch::Contains("500 busy"));
  CHECK_THAT(report.errors[0], Catch::Contains("not swept"));
  CHECK(deletes(fake).empty());
}

}  // namespace
}  // namespace faultline::stack
