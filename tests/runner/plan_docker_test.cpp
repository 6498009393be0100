// `faultline plan` on runtime docker: the containers, images, config paths
// and network a run would make, and the daemon's word on the images, with
// nothing pulled.

#include <catch2/catch.hpp>

#include "harness/common/scratch_dir.h"
#include "harness/runner/plan_view.h"
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

TEST_CASE("plan on runtime docker names containers, images, config paths and the network",
          "[runner][plan][containers]") {
  FakeDockerDaemon daemon([](const RecordedRequest& r) -> std::optional<std::string> {
    if (r.target == "/v1.41/_ping") {
      return http_answer(200, "OK", "text/plain");
    }
    if (r.target == "/v1.41/version") {
      return http_answer(200, R"({"Version":"20.10.24","ApiVersion":"1.41"})");
    }
    if (r.target.rfind("/v1.41/images/faultline-test/nginx:bookworm/json", 0) == 0) {
      return http_answer(200, R"({"Id":"sha256:1"})");
    }
    return http_answer(404, R"({"message":"no such image"})");
  });
  const auto v = docker_example();
  ScratchDir registry("faultline-plan-docker");
  PlanOptions options;
  options.registry_dir = registry.path();
  options.docker_socket = daemon.socket_path();
  const PlanView view = gather_plan(v, options);
  REQUIRE(view.plan);
  CHECK(view.docker_up);
  const std::string text = format_plan(view);
  INFO(text);
  CHECK_THAT(text, Catch::Contains("Stack: 4 services, runtime docker, on " + view.plan->subnet));
  CHECK_THAT(text,
             Catch::Contains("containers on the Docker network faultline-<run id> (bridge fld-<run id>), "
                             "labelled org.faultline.run=<run id>; the daemon: dockerd 20.10.24 at " +
                             daemon.socket_path()));
  CHECK_THAT(text,
             Catch::Contains("container: faultline-<run id>-lb from image faultline-test/haproxy:bookworm "
                             "(not on the Docker host), its config mounted at /etc/haproxy/haproxy.cfg"));
  CHECK_THAT(text,
             Catch::Contains("container: faultline-<run id>-web2 from image faultline-test/nginx:bookworm "
                             "(on the Docker host), its config mounted at /etc/nginx/nginx.conf"));
  // Looked at, never pulled.
  for (const auto& r : daemon.requests()) {
    CHECK(r.target.find("/images/create") == std::string::npos);
  }
}

TEST_CASE("plan on runtime docker without a daemon still shows the stack, and says so",
          "[runner][plan][containers]") {
  const auto v = docker_example();
  ScratchDir registry("faultline-plan-docker");
  PlanOptions options;
  options.registry_dir = registry.path();
  options.docker_socket = registry.path() + "/no.sock";
  const PlanView view = gather_plan(v, options);
  CHECK_FALSE(view.docker_up);
  CHECK(view.images.empty());
  const std::string text = format_plan(view);
  CHECK_THAT(text,
             Catch::Contains("; no Docker daemon answers: Docker Engine API, GET /_ping: cannot connect"));
  CHECK_THAT(text,
             Catch::Contains("container: faultline-<run id>-web1 from image faultline-test/nginx:bookworm, "
                             "its config mounted at /etc/nginx/nginx.conf"));
}

}  // namespace
}  // namespace faultline::runner
