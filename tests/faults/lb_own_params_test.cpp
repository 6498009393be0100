// The load-balancer faults on a team's own config, as `faultline validate`
// sees them: servers and sections named as the team's file names them
// (tests/data/own/unit/), each problem reported at the parameter with what
// the file has; and `backend` refused where faultline renders the config.

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "fault_test_support.h"
#include "lb_own_support.h"

using faultline::faults::testing::BoundMethod;
using faultline::faults::testing::expect_errors;
using faultline::faults::testing::team_stack;

namespace {

// Binds `steps` on the team's config of `kind`; they must all be refused,
// and the diagnostics contain each of `expected`.
void expect_team_errors(const std::string& kind, const std::string& steps,
                        std::initializer_list<std::string> expected) {
  const BoundMethod bound(team_stack(kind), steps);
  CHECK(bound.faults.empty());
  const std::string text = bound.diags.format();
  INFO(text);
  for (const auto& part : expected) {
    CHECK_THAT(text, Catch::Matchers::Contains(part));
  }
}

}  // namespace

TEST_CASE("on a team's haproxy.cfg a server is named as the file names it, its backend when not unique",
          "[faults][own]") {
  const BoundMethod bound(
      team_stack("haproxy"),
      "  - { at: 1s, fault: lb_drain, target: lb, params: { server: api2 } }\n"
      "  - { at: 1s, fault: lb_maintenance, target: lb, params: { backend: be_static, server: api1 } }\n"
      "  - { at: 1s, fault: lb_weight, target: lb, params: { backend: be_api, server: api1, weight: 0 } }\n");
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 3);
  CHECK(bound.faults[0].fault->describe() ==
        "server be_api/api2 on load balancer lb was set to drain: it received no new sessions");
  CHECK(bound.faults[1].fault->describe() ==
        "server be_static/api1 on load balancer lb was put into maintenance: it received no traffic");
  CHECK(bound.faults[2].fault->describe() == "the weight of be_api/api1 on load balancer lb was set to 0");
  CHECK(bound.faults[0].fault->mechanism() ==
        "HAProxy's runtime API on lb: `set server be_api/api2 state drain`, no reload");
}

TEST_CASE(
    "on a team's haproxy.cfg an unknown, ambiguous or misplaced server is refused with what the file has",
    "[faults][own][bad-config]") {
  expect_team_errors(
      "haproxy",
      "  - { at: 1s, fault: lb_drain, target: lb, params: { server: api1 } }\n"
      "  - { at: 1s, fault: lb_drain, target: lb, params: { server: api9 } }\n"
      "  - { at: 1s, fault: lb_drain, target: lb, params: { backend: be_nope, server: api1 } }\n"
      "  - { at: 1s, fault: lb_drain, target: lb, params: { backend: be_static, server: api2 } }\n",
      {"t.yaml:13:62: error: ",
       "server 'api1' is in 2 backends (be_api and be_static); name the backend as well",
       "hint: name a server as the team's file does", "t.yaml:14:62: error: ",
       "no server 'api9'; the servers are be_api/api1, be_api/api2, be_static/api1, "
       "be_static/local and stats/api3",
       "t.yaml:15:63: error: ",
       "no backend or listen section 'be_nope'; it has backend be_api, backend be_static and "
       "listen stats",
       "t.yaml:16:82: error: ", "backend be_static has no server 'api2'; its servers are api1 and local"});
}

TEST_CASE(
    "on a team's nginx.conf a server is an upstream's entry by its host, or its address when the host "
    "repeats",
    "[faults][own]") {
  const BoundMethod bound(
      team_stack("nginx"),
      "  - { at: 1s, fault: lb_drain, target: lb, params: { backend: be_static, server: api1 } }\n"
      "  - { at: 1s, fault: lb_wrong_backend, target: lb, params: { server: 'api2:9001' } }\n");
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 2);
  CHECK(bound.faults[0].fault->describe() ==
        "server be_static/api1 on load balancer lb was set to drain: it received no new sessions");
  CHECK(bound.faults[1].fault->describe() ==
        "server be_api/api2:9001 on load balancer lb was pointed at the wrong port 1 (connection refused)");
  CHECK_THAT(
      bound.faults[0].fault->mechanism(),
      Catch::Matchers::StartsWith("api1 marked `down` in upstream be_static of lb; a rewrite of lb's copy of "
                                  "nginx.conf and of the files it includes"));
}

TEST_CASE(
    "on a team's nginx.conf an unknown, ambiguous or misplaced server is refused with what the file has",
    "[faults][own][bad-config]") {
  expect_team_errors(
      "nginx",
      "  - { at: 1s, fault: lb_drain, target: lb, params: { server: api1 } }\n"
      "  - { at: 1s, fault: lb_drain, target: lb, params: { backend: be_api, server: api2 } }\n"
      "  - { at: 1s, fault: lb_drain, target: lb, params: { backend: be_nope, server: api1 } }\n"
      "  - { at: 1s, fault: lb_drain, target: lb, params: { server: api9 } }\n",
      {"t.yaml:13:62: error: ",
       "server 'api1' is in 2 upstreams (be_api and be_static); name the backend as well",
       "t.yaml:14:79: error: ",
       "upstream be_api has 2 servers with host 'api2' (api2:9000 and api2:9001); name one by its address",
       "t.yaml:15:63: error: ", "no upstream 'be_nope'; its upstreams are be_api and be_static",
       "t.yaml:16:62: error: ",
       "the file has no server 'api9'; the servers are be_api/api1:9000, "
       "be_api/api2:9000, be_api/api2:9001, be_static/api1:80 and be_static/unix:/run/static.sock"});
}

TEST_CASE("'backend' is refused on a load balancer whose config faultline renders",
          "[faults][own][bad-config]") {
  expect_errors(
      "  - { at: 1s, fault: lb_drain, target: lb, params: { backend: be_lb, server: web1 } }\n"
      "  - { at: 1s, fault: lb_balance, target: lb2, params: { backend: be_lb2, algorithm: source } }\n",
      {"t.yaml:12:63: error: 'backend' names a backend of a team's own config, and lb's config is rendered "
       "by faultline",
       "hint: leave 'backend' out: 'server' alone names the backend service",
       "t.yaml:13:66: error: 'backend' names a backend of a team's own config, and lb2's config"});
}

TEST_CASE("on a team's config the all-server faults take a backend's servers, or every server of the file",
          "[faults][own]") {
  for (const std::string kind : {"haproxy", "nginx"}) {
    const BoundMethod bound(
        team_stack(kind),
        "  - { at: 1s, fault: lb_maxconn, target: lb, params: { maxconn: 1, backend: be_api } }\n"
        "  - { at: 1s, fault: lb_health_check_off, target: lb, params: { backend: be_api } }\n"
        "  - { at: 1s, fault: lb_balance, target: lb, params: { algorithm: source, backend: "
        "be_static } }\n"
        "  - { at: 1s, fault: lb_balance, target: lb, params: { algorithm: leastconn } }\n");
    INFO(kind << ": " << bound.diags.format());
    REQUIRE(bound.faults.size() == 4);
    CHECK_THAT(
        bound.faults[0].fault->describe(),
        Catch::Matchers::StartsWith("the connection limit of every server of be_api on load balancer lb"));
    CHECK_THAT(
        bound.faults[1].fault->describe(),
        Catch::Matchers::StartsWith("health checks on load balancer lb were turned off for every server of "
                                    "be_api"));
    CHECK(bound.faults[2].fault->describe() ==
          "the balancing algorithm of load balancer lb was changed to source in be_static (client address "
          "hashing: "
          "one client address, one server)");
    CHECK(bound.faults[3].fault->describe() ==
          std::string(
              "the balancing algorithm of load balancer lb was changed to leastconn in be_api, be_static") +
              (kind == "haproxy" ? ", stats" : ""));
  }
}

TEST_CASE("on a team's haproxy.cfg health checks must be there to turn off, and a Unix socket has no port",
          "[faults][own][bad-config]") {
  expect_team_errors(
      "haproxy",
      "  - { at: 1s, fault: lb_health_check_off, target: lb, params: { backend: stats } }\n"
      "  - { at: 1s, fault: lb_wrong_backend, target: lb, params: { server: local } }\n"
      "  - { at: 1s, fault: lb_balance, target: lb, params: { algorithm: source, backend: be_x } }\n",
      {"t.yaml:13:74: error: no server named here has health checks to turn off in ",
       "t.yaml:14:70: error: server local of ", "listens on a Unix socket", "t.yaml:15:84: error: ",
       "no backend or listen section 'be_x'; it has backend be_api, backend "
       "be_static and listen stats"});
}

TEST_CASE("lb_timeout on a team's config changes one backend's timeout, never the client's",
          "[faults][own][lb_timeout]") {
  for (const std::string kind : {"haproxy", "nginx"}) {
    const BoundMethod bound(team_stack(kind),
                            "  - { at: 1s, fault: lb_timeout, target: lb, params: { timeout: connect, value: "
                            "1ms, backend: be_api "
                            "} }\n");
    INFO(kind << ": " << bound.diags.format());
    REQUIRE(bound.faults.size() == 1);
    CHECK(bound.faults[0].fault->describe() ==
          "the connect timeout of be_api on load balancer lb was set to 1ms");
  }
  expect_team_errors(
      "haproxy",
      "  - { at: 1s, fault: lb_timeout, target: lb, params: { timeout: client, value: 1ms, backend: be_api } "
      "}\n"
      "  - { at: 1s, fault: lb_timeout, target: lb, params: { timeout: server, value: 1ms, backend: be_x } "
      "}\n",
      {"t.yaml:13:94: error: `timeout client` belongs to the frontends (and listen sections) that take the "
       "clients' connections, and 'backend' names a backend",
       "hint: leave 'backend' out: the client timeout then changes wherever it applies",
       "t.yaml:14:94: error: ",
       "no backend or listen section 'be_x'; it has backend be_api, backend be_static and listen stats"});
  expect_team_errors(
      "nginx",
      "  - { at: 1s, fault: lb_timeout, target: lb, params: { timeout: client, value: 1ms, backend: be_api } "
      "}\n"
      "  - { at: 1s, fault: lb_timeout, target: lb, params: { timeout: server, value: 1ms, backend: be_x } "
      "}\n",
      {"t.yaml:13:94: error: the client timeouts (client_header_timeout, client_body_timeout, send_timeout) "
       "are about the clients' side of a connection, and 'backend' names an upstream",
       "t.yaml:14:94: error: ", "no upstream 'be_x'; it has upstream be_api and upstream be_static"});
}

TEST_CASE("lb_config on a team's config goes into a section as the file names it",
          "[faults][own][lb_config]") {
  const BoundMethod haproxy(team_stack("haproxy"),
                            "  - { at: 1s, fault: lb_config, target: lb, params: { section: frontend, "
                            "fragment: 'http-request deny' } }\n"
                            "  - { at: 1s, fault: lb_config, target: lb, params: { section: backend "
                            "be_static, fragment: 'retries 1' } }\n");
  INFO(haproxy.diags.format());
  REQUIRE(haproxy.faults.size() == 2);
  CHECK(haproxy.faults[0].fault->describe() ==
        "a configuration change (inline fragment) was applied to frontend fe_main of load balancer lb: "
        "'http-request deny'");
  CHECK(haproxy.faults[1].fault->describe() ==
        "a configuration change (inline fragment) was applied to backend be_static of load balancer lb: "
        "'retries 1'");
  const BoundMethod nginx(
      team_stack("nginx"),
      "  - { at: 1s, fault: lb_config, target: lb, params: { section: location /api, fragment: 'return 429;' "
      "} }\n"
      "  - { at: 1s, fault: lb_config, target: lb, params: { section: server :8081, fragment: 'return 503;' "
      "} }\n"
      "  - { at: 1s, fault: lb_config, target: lb, params: { section: defaults, fragment: 'gzip on;' } }\n");
  INFO(nginx.diags.format());
  REQUIRE(nginx.faults.size() == 3);
  CHECK(nginx.faults[0].fault->describe() ==
        "a configuration change (inline fragment) was applied to location /api of load balancer lb: 'return "
        "429;'");
  CHECK_THAT(nginx.faults[1].fault->describe(), Catch::Matchers::Contains("applied to server :8081 of"));
  CHECK_THAT(nginx.faults[2].fault->describe(), Catch::Matchers::Contains("applied to http of"));
}

TEST_CASE(
    "lb_config on a team's config refuses a section the file lacks or leaves in doubt, and a misfit fragment",
    "[faults][own][lb_config][bad-config]") {
  expect_team_errors(
      "haproxy",
      "  - { at: 1s, fault: lb_config, target: lb, params: { fragment: 'retries 1' } }\n"
      "  - { at: 1s, fault: lb_config, target: lb, params: { section: frontend fe_x, fragment: 'retries 1' } "
      "}\n"
      "  - { at: 1s, fault: lb_config, target: lb, params: { section: frontend, fragment: \"backend b\\n  "
      "server "
      "x y:1\" } }\n",
      {"t.yaml:13:5: error: ", "'backend' could be any of backend be_api and backend be_static; name one",
       "t.yaml:14:64: error: ",
       "no section 'frontend fe_x'; the sections are global, defaults, frontend fe_main, "
       "backend be_api, backend be_static and listen stats",
       "t.yaml:15:84: error: lb_config cannot add the fragment to frontend fe_main: ",
       "the lines for frontend "
       "fe_main open a section of their own"});
  expect_team_errors(
      "nginx",
      "  - { at: 1s, fault: lb_config, target: lb, params: { section: location /nope, fragment: 'return "
      "429;' } }\n"
      "  - { at: 1s, fault: lb_config, target: lb, params: { section: frontend, fragment: 'return 429;' } }\n"
      "  - { at: 1s, fault: lb_config, target: lb, params: { section: location /api, fragment: 'return 429' "
      "} }\n",
      {"t.yaml:13:64: error: ",
       "no block \"location /nope\"; it has main, events, http, upstream be_api, "
       "upstream be_static, server, server :8080, server :8081, location /api, location /static and location "
       "/",
       "t.yaml:14:64: error: ", "'frontend' could be any of server :8080 and server :8081; name one",
       "t.yaml:15:89: error: lb_config cannot add the fragment to location /api of ",
       "the fragment does not parse"});
}

TEST_CASE("the example of EXPERIMENT_FORMAT.md's load-balancer faults binds on the stack of own/good.yaml",
          "[faults][own][docs]") {
  const std::string doc =
      faultline::read_text(std::string(FAULTLINE_SOURCE_DIR) + "/docs/EXPERIMENT_FORMAT.md");
  const size_t section = doc.find("#### Load-balancer faults on your own config");
  REQUIRE(section != std::string::npos);
  const size_t open = doc.find("```yaml\n", section);
  REQUIRE(open != std::string::npos);
  const size_t end = doc.find("```", open + 8);
  REQUIRE(end != std::string::npos);
  const std::string example = doc.substr(open + 8, end - open - 8);
  REQUIRE(example.rfind("method:\n", 0) == 0);
  // good.yaml with the example as its method, in a folder that shows the
  // team's files where good.yaml's paths look for them.
  const std::string own = std::string(FAULTLINE_TEST_DATA) + "/experiments/own";
  const faultline::faults::testing::TempDir dir;
  for (const char* sub : {"lb", "app", "web"}) {
    std::filesystem::create_directory_symlink(own + "/" + sub, dir.path + "/" + sub);
  }
  const std::string file = dir.path + "/exp.yaml";
  std::ofstream(file) << faultline::read_text(own + "/good.yaml") + example;
  faultline::experiment::Diagnostics diags(file);
  const auto exp = faultline::experiment::load_file(file, {}, diags);
  const auto faults = faultline::faults::bind_method(exp, diags);
  INFO(diags.format());
  CHECK_FALSE(diags.has_errors());
  CHECK(faults.size() == 3);
}
