// lb_maxconn's registration and parameter checks (its effect on real load balancers is
// covered by tests/integration/faults_lb_test.cpp).

#include <catch2/catch.hpp>

#include "fault_test_support.h"
#include "faults/registry.h"

using faultline::faults::testing::BoundMethod;
using faultline::faults::testing::expect_errors;

TEST_CASE("lb_maxconn binds a limit and a queue timeout", "[faults][lb_maxconn]") {
  const BoundMethod bound(
      "  - { at: 1s, fault: lb_maxconn, target: lb, params: { maxconn: 2, queue_timeout: 5ms } }\n"
      "  - { at: 1s, fault: lb_maxconn, target: lb2, params: { maxconn: 1, server: web1 } }\n");
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 2);
  CHECK(bound.faults[0].fault->describe().find("of every server on load balancer lb was set to 2") !=
        std::string::npos);
  CHECK(bound.faults[0].fault->describe().find("at most 5ms") != std::string::npos);
  CHECK(bound.faults[1].fault->describe().find("of web1 on load balancer lb2 was set to 1") !=
        std::string::npos);
}

TEST_CASE("lb_maxconn refuses a zero limit and a queue timeout on nginx",
          "[faults][lb_maxconn][bad-config]") {
  expect_errors(
      "  - { at: 1s, fault: lb_maxconn, target: lb2, params: { maxconn: 0, queue_timeout: 5ms } }\n",
      {"parameter 'maxconn' is 0, outside 1..100000", "nginx has no request queue"});
}
