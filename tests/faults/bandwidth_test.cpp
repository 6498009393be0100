// bandwidth's registration and parameter checks (its effect on real traffic
// is measured in tests/integration/faults_net_shape_test.cpp).

#include <catch2/catch.hpp>

#include "fault_test_support.h"
#include "faults/registry.h"

using faultline::faults::testing::BoundMethod;
using faultline::faults::testing::expect_errors;

TEST_CASE("bandwidth is registered with its parameters and needs tbf", "[faults][bandwidth]") {
  const auto* t = faultline::faults::Registry::instance().find("bandwidth");
  REQUIRE(t != nullptr);
  REQUIRE(t->params.size() == 5);
  CHECK(t->params[0].name == "rate");
  CHECK(t->params[3].name == "direction");
  CHECK(t->needs.kernel_feature == "sch_tbf");
  CHECK(t->needs.target_kinds.empty());
}

TEST_CASE("bandwidth binds a rate in bits per second and describes the cap", "[faults][bandwidth]") {
  const BoundMethod bound("  - { at: 1s, fault: bandwidth, target: lb, params: { rate: 8mbit } }\n");
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 1);
  // What was done, for the postmortem; the token bucket that did it goes
  // to the journal's mechanism.
  CHECK(bound.faults[0].fault->describe() == "the bandwidth of traffic leaving lb was capped at 8mbit");
  CHECK_THAT(bound.faults[0].fault->mechanism(),
             Catch::StartsWith("a tbf qdisc on lb's eth0") && Catch::Contains("16384 bytes burst"));
  CHECK(bound.faults[0].fault->suggested_measures().size() >= 2);
}

TEST_CASE("bandwidth takes an explicit burst and the ingress direction", "[faults][bandwidth]") {
  const BoundMethod bound(
      "  - { at: 1s, fault: bandwidth, target: web1, params: { rate: 1gbit, burst: 64kb, direction: ingress "
      "} }\n");
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 1);
  CHECK(bound.faults[0].fault->describe() == "the bandwidth of traffic entering web1 was capped at 1gbit");
  CHECK_THAT(bound.faults[0].fault->mechanism(), Catch::Contains("65536 bytes burst"));
}

TEST_CASE("bandwidth reports a bad rate, burst and latency with their positions",
          "[faults][bandwidth][bad-config]") {
  expect_errors(
      "  - { at: 1s, fault: bandwidth, target: lb, params: { rate: 8mbps, burst: 1kb, latency: 20s } }\n",
      {"t.yaml:12:61: error: '8mbps' is not a rate", "hint: write a number and one of bit, kbit, mbit, gbit",
       "t.yaml:12:75: error: burst '1kb' is outside 2kb..64mb",
       "t.yaml:12:89: error: parameter 'latency' is 20s, outside 1ms..10s"});
}

TEST_CASE("bandwidth refuses a peer: tbf caps a whole interface", "[faults][bandwidth][bad-config]") {
  expect_errors("  - { at: 1s, fault: bandwidth, target: lb, params: { rate: 8mbit, peer: web1 } }\n",
                {"t.yaml:12:74: error: bandwidth caps a whole interface and takes no peer"});
}

TEST_CASE("bandwidth needs a rate, and one it can give tbf", "[faults][bandwidth][bad-config]") {
  expect_errors(
      "  - { at: 1s, fault: bandwidth, target: lb }\n"
      "  - { at: 2s, fault: bandwidth, target: lb, params: { rate: 100bit } }\n",
      {"fault 'bandwidth' needs parameter 'rate'",
       "t.yaml:13:61: error: rate '100bit' is outside 8kbit..17gbit"});
}
