// lb_weight's registration and parameter checks (its effect on a real
// HAProxy is covered by tests/integration).

#include <catch2/catch.hpp>

#include "fault_test_support.h"
#include "faults/registry.h"

using faultline::faults::testing::BoundMethod;
using faultline::faults::testing::expect_errors;

TEST_CASE("lb_weight is registered with its parameters", "[faults][lb_weight]") {
  const auto* t = faultline::faults::Registry::instance().find("lb_weight");
  REQUIRE(t != nullptr);
  REQUIRE(t->params.size() == 4);
  CHECK(t->params[0].name == "server");
  CHECK(t->params[1].name == "backend");
  CHECK(t->needs.target_kinds.size() == 2);
}

TEST_CASE("lb_weight binds valid parameters and describes the change", "[faults][lb_weight]") {
  const BoundMethod bound(
      "  - { at: 1s, fault: lb_weight, target: lb, params: { server: web1, weight: 9, others: 1 } }\n");
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 1);
  CHECK(bound.faults[0].fault->describe() ==
        "the weight of web1 on load balancer lb was set to 9 and the weight of every other server to 1");
  CHECK_FALSE(bound.faults[0].fault->suggested_measures().empty());
}

TEST_CASE("lb_weight reports every bad parameter with its position", "[faults][lb_weight][bad-config]") {
  expect_errors(
      "  - at: 1s\n    fault: lb_weight\n    target: lb\n    params: { server: web7, weight: -1, wieght: 2 "
      "}\n",
      {"t.yaml:15:23: error: 'web7' is not a backend of lb",
       "t.yaml:15:37: error: parameter 'weight' is -1, outside 0..256",
       "t.yaml:15:41: error: unknown parameter 'wieght' for fault 'lb_weight'",
       "hint: did you mean 'weight'?"});
}

TEST_CASE("lb_weight needs its required parameters", "[faults][lb_weight][bad-config]") {
  expect_errors("  - { at: 1s, fault: lb_weight, target: lb }\n",
                {"fault 'lb_weight' needs parameter 'server'", "fault 'lb_weight' needs parameter 'weight'"});
}

TEST_CASE("a load-balancer fault that targets a plain backend is refused", "[faults][bad-config]") {
  expect_errors("  - { at: 1s, fault: lb_weight, target: web1, params: { server: web1, weight: 1 } }\n",
                {"t.yaml:12:41: error: fault 'lb_weight' cannot target web1: it is a backend, not a "
                 "load balancer"});
}
