// The docker runtime's bring-up against a fake daemon: what it asks for,
// and that a failure leaves nothing of the run behind.

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "harness/common/scratch_dir.h"
#include "harness/stack/run_registry.h"
#include "harness/stack/runtime.h"
#include "tests/platform/fake_docker_daemon.h"
#include "tests/stack/stack_fixtures.h"

namespace faultline::stack {
namespace {

using experiment::ServiceKind;
using faultline::testing::FakeDockerDaemon;
using faultline::testing::http_answer;
using faultline::testing::RecordedRequest;

experiment::Experiment docker_experiment() {
  auto exp = stack::testing::lb_experiment(ServiceKind::haproxy);
  exp.stack.runtime = experiment::kRuntimeDocker;
  for (auto& s : exp.stack.services) {
    s.image =
        s.kind == ServiceKind::haproxy ? "faultline-test/haproxy:bookworm" : "faultline-test/nginx:bookworm";
    s.config_path = experiment::default_config_path(s.kind);
  }
  return exp;
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

size_t count(const std::vector<RecordedRequest>& reqs, const std::string& method, const std::string& prefix) {
  size_t n = 0;
  for (const auto& r : reqs) {
    n += r.method == method && starts_with(r.target, prefix) ? 1 : 0;
  }
  return n;
}

// A daemon whose first container create succeeds and whose second finds no
// image: the bring-up must remove the container and the network it made.
std::optional<std::string> image_missing_daemon(const RecordedRequest& r, int& creates) {
  if (r.target == "/v1.41/_ping") {
    return http_answer(200, "OK", "text/plain");
  }
  if (r.method == "POST" && r.target == "/v1.41/networks/create") {
    return http_answer(201, R"({"Id":"net1","Warning":""})");
  }
  if (r.method == "POST" && starts_with(r.target, "/v1.41/containers/create")) {
    if (creates++ == 0) {
      return http_answer(201, R"({"Id":"c1","Warnings":[]})");
    }
    return http_answer(404, R"({"message":"No such image: faultline-test/nginx:bookworm"})");
  }
  if (r.method == "POST" && r.target == "/v1.41/containers/c1/start") {
    return http_answer(204, "");
  }
  if (r.method == "GET" && r.target == "/v1.41/containers/c1/json") {
    return http_answer(200,
                       R"({"Id":"c1","Name":"/x","State":{"Status":"running","Running":true,"Pid":4242}})");
  }
  if (r.method == "GET" && starts_with(r.target, "/v1.41/containers/json")) {
    return http_answer(200, R"([{"Id":"c1","Names":["/x"],"State":"running"}])");
  }
  if (r.method == "GET" && starts_with(r.target, "/v1.41/networks?")) {
    return http_answer(200, R"([{"Id":"net1","Name":"x","Driver":"bridge"}])");
  }
  if (r.method == "DELETE") {
    return http_answer(204, "");
  }
  return http_answer(500, R"({"message":"the fake has no answer for this"})");
}

TEST_CASE("docker bring-up: a missing image fails naming it, and the run's container and network go",
          "[stack][docker]") {
  int creates = 0;
  FakeDockerDaemon fake([&](const RecordedRequest& r) { return image_missing_daemon(r, creates); });
  ScratchDir registry("faultline-docker-test");
  auto id = create_run(registry.path());
  REQUIRE(id.ok());
  std::vector<std::string> said;
  auto up = docker_bring_up(
      docker_experiment(), *id, [&](const std::string& line) { said.push_back(line); }, fake.socket_path());
  REQUIRE_FALSE(up.ok());
  CHECK_THAT(up.error().message,
             Catch::Contains("image faultline-test/nginx:bookworm is not on this Docker host"));

  const auto reqs = fake.requests();
  // The network as planned: the run's name, label, bridge and subnet.
  const RecordedRequest* network = nullptr;
  for (const auto& r : reqs) {
    if (r.target == "/v1.41/networks/create") {
      network = &r;
    }
  }
  REQUIRE(network != nullptr);
  const auto body = nlohmann::json::parse(network->body);
  CHECK(body["Name"] == "faultline-" + id->run_id);
  CHECK(body["Labels"]["org.faultline.run"] == id->run_id);
  CHECK(body["Options"]["com.docker.network.bridge.name"] == "fld-" + id->run_id);
  CHECK(starts_with(body["IPAM"]["Config"][0]["Subnet"].get<std::string>(), "10."));

  // Cleanup found the run's things by its label and removed them.
  const std::string label = "org.faultline.run%3D" + id->run_id;
  bool listed_by_label = false;
  for (const auto& r : reqs) {
    listed_by_label |=
        starts_with(r.target, "/v1.41/containers/json") && r.target.find(label) != std::string::npos;
  }
  CHECK(listed_by_label);
  // Every container is created, in the services' order, before any
  // starts (the waves start them, backends first): lb was created, web1's
  // create failed on its image, and nothing was started.
  std::vector<std::string> created;
  for (const auto& r : reqs) {
    if (r.method == "POST" && starts_with(r.target, "/v1.41/containers/create?name=")) {
      created.push_back(r.target.substr(r.target.find('=') + 1));
    }
  }
  CHECK(created ==
        std::vector<std::string>{"faultline-" + id->run_id + "-lb", "faultline-" + id->run_id + "-web1"});
  CHECK(count(reqs, "POST", "/v1.41/containers/c1/start") == 0);
  CHECK(count(reqs, "DELETE", "/v1.41/containers/c1") == 1);
  CHECK(count(reqs, "DELETE", "/v1.41/networks/net1") == 1);
  // The services' folders went with them; the run folder is release_run's.
  CHECK_FALSE(std::filesystem::exists(id->run_dir + "/lb"));
  CHECK_FALSE(std::filesystem::exists(id->run_dir + "/web1"));
  // The subnet was recorded before the network was made.
  bool subnet_recorded = false;
  for (const auto& rec : read_manifest(id->run_dir)) {
    subnet_recorded |= rec.kind == "subnet";
  }
  CHECK(subnet_recorded);
  release_run(*id);
}

TEST_CASE("docker bring-up without a daemon says so and asks for nothing else", "[stack][docker]") {
  FakeDockerDaemon fake([](const RecordedRequest&) { return http_answer(500, R"({"message":"down"})"); });
  ScratchDir registry("faultline-docker-test");
  auto id = create_run(registry.path());
  REQUIRE(id.ok());
  auto up = docker_bring_up(docker_experiment(), *id, {}, fake.socket_path());
  REQUIRE_FALSE(up.ok());
  CHECK_THAT(up.error().message, Catch::Contains("runtime docker needs a Docker daemon"));
  CHECK(fake.requests().size() == 1);
  release_run(*id);
}

TEST_CASE("docker bring-up refuses what the first slice cannot run", "[stack][docker]") {
  ScratchDir registry("faultline-docker-test");
  auto id = create_run(registry.path());
  REQUIRE(id.ok());
  auto exp = docker_experiment();
  exp.stack.services[1].kind = ServiceKind::app;
  auto up = docker_bring_up(exp, *id, {}, registry.path() + "/no.sock");
  REQUIRE_FALSE(up.ok());
  CHECK_THAT(up.error().message, Catch::Contains("kind app does not run on runtime docker"));
  exp = docker_experiment();
  exp.stack.services[2].image.clear();
  up = docker_bring_up(exp, *id, {}, registry.path() + "/no.sock");
  REQUIRE_FALSE(up.ok());
  CHECK_THAT(up.error().message, Catch::Contains("web2: runtime docker needs its image"));
  release_run(*id);
}

}  // namespace
}  // namespace faultline::stack
