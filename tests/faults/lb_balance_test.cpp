// lb_balance's registration and parameter checks (its effect on real load balancers is
// covered by tests/integration/faults_lb_test.cpp).

#include <catch2/catch.hpp>

#include "fault_test_support.h"
#include "faults/registry.h"

using faultline::faults::testing::BoundMethod;
using faultline::faults::testing::expect_errors;

TEST_CASE("lb_balance binds an algorithm", "[faults][lb_balance]") {
  const BoundMethod bound("  - { at: 1s, fault: lb_balance, target: lb2, params: { algorithm: source } }\n");
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 1);
  CHECK(bound.faults[0].fault->describe().find("was changed to source") != std::string::npos);
}

TEST_CASE("lb_balance refuses an unknown algorithm with a hint", "[faults][lb_balance][bad-config]") {
  expect_errors("  - { at: 1s, fault: lb_balance, target: lb, params: { algorithm: sourse } }\n",
                {"t.yaml:12:67: error:", "did you mean 'source'?"});
}
