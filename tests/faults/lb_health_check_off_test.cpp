// lb_health_check_off's registration and parameter checks (its effect on real load balancers is
// covered by tests/integration/faults_lb_test.cpp).

#include <catch2/catch.hpp>

#include "fault_test_support.h"
#include "faults/registry.h"

using faultline::faults::testing::BoundMethod;
using faultline::faults::testing::expect_errors;

TEST_CASE("lb_health_check_off turns off one server's or every server's checks",
          "[faults][lb_health_check_off]") {
  const BoundMethod bound(
      "  - { at: 1s, fault: lb_health_check_off, target: lb }\n"
      "  - { at: 1s, fault: lb_health_check_off, target: lb, params: { server: web2 } }\n");
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 2);
  CHECK(bound.faults[0].fault->describe().find("turned off for every server") != std::string::npos);
  CHECK(bound.faults[1].fault->describe().find("turned off for web2") != std::string::npos);
}

TEST_CASE("lb_health_check_off needs a load balancer with health checks",
          "[faults][lb_health_check_off][bad-config]") {
  expect_errors("  - { at: 1s, fault: lb_health_check_off, target: lb2 }\n",
                {"t.yaml:12:51: error: load balancer lb2 has no health_check to turn off"});
}
