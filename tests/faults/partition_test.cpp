// partition's registration and parameter checks (its effect on a real
// stack is measured in tests/integration/faults_net_shape_test.cpp).

#include <catch2/catch.hpp>

#include "fault_test_support.h"
#include "faults/registry.h"

using faultline::faults::testing::BoundMethod;
using faultline::faults::testing::expect_errors;

TEST_CASE("partition is registered with direction and peer, both ways by default", "[faults][partition]") {
  const auto* t = faultline::faults::Registry::instance().find("partition");
  REQUIRE(t != nullptr);
  REQUIRE(t->params.size() == 2);
  CHECK(t->params[0].name == "direction");
  CHECK(t->params[0].default_value == "both");
  CHECK(t->params[1].name == "peer");
}

TEST_CASE("partition binds peers and describes the cut", "[faults][partition]") {
  const BoundMethod bound(
      "  - { at: 1s, fault: partition, target: web1, params: { peer: lb } }\n"
      "  - { at: 1s, fault: partition, target: lb, params: { peer: [web1, web2], direction: egress } }\n"
      "  - { at: 1s, fault: partition, target: web2 }\n");
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 3);
  CHECK(bound.faults[0].fault->describe() ==
        "the network was partitioned: traffic entering and leaving web1 to and from lb was dropped silently");
  CHECK(bound.faults[1].fault->describe() ==
        "the network was partitioned: traffic leaving lb towards web1, web2 was dropped silently");
  CHECK(bound.faults[2].fault->describe() ==
        "the network was partitioned: traffic entering and leaving web2 was dropped silently");
  CHECK(bound.faults[0].fault->suggested_measures().size() >= 2);
}

TEST_CASE("partition reports an unknown peer and direction with their positions",
          "[faults][partition][bad-config]") {
  expect_errors(
      "  - { at: 1s, fault: partition, target: web1, params: { peer: [lb, web9], direction: sideways } }\n",
      {"t.yaml:12:63: error: peer 'web9' is not a service of the stack",
       "t.yaml:12:86: error: parameter 'direction' cannot be 'sideways'"});
}

TEST_CASE("partition refuses its own target as a peer", "[faults][partition][bad-config]") {
  expect_errors("  - { at: 1s, fault: partition, target: web1, params: { peer: web1 } }\n",
                {"peer 'web1' is the fault's target itself"});
}
