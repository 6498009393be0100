// reset's registration and parameter checks (its effect on a real stack is
// measured in tests/integration/faults_net_shape_test.cpp).

#include <catch2/catch.hpp>

#include "fault_test_support.h"
#include "faults/registry.h"

using faultline::faults::testing::BoundMethod;
using faultline::faults::testing::expect_errors;

TEST_CASE("reset is registered with flows, port and an ingress default", "[faults][reset]") {
  const auto* t = faultline::faults::Registry::instance().find("reset");
  REQUIRE(t != nullptr);
  REQUIRE(t->params.size() == 4);
  CHECK(t->params[0].name == "flows");
  CHECK(t->params[1].name == "port");
  CHECK(t->params[2].name == "direction");
  CHECK(t->params[2].default_value == "ingress");
}

TEST_CASE("reset binds and describes which connections are reset", "[faults][reset]") {
  const BoundMethod bound(
      "  - { at: 1s, fault: reset, target: web1 }\n"
      "  - { at: 1s, fault: reset, target: web2, params: { flows: new, port: 80, peer: lb } }\n"
      "  - { at: 1s, fault: reset, target: lb, params: { flows: established, direction: egress } }\n");
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 3);
  CHECK(bound.faults[0].fault->describe() ==
        "TCP connections in traffic entering web1 were answered with TCP resets");
  CHECK(bound.faults[1].fault->describe() ==
        "new TCP connections on port 80 in traffic entering web2 from lb were answered with TCP resets");
  CHECK(bound.faults[2].fault->describe() ==
        "established TCP connections in traffic leaving lb were answered with TCP resets");
  CHECK(bound.faults[0].fault->suggested_measures().size() >= 2);
}

TEST_CASE("reset reports bad flows and port with their positions", "[faults][reset][bad-config]") {
  expect_errors("  - { at: 1s, fault: reset, target: web1, params: { flows: old, port: 70000 } }\n",
                {"t.yaml:12:60: error: parameter 'flows' cannot be 'old'",
                 "t.yaml:12:71: error: parameter 'port' is 70000, outside 1..65535"});
}
