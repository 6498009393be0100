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

TEST_CASE("http_abort and http_delay take a path prefix, said in their description", "[faults][http][path]") {
  const BoundMethod bound(
      "  - { at: 1s, fault: http_abort, target: lb, params: { path: /checkout } }\n"
      "  - { at: 1s, fault: http_delay, target: lb2, params: { delay: 400ms, path: /api/v2.1/ } }\n");
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 2);
  CHECK(bound.faults[0].fault->describe() ==
        "load balancer lb answered 100% of requests on paths starting with /checkout itself with HTTP 503");
  CHECK(bound.faults[1].fault->describe() ==
        "load balancer lb2 held 100% of requests on paths starting with /api/v2.1/ for 400ms before passing "
        "them on");
}

TEST_CASE("a path prefix that is not one is refused at its value", "[faults][http][path][bad-config]") {
  expect_errors(
      "  - { at: 1s, fault: http_abort, target: lb, params: { path: checkout } }\n"
      "  - { at: 1s, fault: http_delay, target: lb, params: { delay: 1s, path: \"/a b\" } }\n"
      "  - { at: 1s, fault: http_delay, target: lb, params: { delay: 1s, path: \"/a;b\" } }\n",
      {"t.yaml:12:", "'path' must be a path prefix starting with '/', not 'checkout'",
       "t.yaml:13:", "not '/a b'", "t.yaml:14:", "not '/a;b'"});
}

TEST_CASE("a path prefix joins the share in HAProxy's condition and nginx's map", "[faults][http][path]") {
  using namespace faultline::faults;
  CHECK(is_path_prefix("/"));
  CHECK(is_path_prefix("/checkout"));
  CHECK(is_path_prefix("/api/v2.1/items_x-y~z:@,=+"));
  CHECK_FALSE(is_path_prefix(""));
  CHECK_FALSE(is_path_prefix("checkout"));
  CHECK_FALSE(is_path_prefix("/a b"));
  CHECK_FALSE(is_path_prefix("/a\"b"));
  CHECK_FALSE(is_path_prefix("/a{b}"));
  CHECK_FALSE(is_path_prefix("/a?b"));
  CHECK_FALSE(is_path_prefix("/a%20b"));

  CHECK(haproxy_request_condition(0.2, "") == " if { rand(10000) lt 2000 }");
  CHECK(haproxy_request_condition(1.0, "") == "");
  CHECK(haproxy_request_condition(1.0, "/checkout") == " if { path_beg /checkout }");
  CHECK(haproxy_request_condition(0.2, "/checkout") == " if { path_beg /checkout } { rand(10000) lt 2000 }");

  CHECK(nginx_request_block("v", 0.125, "") == nginx_sample_block("v", 0.125));
  CHECK(nginx_request_block("v", 1.0, "/checkout") ==
        "split_clients \"${request_id}\" $v_share { * 1; }\n"
        "map \"$v_share:$uri\" $v {\n"
        "    \"~^1:/checkout\" 1;\n"
        "    default \"\";\n"
        "}");
  // . and + are the prefix's only characters special in a regular expression.
  CHECK(nginx_request_block("v", 0.5, "/v2.1+x") ==
        "split_clients \"${request_id}\" $v_share { 50.00% 1; * \"\"; }\n"
        "map \"$v_share:$uri\" $v {\n"
        "    \"~^1:/v2[.]1[+]x\" 1;\n"
        "    default \"\";\n"
        "}");
}
