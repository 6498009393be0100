// latency's registration and parameter checks (its effect on real traffic
// is covered by tests/integration/faults_net_delay_test).

#include <catch2/catch.hpp>

#include "fault_test_support.h"
#include "faults/registry.h"

using faultline::faults::testing::BoundMethod;
using faultline::faults::testing::expect_errors;

TEST_CASE("latency is registered with its parameters", "[faults][latency]") {
  const auto* t = faultline::faults::Registry::instance().find("latency");
  REQUIRE(t != nullptr);
  REQUIRE(t->params.size() == 5);
  CHECK(t->params[0].name == "delay");
  CHECK(t->params[0].default_value.empty());  // required
  CHECK(t->params[1].name == "jitter");
  CHECK(t->params[2].name == "correlation");
  CHECK(t->needs.target_kinds.empty());  // any service
}

TEST_CASE("latency binds valid parameters and describes the delay", "[faults][latency]") {
  const BoundMethod bound(
      "  - { at: 1s, fault: latency, target: web1, params: { delay: 100ms, jitter: 10ms, correlation: 25% } "
      "}\n");
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 1);
  CHECK(bound.faults[0].fault->describe() == "traffic leaving web1 was delayed by 100ms ± 10ms");
  CHECK(bound.faults[0].fault->suggested_measures().size() >= 2);
}

TEST_CASE("latency reports every bad parameter with its position", "[faults][latency][bad-config]") {
  expect_errors(
      "  - { at: 1s, fault: latency, target: lb, params: { delay: 10ms, jitter: 20ms, delya: 1s } }\n"
      "  - { at: 1s, fault: latency, target: lb, params: { delay: 2m } }\n"
      "  - { at: 1s, fault: latency, target: lb, params: { delay: 10ms, correlation: 50% } }\n"
      "  - { at: 1s, fault: latency, target: lb, params: { jitter: 1ms } }\n",
      {"t.yaml:12:74: error: jitter 20ms is larger than delay 10ms",
       "t.yaml:12:80: error: unknown parameter 'delya' for fault 'latency'",
       "t.yaml:13:60: error: parameter 'delay' is 2m, outside",
       "t.yaml:14:79: error: correlation without jitter has no effect",
       "fault 'latency' needs parameter 'delay'"});
}
