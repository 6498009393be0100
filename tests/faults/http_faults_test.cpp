// http_abort and http_delay: parameters, descriptions, and the config text
// they build (their effect through real load balancers is covered by
// tests/integration/faults_http_test.cpp).

#include <catch2/catch.hpp>

#include "fault_test_support.h"
#include "faults/common/lb_reconfig.h"
#include "faults/common/request_sample.h"
#include "faults/registry.h"

using faultline::faults::testing::BoundMethod;
using faultline::faults::testing::expect_errors;

TEST_CASE("http_abort binds with defaults and with a share and status", "[faults][http_abort]") {
  const BoundMethod bound(
      "  - { at: 1s, fault: http_abort, target: lb }\n"
      "  - { at: 1s, fault: http_abort, target: lb2, params: { percent: 12.5%, status: 502 } }\n");
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 2);
  CHECK(bound.faults[0].fault->describe() ==
        "load balancer lb answered 100% of requests itself with HTTP 503");
  CHECK(bound.faults[1].fault->describe() ==
        "load balancer lb2 answered 12.5% of requests itself with HTTP 502");
}

TEST_CASE("http_abort refuses a status outside 400-599 and a backend target",
          "[faults][http_abort][bad-config]") {
  expect_errors(
      "  - { at: 1s, fault: http_abort, target: lb, params: { status: 200, percent: 150% } }\n"
      "  - { at: 1s, fault: http_abort, target: web1 }\n",
      {"t.yaml:12:", "'status'", "percentage from 0% to 100%", "t.yaml:13:"});
}

TEST_CASE("http_delay binds a delay and needs one", "[faults][http_delay]") {
  const BoundMethod bound(
      "  - { at: 1s, fault: http_delay, target: lb2, params: { delay: 250ms, percent: 30% } }\n");
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 1);
  CHECK(bound.faults[0].fault->describe() ==
        "load balancer lb2 held 30% of requests for 250ms before passing them on");

  expect_errors(
      "  - { at: 1s, fault: http_delay, target: lb, params: { delay: 2m } }\n"
      "  - { at: 1s, fault: http_delay, target: lb }\n",
      {"t.yaml:12:", "fault 'http_delay' needs parameter 'delay'"});
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
