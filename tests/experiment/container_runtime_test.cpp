// The container runtimes in an experiment file: `runtime: docker` (images,
// config paths) and `runtime: compose` (attach to a project the team runs).
// Only the file format (the docker runtime's own tests are in tests/stack,
// tests/runner and tests/integration/docker_runtime_test.cpp). The two
// examples of docs/EXPERIMENT_FORMAT.md live in
// tests/data/experiments/containers/.

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "harness/experiment/loader.h"
#include "tests/experiment/expect_diags.h"
#include "tests/test_data.h"

using namespace faultline::experiment;
using faultline::testing::expect_diags;
using faultline::testing::Expected;
using faultline::testing::experiment_data;

namespace {

// An experiment with this stack section (from line 3) whose load goes to `target`.
std::string with_stack(const std::string& stack, const std::string& target = "lb") {
  return "title: t\n"
         "stack:\n" +
         stack + "load:\n  target: " + target + "\n  rate: 10/s\n  duration: 60s\nexpect: hold\n";
}

// Where `needle` first starts in `yaml`, 1-based, as the diagnostics count.
std::pair<int, int> pos_of(const std::string& yaml, const std::string& needle) {
  const auto at = yaml.find(needle);
  REQUIRE(at != std::string::npos);
  const auto line_start = yaml.rfind('\n', at);
  const int line = 1 + static_cast<int>(std::count(yaml.begin(), yaml.begin() + static_cast<long>(at), '\n'));
  const int col = static_cast<int>(at - (line_start == std::string::npos ? 0 : line_start + 1)) + 1;
  return {line, col};
}

// The diagnostic expected at `needle` in `yaml`.
Expected at(const std::string& yaml, const std::string& needle, const std::string& message,
            const std::string& hint = {}) {
  const auto [line, col] = pos_of(yaml, needle);
  return Expected{line, col, message, hint};
}

Experiment load(const std::string& yaml, Diagnostics& diags) {
  return load_string(yaml, "containers.yaml", {}, diags);
}

const Service& service(const Experiment& exp, const std::string& name) {
  const Service* s = exp.stack.find(name);
  REQUIRE(s != nullptr);
  return *s;
}

}  // namespace

TEST_CASE("the docker example loads: images, the official images' config paths, the team's config",
          "[experiment][loader][containers]") {
  Diagnostics diags;
  const Experiment exp = load_file(experiment_data("containers/docker.yaml"), {}, diags);
  INFO(diags.format());
  REQUIRE(diags.items().empty());
  CHECK(exp.stack.runtime == "docker");
  CHECK(exp.stack.runtime_pos.line == 4);
  CHECK(exp.stack.runtime_pos.col == 12);
  CHECK(exp.stack.project.empty());

  const Service& lb = service(exp, "lb");
  CHECK(lb.kind == ServiceKind::haproxy);
  CHECK(lb.image == "haproxy:2.8");
  CHECK(lb.image_pos.line == 6);
  CHECK(lb.config_path == "/usr/local/etc/haproxy/haproxy.cfg");
  CHECK(lb.backends == std::vector<std::string>{"web1", "web2"});
  CHECK(lb.is_load_balancer());
  CHECK_FALSE(lb.backends_from_config);
  CHECK_FALSE(lb.has_own_config());
  CHECK(lb.port == 80);
  CHECK_FALSE(lb.port_written);

  const Service& web1 = service(exp, "web1");
  CHECK(web1.image == "nginx:1.25");
  CHECK(web1.config_path == "/etc/nginx/nginx.conf");
  CHECK_FALSE(web1.is_load_balancer());

  // The team's file, mounted at the kind's path in a team's own image.
  const Service& web2 = service(exp, "web2");
  CHECK(web2.image == "registry.example/shop/web:1.4");
  CHECK(web2.config_path == "/etc/nginx/nginx.conf");
  CHECK(web2.has_own_config());
  CHECK(std::filesystem::path(web2.own.config).lexically_normal() ==
        std::filesystem::path(experiment_data("containers/web/nginx.conf")).lexically_normal());
}

TEST_CASE("the compose example loads: the project, kinds, and a haproxy that balances what its config names",
          "[experiment][loader][containers]") {
  Diagnostics diags;
  const Experiment exp = load_file(experiment_data("containers/compose.yaml"), {}, diags);
  INFO(diags.format());
  REQUIRE(diags.items().empty());
  CHECK(exp.stack.runtime == "compose");
  CHECK(exp.stack.project == "shop");
  CHECK(exp.stack.project_pos.line == 5);
  CHECK(exp.stack.project_pos.col == 12);
  CHECK_FALSE(exp.stack.subnet);

  const Service& lb = service(exp, "lb");
  CHECK(lb.kind == ServiceKind::haproxy);
  CHECK(lb.backends.empty());
  CHECK(lb.backends_from_config);
  CHECK(lb.is_load_balancer());
  // The load target's port is found when the run attaches.
  CHECK_FALSE(lb.port_written);
  CHECK(lb.image.empty());
  CHECK(lb.config_path.empty());

  const Service& web = service(exp, "web");
  CHECK(web.kind == ServiceKind::nginx);
  CHECK_FALSE(web.is_load_balancer());
  CHECK_FALSE(web.backends_from_config);
}

TEST_CASE("the config paths' defaults are the official images'", "[experiment][containers]") {
  CHECK(default_config_path(ServiceKind::haproxy) == "/usr/local/etc/haproxy/haproxy.cfg");
  CHECK(default_config_path(ServiceKind::nginx) == "/etc/nginx/nginx.conf");
  CHECK(default_config_path(ServiceKind::app).empty());
  CHECK(default_config_path(ServiceKind::process).empty());
}

TEST_CASE("on docker, config_path and port say where an image's server reads and listens",
          "[experiment][loader][containers]") {
  const std::string yaml = with_stack(
      "  runtime: docker\n"
      "  subnet: 10.213.7.0/24\n"
      "  services:\n"
      "    lb:\n"
      "      kind: haproxy\n"
      "      image: faultline-test/haproxy:bookworm\n"
      "      config_path: /etc/haproxy/haproxy.cfg\n"
      "      port: 8080\n"
      "      backends: [web]\n"
      "      weights: { web: 3 }\n"
      "    web: { kind: nginx, image: \"nginx@sha256:0123456789abcdef0123456789abcdef\", capacity: { rps: 50 "
      "} }\n"
      "    api: { kind: nginx, image: localhost:5000/shop/api_v2:1.4-rc.1 }\n");
  Diagnostics diags;
  const Experiment exp = load(yaml, diags);
  INFO(diags.format());
  REQUIRE(diags.items().empty());
  CHECK(exp.stack.subnet == "10.213.7.0/24");
  const Service& lb = service(exp, "lb");
  CHECK(lb.config_path == "/etc/haproxy/haproxy.cfg");
  CHECK(lb.port == 8080);
  CHECK(lb.port_written);
  CHECK(lb.weights.at("web") == 3);
  CHECK(service(exp, "web").image == "nginx@sha256:0123456789abcdef0123456789abcdef");
  CHECK(service(exp, "web").capacity->rps == 50);
  CHECK(service(exp, "api").image == "localhost:5000/shop/api_v2:1.4-rc.1");
}

TEST_CASE("on docker, a missing image, a kind without one and a program's keys are refused at their keys",
          "[experiment][loader][containers][bad-config]") {
  const std::string yaml = with_stack(
      "  runtime: docker\n"
      "  services:\n"
      "    lb:\n"
      "      kind: haproxy\n"
      "      backends: [web1, web2]\n"
      "      command: [haproxy, -f, /x]\n"
      "      env: { A: b }\n"
      "    web1: { kind: app }\n"
      "    web2: { kind: process, command: [x], port: 9000 }\n");
  Diagnostics diags;
  load(yaml, diags);
  expect_diags(diags,
               {at(yaml, "lb:", "service 'lb' needs 'image' on runtime docker", "image: haproxy:2.8"),
                at(yaml, "command:", "'command' does not apply on runtime docker", "command line of its own"),
                at(yaml, "env:", "'env' does not apply on runtime docker", "remove 'env'"),
                at(yaml, "app }", "kind app does not run on runtime docker", "an nginx image"),
                at(yaml, "process,", "kind process does not run on runtime docker", "runtime: compose")});
}

TEST_CASE("on docker, images and config paths that are not one are refused at their values",
          "[experiment][loader][containers][bad-config]") {
  const std::string yaml = with_stack(
      "  runtime: docker\n"
      "  services:\n"
      "    lb: { kind: haproxy, image: Shop/HAProxy:2.8, backends: [a, b, c, d, e, f, g], config_path: etc/x "
      "}\n"
      "    a: { kind: nginx, image: \"nginx 1.25\" }\n"
      "    b: { kind: nginx, image: \"nginx:-1\" }\n"
      "    c: { kind: nginx, image: \"nginx@sha256:xyz\" }\n"
      "    d: { kind: nginx, image: nginx:1.25, config_path: /etc/nginx/ }\n"
      "    e: { kind: nginx, image: nginx:1.25, config_path: /etc/../nginx.conf }\n"
      "    f: { kind: nginx, image: \"\" }\n"
      "    g: { kind: nginx, image: nginx }\n");
  Diagnostics diags;
  load(yaml, diags);
  expect_diags(
      diags,
      {at(yaml, "Shop/", "image repository names are lowercase", "did you mean 'shop/haproxy:2.8'?"),
       at(yaml, "etc/x", "'config_path' must be an absolute path inside the image",
          "/usr/local/etc/haproxy/haproxy.cfg"),
       at(yaml, "\"nginx 1.25\"", "'image' must be a Docker image reference, not 'nginx 1.25'", "nginx:1.25"),
       at(yaml, "\"nginx:-1\"", "'-1' is not an image tag"),
       at(yaml, "\"nginx@sha256:xyz\"", "'sha256:xyz' is not an image digest", "sha256"),
       at(yaml, "/etc/nginx/ }", "'config_path' must name a file, not the folder /etc/nginx/",
          "/etc/nginx/nginx.conf"),
       at(yaml, "/etc/../", "'config_path' must be a plain absolute path"),
       at(yaml, "\"\"", "'image' must not be empty"),
       // Valid, but latest is a moving target: a warning, not an error.
       at(yaml, "nginx }", "image 'nginx' has no tag: Docker runs nginx:latest", "pin a tag")});
  CHECK(diags.count(Severity::warning) == 1);
}

TEST_CASE("image, config_path and project are refused on the runtimes they do not apply to",
          "[experiment][loader][containers][bad-config]") {
  const std::string yaml = with_stack(
      "  project: shop\n"
      "  services:\n"
      "    lb: { kind: haproxy, backends: [web], image: haproxy:2.8 }\n"
      "    web: { kind: nginx, config_path: /etc/nginx/nginx.conf }\n");
  Diagnostics diags;
  load(yaml, diags);
  expect_diags(diags, {at(yaml, "project:", "'project' is for runtime: compose", "set runtime: compose"),
                       at(yaml, "image:", "'image' is for runtime: docker", "stack.runtime: docker"),
                       at(yaml, "config_path:", "'config_path' is for runtime: docker", "this machine's")});

  const std::string on_docker = with_stack(
      "  runtime: docker\n"
      "  project: shop\n"
      "  services:\n"
      "    lb: { kind: nginx, image: nginx:1.25 }\n");
  Diagnostics docker_diags;
  load(on_docker, docker_diags);
  expect_diags(docker_diags,
               {at(on_docker, "project:", "'project' is for runtime: compose", "runtime docker")});
}

TEST_CASE("on compose, the project is required and named as Compose names it",
          "[experiment][loader][containers][bad-config]") {
  const std::string missing = with_stack(
      "  runtime: compose\n"
      "  services:\n"
      "    lb: { kind: haproxy }\n");
  Diagnostics diags;
  load(missing, diags);
  expect_diags(diags, {at(missing, "compose", "runtime compose needs 'project' in stack", "project: shop")});

  const std::string upper = with_stack(
      "  runtime: compose\n"
      "  project: My.Shop\n"
      "  services:\n"
      "    lb: { kind: haproxy }\n");
  Diagnostics upper_diags;
  load(upper, upper_diags);
  expect_diags(upper_diags,
               {at(upper, "My.Shop", "'My.Shop' is not a Compose project name", "did you mean 'myshop'?")});
}

TEST_CASE("on compose, what the team's Compose file owns is refused with a hint naming it",
          "[experiment][loader][containers][bad-config]") {
  const std::string yaml = with_stack(
      "  runtime: compose\n"
      "  project: shop\n"
      "  subnet: 10.213.7.0/24\n"
      "  services:\n"
      "    lb:\n"
      "      kind: haproxy\n"
      "      image: haproxy:2.8\n"
      "      weights: { web_api: 2 }\n"
      "      backends: [web_api]\n"
      "    web_api: { kind: process, command: [x], capacity: { rps: 10 }, config: x.conf }\n"
      "    worker: { kind: app }\n");
  Diagnostics diags;
  load(yaml, diags);
  expect_diags(
      diags, {at(yaml, "subnet:", "'subnet' cannot be set on runtime compose", "creates no network"),
              at(yaml, "image:", "'image' cannot be set on runtime compose",
                 "the team's Compose file decides which image lb runs: faultline attaches to project 'shop'"),
              at(yaml, "weights:", "'weights' cannot be set on runtime compose", "decides how lb balances"),
              at(yaml, "command:", "'command' cannot be set on runtime compose", "how web_api starts"),
              at(yaml, "capacity:", "'capacity' cannot be set on runtime compose", "how much web_api serves"),
              at(yaml, "config:", "'config' cannot be set on runtime compose", "the config web_api runs"),
              at(yaml, "app }", "kind app does not apply on runtime compose", "kind: process")});
}

TEST_CASE("on compose, services take Compose's names, a port and backends",
          "[experiment][loader][containers]") {
  const std::string yaml = with_stack(
      "  runtime: compose\n"
      "  project: shop_2\n"
      "  services:\n"
      "    edge: { kind: nginx, port: 8080, backends: [web_api, Payments.Gateway-v2] }\n"
      "    web_api: { kind: process }\n"
      "    Payments.Gateway-v2: { kind: nginx }\n"
      "    lb: { kind: haproxy }\n",
      "edge");
  Diagnostics diags;
  const Experiment exp = load(yaml, diags);
  INFO(diags.format());
  REQUIRE(diags.items().empty());
  CHECK(exp.stack.project == "shop_2");
  const Service& edge = service(exp, "edge");
  CHECK(edge.port == 8080);
  CHECK(edge.port_written);
  CHECK(edge.backends == std::vector<std::string>{"web_api", "Payments.Gateway-v2"});
  CHECK_FALSE(edge.backends_from_config);
  CHECK(service(exp, "web_api").kind == ServiceKind::process);
  CHECK(service(exp, "lb").backends_from_config);

  // A name Compose would refuse, and a haproxy without backends is still a
  // load balancer, which cannot be another's backend.
  const std::string bad = with_stack(
      "  runtime: compose\n"
      "  project: shop\n"
      "  services:\n"
      "    edge: { kind: nginx, backends: [lb, _web] }\n"
      "    _web: { kind: nginx }\n"
      "    lb: { kind: haproxy }\n",
      "edge");
  Diagnostics bad_diags;
  load(bad, bad_diags);
  expect_diags(bad_diags, {at(bad, "lb, _web", "backend 'lb' is itself a load balancer"),
                           at(bad, "_web: {", "invalid service name '_web'", "Compose service name")});
}

TEST_CASE("a wrong runtime is reported once, not again at every service's keys",
          "[experiment][loader][containers][bad-config]") {
  const std::string yaml = with_stack(
      "  runtime: dokcer\n"
      "  project: shop\n"
      "  services:\n"
      "    lb: { kind: haproxy, backends: [web], image: haproxy:2.8 }\n"
      "    web: { kind: nginx, config_path: /etc/nginx/nginx.conf }\n");
  Diagnostics diags;
  const Experiment exp = load(yaml, diags);
  expect_diags(diags, {at(yaml, "dokcer", "runtime", "did you mean 'docker'?")});
  CHECK(exp.stack.runtime == "netns");

  const std::string local = with_stack(
      "  runtime: local\n"
      "  services:\n"
      "    lb: { kind: nginx }\n");
  Diagnostics local_diags;
  load(local, local_diags);
  expect_diags(local_diags, {at(local, "local", "runtime 'local' is not available yet", "netns")});
}
