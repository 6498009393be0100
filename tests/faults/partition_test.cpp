// partition's registration and parameter checks (its effect on a real
// stack is measured in tests/integration/faults_net_shape_test.cpp).

#include <catch2/catch.hpp>

#include "faults/registry.h"
#include "harness/experiment/loader.h"

namespace {

using faultline::experiment::Diagnostics;

const char* kStack = R"(version: 1
title: t
stack:
  services:
    lb: { kind: haproxy, backends: [web1, web2] }
    web1: { kind: nginx }
    web2: { kind: nginx }
load: { target: lb, rate: 10/s, duration: 10s }
expect: breach
method:
)";

std::vector<faultline::faults::BoundFault> bind(const std::string& steps, Diagnostics& diags,
                                                faultline::experiment::Experiment& exp) {
  exp = faultline::experiment::load_string(std::string(kStack) + steps, "t.yaml", {}, diags);
  REQUIRE_FALSE(diags.has_errors());
  return faultline::faults::bind_method(exp, diags);
}

}  // namespace

TEST_CASE("partition is registered with direction and peer, both ways by default", "[faults][partition]") {
  const auto* t = faultline::faults::Registry::instance().find("partition");
  REQUIRE(t != nullptr);
  REQUIRE(t->params.size() == 2);
  CHECK(t->params[0].name == "direction");
  CHECK(t->params[0].default_value == "both");
  CHECK(t->params[1].name == "peer");
}

TEST_CASE("partition binds peers and describes the cut", "[faults][partition]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind(
      "  - { at: 1s, fault: partition, target: web1, params: { peer: lb } }\n"
      "  - { at: 1s, fault: partition, target: lb, params: { peer: [web1, web2], direction: egress } }\n"
      "  - { at: 1s, fault: partition, target: web2 }\n",
      diags, exp);
  INFO(diags.format());
  REQUIRE(bound.size() == 3);
  CHECK(bound[0].fault->describe() ==
        "the network was partitioned: traffic entering and leaving web1 to and from lb was dropped silently");
  CHECK(bound[1].fault->describe() ==
        "the network was partitioned: traffic leaving lb towards web1, web2 was dropped silently");
  CHECK(bound[2].fault->describe() ==
        "the network was partitioned: traffic entering and leaving web2 was dropped silently");
  CHECK(bound[0].fault->suggested_measures().size() >= 2);
}

TEST_CASE("partition reports an unknown peer and direction with their positions",
          "[faults][partition][bad-config]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind(
      "  - { at: 1s, fault: partition, target: web1, params: { peer: [lb, web9], direction: sideways } }\n",
      diags, exp);
  CHECK(bound.empty());
  const std::string text = diags.format();
  INFO(text);
  CHECK(text.find("t.yaml:11:63: error: peer 'web9' is not a service of the stack") != std::string::npos);
  CHECK(text.find("t.yaml:11:86: error: parameter 'direction' cannot be 'sideways'") != std::string::npos);
}

TEST_CASE("partition refuses its own target as a peer", "[faults][partition][bad-config]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind("  - { at: 1s, fault: partition, target: web1, params: { peer: web1 } }\n", diags, exp);
  CHECK(bound.empty());
  CHECK(diags.format().find("peer 'web1' is the fault's target itself") != std::string::npos);
}
