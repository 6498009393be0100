// lb_timeout's registration and parameter checks (its effect on real load balancers is
// covered by tests/integration/faults_lb_test.cpp).

#include <catch2/catch.hpp>

#include "fault_test_support.h"
#include "faults/registry.h"

using faultline::faults::testing::BoundMethod;
using faultline::faults::testing::expect_errors;

TEST_CASE("lb_timeout binds which timeout and its value", "[faults][lb_timeout]") {
  const BoundMethod bound(
      "  - { at: 1s, fault: lb_timeout, target: lb, params: { timeout: server, value: 1ms } }\n");
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 1);
  CHECK(bound.faults[0].fault->describe() == "the server timeout of load balancer lb was set to 1ms");
}

TEST_CASE("lb_timeout refuses a queue timeout on nginx and a missing value",
          "[faults][lb_timeout][bad-config]") {
  expect_errors(
      "  - { at: 1s, fault: lb_timeout, target: lb2, params: { timeout: queue } }\n",
      {"nginx has no request queue, so no queue timeout", "fault 'lb_timeout' needs parameter 'value'"});
}

TEST_CASE("lb_timeout refuses 'backend' on a load balancer whose config faultline renders",
          "[faults][lb_timeout][bad-config]") {
  expect_errors(
      "  - { at: 1s, fault: lb_timeout, target: lb, params: { timeout: server, value: 1ms, backend: be_lb } "
      "}\n",
      {"t.yaml:12:94: error: 'backend' names a backend of a team's own config, and lb's config is rendered "
       "by "
       "faultline"});
}
