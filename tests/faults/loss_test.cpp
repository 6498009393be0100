// loss's registration and parameter checks (its effect on real traffic is
// covered by tests/integration/faults_net_delay_test).

#include <catch2/catch.hpp>

#include "fault_test_support.h"
#include "faults/registry.h"

using faultline::faults::testing::BoundMethod;
using faultline::faults::testing::expect_errors;

TEST_CASE("loss is registered with its parameters", "[faults][loss]") {
  const auto* t = faultline::faults::Registry::instance().find("loss");
  REQUIRE(t != nullptr);
  REQUIRE(t->params.size() == 4);
  CHECK(t->params[0].name == "percent");
  CHECK(t->params[1].name == "correlation");
}

TEST_CASE("loss binds valid parameters and says what it dropped, not how", "[faults][loss]") {
  const BoundMethod bound(
      "  - { at: 1s, fault: loss, target: lb, params: { percent: 20%, peer: [web1] } }\n"
      "  - { at: 1s, fault: loss, target: web2, params: { percent: 5%, correlation: 50%, direction: both } "
      "}\n");
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 2);
  // The nftables table that drops is the journal's mechanism, not the
  // postmortem's root cause.
  CHECK(bound.faults[0].fault->describe() ==
        "20% of the packets in traffic leaving lb towards web1 were dropped");
  CHECK(bound.faults[0].fault->mechanism().empty());  // no table before inject
  CHECK(bound.faults[0].fault->kernel_path()->mechanism == "an nftables table in lb's network namespace");
  CHECK(bound.faults[1].fault->describe() ==
        "5% of the packets in traffic entering and leaving web2 were dropped in bursts (correlation 50%)");
  CHECK(bound.faults[0].fault->suggested_measures().size() >= 2);
}

TEST_CASE("loss reports every bad parameter with its position", "[faults][loss][bad-config]") {
  expect_errors(
      "  - { at: 1s, fault: loss, target: lb, params: { percent: 0% } }\n"
      "  - { at: 1s, fault: loss, target: lb, params: { percent: 120%, correlation: 100% } }\n"
      "  - { at: 1s, fault: loss, target: lb, params: { percent: lots } }\n"
      "  - { at: 1s, fault: loss, target: lb }\n",
      {"t.yaml:12:59: error: a loss of 0% does nothing",
       "t.yaml:13:59: error: parameter 'percent' must be a percentage",
       "t.yaml:13:78: error: a correlation of 100% repeats",
       "t.yaml:14:59: error: parameter 'percent' must be a percentage",
       "fault 'loss' needs parameter 'percent'"});
}
