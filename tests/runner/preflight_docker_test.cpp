// The preflight of runtime docker: the daemon and each image instead of
// this machine's servers, what it says when either is missing, and that
// the netns runtime's checks are left as they were.

#include <catch2/catch.hpp>
#include <set>

#include "harness/runner/preflight.h"
#include "tests/platform/fake_docker_daemon.h"

namespace faultline::runner {
namespace {

using faultline::testing::FakeDockerDaemon;
using faultline::testing::http_answer;
using faultline::testing::RecordedRequest;

ValidatedExperiment docker_example() {
  experiment::Diagnostics diags;
  auto v =
      validate(std::string(FAULTLINE_SOURCE_DIR) + "/experiments/docker/haproxy-weight-skew.yaml", {}, diags);
  INFO(diags.format());
  REQUIRE(v);
  return std::move(*v);
}

PreflightProbes healthy_docker_host() {
  PreflightProbes p;
  p.is_root = [] { return true; };
  // No server on this machine: runtime docker needs none.
  p.find_executable = [](const std::string& name) -> std::optional<std::string> {
    if (name == "haproxy" || name == "nginx") {
      return std::nullopt;
    }
    return "/usr/sbin/" + name;
  };
  p.version_line = [](const std::string&) { return std::string(); };
  p.kernel_feature = [](const std::string&) { return std::make_pair(true, std::string()); };
  p.cgroup_controller = [](const std::string&) { return true; };
  p.open_files_limit = [] { return uint64_t{65536}; };
  p.subnet_problem = [](const experiment::Experiment&) { return std::optional<std::string>(); };
  p.bridge_filtering = [] { return std::string("FORWARD accepts"); };
  p.docker_daemon = [] { return std::make_pair(true, std::string("dockerd 20.10.24")); };
  p.docker_image = [](const std::string&) { return std::make_pair(true, std::string("on the Docker host")); };
  return p;
}

const PreflightCheck* find(const std::vector<PreflightCheck>& checks, const std::string& name) {
  for (const auto& c : checks) {
    if (c.name == name) {
      return &c;
    }
  }
  return nullptr;
}

TEST_CASE("runtime docker is built: the example runs, checked by daemon and images, not the host's servers",
          "[runner][preflight][containers]") {
  const auto v = docker_example();
  CHECK(runtime_not_built(v.exp.stack).empty());
  std::vector<std::string> asked;
  auto p = healthy_docker_host();
  p.docker_image = [&](const std::string& image) {
    asked.push_back(image);
    return std::make_pair(true, std::string("on the Docker host"));
  };
  const auto checks = preflight(&v, p);
  CHECK(format_failures(checks, "x").empty());
  REQUIRE(find(checks, "docker daemon") != nullptr);
  CHECK(find(checks, "docker daemon")->found == "dockerd 20.10.24");
  // Each image once, though three services share one.
  CHECK(asked ==
        std::vector<std::string>{"faultline-test/haproxy:bookworm", "faultline-test/nginx:bookworm"});
  CHECK(find(checks, "image faultline-test/nginx:bookworm") != nullptr);
  CHECK(find(checks, "haproxy") == nullptr);
  CHECK(find(checks, "nginx") == nullptr);
  CHECK(find(checks, "host firewall (FORWARD)") == nullptr);
  CHECK(find(checks, "subnet") != nullptr);
  CHECK(find(checks, "root") != nullptr);
}

TEST_CASE("runtime docker without a daemon says how to start one and checks no image",
          "[runner][preflight][containers]") {
  const auto v = docker_example();
  auto p = healthy_docker_host();
  bool images_asked = false;
  p.docker_daemon = [] { return std::make_pair(false, std::string("cannot connect")); };
  p.docker_image = [&](const std::string&) {
    images_asked = true;
    return std::make_pair(true, std::string());
  };
  const auto checks = preflight(&v, p);
  const auto* daemon = find(checks, "docker daemon");
  REQUIRE(daemon != nullptr);
  CHECK_FALSE(daemon->ok);
  CHECK(daemon->found == "cannot connect");
  CHECK_THAT(daemon->fix, Catch::Contains("scripts/dockerd.sh start"));
  CHECK_FALSE(images_asked);
}

TEST_CASE("a missing test image points at scripts/test-images.sh, another image at docker pull",
          "[runner][preflight][containers]") {
  auto v = docker_example();
  v.exp.stack.services[1].image = "registry.example/shop/web:1.4";
  auto p = healthy_docker_host();
  p.docker_image = [](const std::string& image) {
    return std::make_pair(false, std::string("not on the Docker host: ") + image);
  };
  const auto checks = preflight(&v, p);
  const auto* test_image = find(checks, "image faultline-test/haproxy:bookworm");
  REQUIRE(test_image != nullptr);
  CHECK_FALSE(test_image->ok);
  CHECK_THAT(test_image->fix, Catch::Contains("scripts/test-images.sh"));
  const auto* other = find(checks, "image registry.example/shop/web:1.4");
  REQUIRE(other != nullptr);
  CHECK_THAT(other->fix, Catch::StartsWith("docker pull registry.example/shop/web:1.4"));
  CHECK_THAT(
      format_failures(checks, "faultline run: preflight"),
      Catch::Contains("faultline run: preflight: image registry.example/shop/web:1.4: not on the Docker "
                      "host: registry.example/shop/web:1.4"));
}

TEST_CASE("the system's docker probes ask the daemon, pull only when allowed and never a test image",
          "[runner][preflight][containers]") {
  std::vector<std::string> pulls;
  FakeDockerDaemon daemon([&](const RecordedRequest& r) -> std::optional<std::string> {
    if (r.target == "/v1.41/_ping") {
      return http_answer(200, "OK", "text/plain");
    }
    if (r.target == "/v1.41/version") {
      return http_answer(200, R"({"Version":"20.10.24+dfsg1","ApiVersion":"1.41"})");
    }
    if (r.target.rfind("/v1.41/images/faultline-test/nginx:bookworm/json", 0) == 0) {
      return http_answer(200, R"({"Id":"sha256:1"})");
    }
    if (r.target.rfind("/v1.41/images/create", 0) == 0) {
      pulls.push_back(r.target);
      return http_answer(500, R"({"message":"Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup )"
                              R"(registry-1.docker.io: no such host"})");
    }
    return http_answer(404, R"({"message":"no such image"})");
  });
  PreflightProbes p;
  add_docker_probes(p, false, daemon.socket_path());
  const auto [up, found] = p.docker_daemon();
  CHECK(up);
  CHECK(found == "dockerd 20.10.24+dfsg1 at " + daemon.socket_path() + " (API 1.41; faultline speaks 1.41)");
  CHECK(p.docker_image("faultline-test/nginx:bookworm") ==
        std::make_pair(true, std::string("on the Docker host")));
  CHECK(p.docker_image("haproxy:2.8") == std::make_pair(false, std::string("not on the Docker host")));
  CHECK(pulls.empty());

  add_docker_probes(p, true, daemon.socket_path());
  CHECK(p.docker_image("faultline-test/haproxy:bookworm") ==
        std::make_pair(false, std::string("not on the Docker host")));
  CHECK(pulls.empty());
  const auto [pulled, said] = p.docker_image("haproxy:2.8");
  CHECK_FALSE(pulled);
  CHECK_THAT(said,
             Catch::StartsWith("not on the Docker host, and cannot pull image haproxy:2.8 (is a registry "
                               "reachable?)"));
  CHECK_THAT(said, Catch::Contains("no such host"));
  CHECK(pulls == std::vector<std::string>{"/v1.41/images/create?fromImage=haproxy&tag=2.8"});
}

}  // namespace
}  // namespace faultline::runner
