// lb_maintenance's registration and parameter checks (its effect on real load balancers is
// covered by tests/integration/faults_lb_test.cpp).

#include <catch2/catch.hpp>

#include "fault_test_support.h"
#include "faults/registry.h"

using faultline::faults::testing::BoundMethod;
using faultline::faults::testing::expect_errors;

TEST_CASE("lb_maintenance binds and describes the server taken out", "[faults][lb_maintenance]") {
  const BoundMethod bound("  - { at: 1s, fault: lb_maintenance, target: lb2, params: { server: web1 } }\n");
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 1);
  CHECK(bound.faults[0].fault->describe() ==
        "server web1 on load balancer lb2 was put into maintenance: it received no traffic");
  CHECK(bound.faults[0].fault->suggested_measures().size() >= 2);
}

TEST_CASE("lb_maintenance refuses bad parameters", "[faults][lb_maintenance][bad-config]") {
  expect_errors("  - { at: 1s, fault: lb_maintenance, target: lb, params: { server: web1, sever: x } }\n",
                {"unknown parameter 'sever' for fault 'lb_maintenance'"});
}
