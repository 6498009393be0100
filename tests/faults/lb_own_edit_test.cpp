// What the load-balancer faults change in the copy of a team's own config
// (tests/data/own/unit/): exactly the words or lines the fault is about,
// in the file that holds them (nginx: the included upstreams.conf), the
// rest byte for byte as the team wrote it; and revert gives every changed
// file back as it was. HAProxy's runtime API faults address the servers
// as the file names them.

#include <catch2/catch.hpp>

#include "fault_test_support.h"
#include "lb_own_support.h"

using faultline::faults::testing::BoundMethod;
using faultline::faults::testing::FakeRuntimeApi;
using faultline::faults::testing::replaced;
using faultline::faults::testing::team_stack;
using faultline::faults::testing::team_text;
using faultline::faults::testing::TeamStack;

namespace {

const char* const kUpstreams = "conf.d/upstreams.conf";

// Binds the one step `step` on the team's config of `kind`, injects it into
// `stack` and checks the copy's file `file` then reads `expected`, and
// every other file of the copy is untouched; reverts it and checks that
// every file is the team's again.
void check_edit(const std::string& kind, const std::string& step, const std::string& file,
                const std::string& expected) {
  const BoundMethod bound(team_stack(kind), step);
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 1);
  TeamStack stack(kind);
  auto& fault = *bound.faults[0].fault;
  const auto injected = fault.inject(stack);
  INFO((injected ? std::string("injected") : injected.error().message));
  REQUIRE(injected);
  REQUIRE(stack.reloads.size() == 1);
  REQUIRE(stack.reloads[0].size() == 1);  // the one file that changed
  CHECK(stack.reloads[0][0].path == stack.copy_path(file));
  CHECK(stack.copy_text(file) == expected);
  const std::string main = kind == "haproxy" ? "haproxy.cfg" : "nginx.conf";
  for (const auto& other : {main, std::string(kUpstreams)}) {
    if (other != file && (kind == "nginx" || other == main)) {
      CHECK(stack.copy_text(other) == team_text(kind, other));
    }
  }
  REQUIRE(fault.revert(stack));
  CHECK(stack.copy_text(file) == team_text(kind, file));
  REQUIRE(fault.revert(stack));  // idempotent: nothing more to restore
  CHECK(stack.reloads.size() == 2);
}

}  // namespace

TEST_CASE("nginx faults on a team's config edit the upstream entry in its included file",
          "[faults][own][edit]") {
  const std::string team = team_text("nginx", kUpstreams);
  check_edit("nginx",
             "  - { at: 1s, fault: lb_drain, target: lb, params: { backend: be_static, server: api1 } }\n",
             kUpstreams, replaced(team, "server api1:80;", "server api1:80 down;"));
  check_edit(
      "nginx",
      "  - { at: 1s, fault: lb_weight, target: lb, params: { backend: be_api, server: api1, weight: 0, "
      "others: 2 } }\n",
      kUpstreams,
      replaced(replaced(replaced(team, "server api1:9000 weight=10;", "server api1:9000 weight=10 down;"),
                        "server api2:9000 max_fails=3;", "server api2:9000 max_fails=3 weight=2;"),
               "server api2:9001;", "server api2:9001 weight=2;"));
  check_edit("nginx",
             "  - { at: 1s, fault: lb_maxconn, target: lb, params: { maxconn: 3, server: 'api2:9001' } }\n",
             kUpstreams, replaced(team, "server api2:9001;", "server api2:9001 max_conns=3;"));
  check_edit("nginx", "  - { at: 1s, fault: lb_health_check_off, target: lb, params: { backend: be_api } }\n",
             kUpstreams,
             replaced(replaced(replaced(team, "server api1:9000 weight=10;",
                                        "server api1:9000 weight=10 max_fails=0;"),
                               "server api2:9000 max_fails=3;", "server api2:9000 max_fails=0;"),
                      "server api2:9001;", "server api2:9001 max_fails=0;"));
  check_edit(
      "nginx",
      "  - { at: 1s, fault: lb_wrong_backend, target: lb, params: { backend: be_static, server: api1 } }\n",
      kUpstreams, replaced(team, "server api1:80;", "server api1:1;"));
  check_edit(
      "nginx",
      "  - { at: 1s, fault: lb_balance, target: lb, params: { algorithm: source, backend: be_static } }\n",
      kUpstreams, replaced(team, "    least_conn;\n", "    ip_hash;\n"));
}

TEST_CASE("nginx faults on a team's config edit the main file's blocks where they are written",
          "[faults][own][edit]") {
  const std::string team = team_text("nginx", "nginx.conf");
  // Every proxy_read_timeout the file writes, the http block's included;
  // the http block gets a proxy_send_timeout, which it had not.
  check_edit("nginx",
             "  - { at: 1s, fault: lb_timeout, target: lb, params: { timeout: server, value: 1ms } }\n",
             "nginx.conf",
             replaced(replaced(replaced(team, "http {\n", "http {\n    proxy_send_timeout 1ms;\n"),
                               "proxy_read_timeout 5s;", "proxy_read_timeout 1ms;"),
                      "proxy_read_timeout 2s;", "proxy_read_timeout 1ms;"));
  // With `backend`: only the locations passing to that upstream, each
  // replacing what it writes and adding what it lacks; the http block's
  // line stays for the others.
  check_edit("nginx",
             "  - { at: 1s, fault: lb_timeout, target: lb, params: { timeout: server, value: 1ms, backend: "
             "be_api } }\n",
             "nginx.conf",
             replaced(team, "            proxy_pass http://be_api;\n",
                      "            proxy_pass http://be_api;\n            proxy_read_timeout 1ms;\n"
                      "            proxy_send_timeout 1ms;\n"));
  check_edit("nginx",
             "  - { at: 1s, fault: lb_timeout, target: lb, params: { timeout: server, value: 1ms, backend: "
             "be_static } }\n",
             "nginx.conf",
             replaced(team, "            proxy_read_timeout 2s;\n",
                      "            proxy_read_timeout 1ms;\n            proxy_send_timeout 1ms;\n"));
  check_edit(
      "nginx",
      "  - { at: 1s, fault: lb_config, target: lb, params: { section: location /api, fragment: 'return 429;' "
      "} }\n",
      "nginx.conf",
      replaced(team, "        location /api {\n", "        location /api {\n            return 429;\n"));
}

TEST_CASE("HAProxy faults on a team's config edit the lines of the sections the file names",
          "[faults][own][edit]") {
  const std::string team = team_text("haproxy", "haproxy.cfg");
  check_edit(
      "haproxy",
      "  - { at: 1s, fault: lb_maxconn, target: lb, params: { maxconn: 1, backend: be_api, queue_timeout: "
      "5ms } "
      "}\n",
      "haproxy.cfg",
      replaced(replaced(replaced(team, "server api1 api1:9000 weight 10\n",
                                 "server api1 api1:9000 weight 10 maxconn 1\n"),
                        "server api2 api2:9000 check   # the second instance",
                        "server api2 api2:9000 check maxconn 1   # the second instance"),
               "    server api2 api2:9000 check maxconn 1   # the second instance\n",
               "    server api2 api2:9000 check maxconn 1   # the second instance\n    timeout queue 5ms\n"));
  // Checked by the backend's default-server line: `no-check` undoes it.
  check_edit(
      "haproxy",
      "  - { at: 1s, fault: lb_health_check_off, target: lb, params: { backend: be_api, server: api2 } }\n",
      "haproxy.cfg",
      replaced(team, "server api2 api2:9000 check   # the second instance",
               "server api2 api2:9000 no-check   # the second instance"));
  check_edit("haproxy", "  - { at: 1s, fault: lb_wrong_backend, target: lb, params: { server: api3 } }\n",
             "haproxy.cfg", replaced(team, "server api3 api3:9000", "server api3 api3:1"));
  check_edit(
      "haproxy",
      "  - { at: 1s, fault: lb_wrong_backend, target: lb, params: { server: api2, address: 127.0.0.1 } }\n",
      "haproxy.cfg", replaced(team, "server api2 api2:9000", "server api2 127.0.0.1:9000"));
  // In each section that uses it: replaced where written, else added.
  check_edit(
      "haproxy", "  - { at: 1s, fault: lb_timeout, target: lb, params: { timeout: server, value: 1ms } }\n",
      "haproxy.cfg",
      replaced(replaced(replaced(team, "    server api2 api2:9000 check   # the second instance\n",
                                 "    server api2 api2:9000 check   # the second instance\n    timeout "
                                 "server 1ms\n"),
                        "timeout server 2s", "timeout server 1ms"),
               "    server api3 api3:9000\n", "    server api3 api3:9000\n    timeout server 1ms\n"));
  // With `backend`: that section alone, its own line replaced or one added.
  check_edit("haproxy",
             "  - { at: 1s, fault: lb_timeout, target: lb, params: { timeout: server, value: 1ms, backend: "
             "be_static } }\n",
             "haproxy.cfg", replaced(team, "timeout server 2s", "timeout server 1ms"));
  check_edit(
      "haproxy",
      "  - { at: 1s, fault: lb_timeout, target: lb, params: { timeout: queue, value: 5ms, backend: stats "
      "} }\n",
      "haproxy.cfg",
      replaced(team, "    server api3 api3:9000\n", "    server api3 api3:9000\n    timeout queue 5ms\n"));
  check_edit(
      "haproxy",
      "  - { at: 1s, fault: lb_balance, target: lb, params: { algorithm: source, backend: be_static } }\n",
      "haproxy.cfg",
      replaced(team, "    server local unix@/run/static.sock\n",
               "    server local unix@/run/static.sock\n    balance source\n"));
  check_edit("haproxy",
             "  - { at: 1s, fault: lb_config, target: lb, params: { section: frontend fe_main, fragment: "
             "'http-request deny deny_status 429' } }\n",
             "haproxy.cfg",
             replaced(team, "    default_backend be_api\n",
                      "    default_backend be_api\n    http-request deny deny_status 429\n"));
}

TEST_CASE("HAProxy's runtime API faults on a team's config name the backend and server as the file does",
          "[faults][own][edit]") {
  FakeRuntimeApi api({"be_api/api1", "be_api/api2", "be_static/api1", "be_static/local"});
  const BoundMethod bound(
      team_stack("haproxy"),
      "  - { at: 1s, fault: lb_drain, target: lb, params: { backend: be_static, server: api1 } }\n"
      "  - { at: 1s, fault: lb_weight, target: lb, params: { backend: be_api, server: api2, weight: 3, "
      "others: 1 } }\n");
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 2);
  TeamStack stack("haproxy", api.path());
  for (const auto& f : bound.faults) {
    const auto injected = f.fault->inject(stack);
    INFO((injected ? std::string() : injected.error().message));
    REQUIRE(injected);
  }
  for (auto it = bound.faults.rbegin(); it != bound.faults.rend(); ++it) {
    REQUIRE(it->fault->revert(stack));
  }
  CHECK(api.commands() == std::vector<std::string>{
                              "show servers state be_static",
                              "set server be_static/api1 state drain",
                              "get weight be_api/api1",
                              "set weight be_api/api1 1",
                              "get weight be_api/api2",
                              "set weight be_api/api2 3",
                              "set weight be_api/api1 10",
                              "set weight be_api/api2 10",
                              "set server be_static/api1 state ready",
                          });
  CHECK(stack.reloads.empty());  // no reload, the copy untouched
  CHECK(stack.copy_text("haproxy.cfg") == team_text("haproxy", "haproxy.cfg"));
}
