// http_abort and http_delay: parameters, descriptions, and the config text
// they build (their effect through real load balancers is covered by
// tests/integration/faults_http_test.cpp).

#include <catch2/catch.hpp>

#include "faults/common/lb_reconfig.h"
#include "faults/common/request_sample.h"
#include "faults/registry.h"
#include "harness/experiment/loader.h"

namespace {

using faultline::experiment::Diagnostics;

// Method steps start on line 12.
const char* kStack = R"(version: 1
title: t
stack:
  services:
    lb: { kind: haproxy, backends: [web1, web2] }
    lb2: { kind: nginx, backends: [web1, web2] }
    web1: { kind: nginx }
    web2: { kind: nginx }
load: { target: lb, rate: 10/s, duration: 10s }
expect: breach
method:
)";

std::vector<faultline::faults::BoundFault> bind_steps(const std::string& steps, Diagnostics& diags,
                                                      faultline::experiment::Experiment& exp) {
  exp = faultline::experiment::load_string(std::string(kStack) + steps, "t.yaml", {}, diags);
  REQUIRE_FALSE(diags.has_errors());
  return faultline::faults::bind_method(exp, diags);
}

}  // namespace

TEST_CASE("http_abort binds with defaults and with a share and status", "[faults][http_abort]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind_steps(
      "  - { at: 1s, fault: http_abort, target: lb }\n"
      "  - { at: 1s, fault: http_abort, target: lb2, params: { percent: 12.5%, status: 502 } }\n",
      diags, exp);
  INFO(diags.format());
  REQUIRE(bound.size() == 2);
  CHECK(bound[0].fault->describe() == "load balancer lb answered 100% of requests itself with HTTP 503");
  CHECK(bound[1].fault->describe() == "load balancer lb2 answered 12.5% of requests itself with HTTP 502");
}

TEST_CASE("http_abort refuses a status outside 400-599 and a backend target", "[faults][http_abort][bad-config]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind_steps(
      "  - { at: 1s, fault: http_abort, target: lb, params: { status: 200, percent: 150% } }\n"
      "  - { at: 1s, fault: http_abort, target: web1 }\n",
      diags, exp);
  CHECK(bound.empty());
  const std::string text = diags.format();
  INFO(text);
  CHECK(text.find("t.yaml:12:") != std::string::npos);
  CHECK(text.find("'status'") != std::string::npos);
  CHECK(text.find("percentage from 0% to 100%") != std::string::npos);
  CHECK(text.find("t.yaml:13:") != std::string::npos);
}

TEST_CASE("http_delay binds a delay and needs one", "[faults][http_delay]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind_steps("  - { at: 1s, fault: http_delay, target: lb2, params: { delay: 250ms, percent: 30% } }\n",
                          diags, exp);
  INFO(diags.format());
  REQUIRE(bound.size() == 1);
  CHECK(bound[0].fault->describe() == "load balancer lb2 held 30% of requests for 250ms before passing them on");

  Diagnostics bad("t.yaml");
  auto none = bind_steps("  - { at: 1s, fault: http_delay, target: lb, params: { delay: 2m } }\n"
                         "  - { at: 1s, fault: http_delay, target: lb }\n",
                         bad, exp);
  CHECK(none.empty());
  const std::string text = bad.format();
  INFO(text);
  CHECK(text.find("t.yaml:12:") != std::string::npos);
  CHECK(text.find("fault 'http_delay' needs parameter 'delay'") != std::string::npos);
}

TEST_CASE("request samples are written at 0.01% resolution", "[faults][http]") {
  using namespace faultline::faults;
  CHECK(haproxy_sample_condition(1.0).empty());
  CHECK(haproxy_sample_condition(0.2) == " if { rand(10000) lt 2000 }");
  CHECK(haproxy_sample_condition(0.0005) == " if { rand(10000) lt 5 }");
  CHECK(nginx_sample_block("v", 0.125) == "split_clients \"${request_id}\" $v { 12.50% 1; * \"\"; }");
  CHECK(nginx_sample_block("v", 1.0) == "split_clients \"${request_id}\" $v { * 1; }");
  CHECK(nginx_sample_block("v", 0.0) == "split_clients \"${request_id}\" $v { * \"\"; }");
  CHECK(percent_text(0.2) == "20%");
  CHECK(percent_text(0.125) == "12.5%");
  CHECK(percent_text(0.005) == "0.5%");
}

TEST_CASE("nginx_fork_location copies the block and puts the rule first", "[faults][http]") {
  const std::string text =
      "http {\n"
      "  server {\n"
      "    location / {\n"
      "      proxy_pass http://be;\n"
      "      if ($x) { return 404; }\n"
      "    }\n"
      "  }\n"
      "}\n";
  auto out = faultline::faults::nginx_fork_location(text, "/", {"if ($d) { echo_exec @d; }"}, "@d");
  REQUIRE(out);
  CHECK(*out ==
        "http {\n"
        "  server {\n"
        "    location / {\n"
        "      if ($d) { echo_exec @d; }\n"
        "      proxy_pass http://be;\n"
        "      if ($x) { return 404; }\n"
        "    }\n"
        "    location @d {\n"
        "      proxy_pass http://be;\n"
        "      if ($x) { return 404; }\n"
        "    }\n"
        "  }\n"
        "}\n");
  CHECK_FALSE(faultline::faults::nginx_fork_location(text, "/api", {}, "@d"));
}
