// What http_abort and http_delay change in the copy of a team's own config
// (tests/data/own/unit/): their rules go where the load enters, every
// frontend or listen section (nginx: server block) on the load balancer's
// port 8080, and nowhere else; the rest of each file stays byte for byte
// as the team wrote it, and revert gives every file back.

#include <catch2/catch.hpp>

#include "fault_test_support.h"
#include "faults/common/lb_team_http.h"
#include "lb_own_support.h"

using faultline::faults::testing::BoundMethod;
using faultline::faults::testing::replaced;
using faultline::faults::testing::team_stack;
using faultline::faults::testing::team_text;
using faultline::faults::testing::TeamStack;

namespace {

// Injects the one step `step` (on line 13: tags are "L13") on the team's
// config of `kind` into `stack` and returns the copy's `file` as the fault
// left it; reverts it and checks every changed file is the team's again.
std::string injected_text(TeamStack& stack, const std::string& kind, const std::string& step,
                          const std::string& file) {
  const BoundMethod bound(team_stack(kind), step);
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 1);
  auto& fault = *bound.faults[0].fault;
  const auto injected = fault.inject(stack);
  INFO((injected ? std::string("injected") : injected.error().message));
  REQUIRE(injected);
  REQUIRE(stack.reloads.size() == 1);
  const std::string text = stack.copy_text(file);
  REQUIRE(fault.revert(stack));
  for (const auto& f : stack.reloads[0]) {
    const std::string relative = f.path.substr(stack.copy_path("").size());
    CHECK(stack.copy_text(relative) == team_text(kind, relative));
  }
  return text;
}

const char* const kNginxServer = "    server {\n        listen 8080;\n";

}  // namespace

TEST_CASE("http_abort on a team's nginx config answers in the server block on the load's port only",
          "[faults][http_abort][own]") {
  TeamStack stack("nginx");
  const std::string text = injected_text(
      stack, "nginx", "  - { at: 1s, fault: http_abort, target: lb, params: { percent: 20% } }\n",
      "nginx.conf");
  std::string expected =
      replaced(team_text("nginx", "nginx.conf"), "http {\n",
               "http {\n    split_clients \"${request_id}\" $faultline_abort_L13 { 20.00% 1; * "
               "\"\"; }\n");
  expected = replaced(expected, kNginxServer,
                      "    server {\n        if ($faultline_abort_L13) { return 503 \"aborted by faultline "
                      "http_abort\\n\"; }\n        listen 8080;\n");
  CHECK(text == expected);
}

TEST_CASE("http_delay on a team's nginx config holds requests with an auth_request in the server on the port",
          "[faults][http_delay][own]") {
  TeamStack stack("nginx");
  const std::string text = injected_text(
      stack, "nginx", "  - { at: 1s, fault: http_delay, target: lb, params: { delay: 100ms } }\n",
      "nginx.conf");
  // The team's file loads no modules: the echo module is loaded first.
  std::string expected = replaced(team_text("nginx", "nginx.conf"), "events {}\n",
                                  "load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;\nevents {}\n");
  expected = replaced(expected, "http {\n",
                      "http {\n    split_clients \"${request_id}\" $faultline_delay_L13 { * 1; }\n");
  expected = replaced(expected, kNginxServer,
                      "    server {\n"
                      "        auth_request /faultline_hold_L13;\n"
                      "        location = /faultline_hold_L13 {\n"
                      "            internal;\n"
                      "            auth_request off;\n"
                      "            if ($faultline_delay_L13) {\n"
                      "                echo_sleep 0.100;\n"
                      "            }\n"
                      "            echo \"\";\n"
                      "        }\n"
                      "        listen 8080;\n");
  CHECK(text == expected);
}

TEST_CASE("http_abort and http_delay on a team's HAProxy config go into the frontends on the port only",
          "[faults][http][own]") {
  TeamStack stack("haproxy");
  const std::string team = team_text("haproxy", "haproxy.cfg");
  // Before the frontend's routing, where HAProxy reads http-request rules
  // (after it, HAProxy warns that they run first anyway).
  const std::string routes = "    use_backend be_static if { path_beg /static }\n";
  SECTION("abort") {
    const std::string text = injected_text(
        stack, "haproxy", "  - { at: 1s, fault: http_abort, target: lb, params: { percent: 30% } }\n",
        "haproxy.cfg");
    CHECK(text == replaced(team, routes,
                           "    http-request return status 503 content-type text/plain string \"aborted by "
                           "faultline http_abort\" if { rand(10000) lt 3000 }\n" +
                               routes));
  }
  SECTION("delay") {
    const std::string text = injected_text(
        stack, "haproxy",
        "  - { at: 1s, fault: http_delay, target: lb, params: { delay: 100ms, percent: 30% } }\n",
        "haproxy.cfg");
    const std::string script = stack.copy_path("faultline_delay_L13.lua");
    std::string expected = replaced(team, "level admin\n", "level admin\n    lua-load " + script + "\n");
    expected = replaced(expected, routes,
                        "    http-request lua.faultline_delay_L13 100 if { rand(10000) lt 3000 }\n" + routes);
    CHECK(text == expected);
    CHECK(faultline::read_text(script).find("core.msleep(tonumber(ms))") != std::string::npos);
  }
}

TEST_CASE("http_abort with a path prefix on a team's config aborts only that path's requests",
          "[faults][http_abort][own][path]") {
  SECTION("nginx: a map of share and path sets the variable the server's if reads") {
    TeamStack stack("nginx");
    const std::string text = injected_text(
        stack, "nginx",
        "  - { at: 1s, fault: http_abort, target: lb, params: { percent: 20%, path: /checkout } }\n",
        "nginx.conf");
    std::string expected =
        replaced(team_text("nginx", "nginx.conf"), "http {\n",
                 "http {\n"
                 "    split_clients \"${request_id}\" $faultline_abort_L13_share { 20.00% 1; * "
                 "\"\"; }\n"
                 "    map \"$faultline_abort_L13_share:$uri\" $faultline_abort_L13 {\n"
                 "        \"~^1:/checkout\" 1;\n"
                 "        default \"\";\n"
                 "    }\n");
    expected = replaced(expected, kNginxServer,
                        "    server {\n        if ($faultline_abort_L13) { return 503 \"aborted by faultline "
                        "http_abort\\n\"; }\n        listen 8080;\n");
    CHECK(text == expected);
  }
  SECTION("HAProxy: path_beg beside the share") {
    TeamStack stack("haproxy");
    const std::string routes = "    use_backend be_static if { path_beg /static }\n";
    const std::string text = injected_text(
        stack, "haproxy",
        "  - { at: 1s, fault: http_abort, target: lb, params: { percent: 30%, path: /checkout } }\n",
        "haproxy.cfg");
    CHECK(text == replaced(team_text("haproxy", "haproxy.cfg"), routes,
                           "    http-request return status 503 content-type text/plain string \"aborted by "
                           "faultline http_abort\" if { path_beg /checkout } { rand(10000) lt 3000 }\n" +
                               routes));
  }
}

TEST_CASE("an HTTP fault on a team's config where nothing listens on the load's port fails, naming what does",
          "[faults][http][own]") {
  const std::string kind = GENERATE("haproxy", "nginx");
  TeamStack stack(kind);
  stack.set_lb_port(9999);
  const BoundMethod bound(team_stack(kind),
                          "  - { at: 1s, fault: http_abort, target: lb, params: { percent: 30% } }\n");
  REQUIRE(bound.faults.size() == 1);
  const auto injected = bound.faults[0].fault->inject(stack);
  REQUIRE_FALSE(injected);
  INFO(injected.error().message);
  CHECK(injected.error().message.find("port 9999") != std::string::npos);
  if (kind == "haproxy") {
    CHECK(injected.error().message.find(":8080 (frontend fe_main), :8404 (listen stats)") !=
          std::string::npos);
  } else {
    CHECK(injected.error().message.find("ports listened on: 8080, 8081") != std::string::npos);
  }
  CHECK(stack.reloads.empty());
}

TEST_CASE("a team's nginx config that loads the echo module through an include is seen to load it",
          "[faults][http_delay][own]") {
  faultline::faults::testing::TempDir dir;
  std::filesystem::create_directories(dir.path + "/modules-enabled");
  std::ofstream(dir.path + "/modules-enabled/50-mod-http-echo.conf")
      << "load_module modules/ngx_http_echo_module.so;\n";
  std::ofstream(dir.path + "/nginx.conf") << "include modules-enabled/*.conf;\nevents {}\nhttp {}\n";
  auto with = faultline::faults::TeamConfig::load(faultline::experiment::ServiceKind::nginx,
                                                  dir.path + "/nginx.conf");
  REQUIRE(with);
  CHECK(faultline::faults::nginx_loads_module(*with, "ngx_http_echo_module.so"));
  CHECK_FALSE(faultline::faults::nginx_loads_module(*with, "ngx_stream_module.so"));
  auto without = faultline::faults::TeamConfig::load(faultline::experiment::ServiceKind::nginx,
                                                     faultline::faults::testing::team_main("nginx"));
  REQUIRE(without);
  CHECK_FALSE(faultline::faults::nginx_loads_module(*without, "ngx_http_echo_module.so"));
}
