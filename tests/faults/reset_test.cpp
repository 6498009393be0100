// reset's registration and parameter checks (its effect on a real stack is
// measured in tests/integration/faults_net_shape_test.cpp).

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
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind(
      "  - { at: 1s, fault: reset, target: web1 }\n"
      "  - { at: 1s, fault: reset, target: web2, params: { flows: new, port: 80, peer: lb } }\n"
      "  - { at: 1s, fault: reset, target: lb, params: { flows: established, direction: egress } }\n",
      diags, exp);
  INFO(diags.format());
  REQUIRE(bound.size() == 3);
  CHECK(bound[0].fault->describe() ==
        "TCP connections in traffic entering web1 were answered with TCP resets");
  CHECK(bound[1].fault->describe() ==
        "new TCP connections on port 80 in traffic entering web2 from lb were answered with TCP resets");
  CHECK(bound[2].fault->describe() ==
        "established TCP connections in traffic leaving lb were answered with TCP resets");
  CHECK(bound[0].fault->suggested_measures().size() >= 2);
}

TEST_CASE("reset reports bad flows and port with their positions", "[faults][reset][bad-config]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound =
      bind("  - { at: 1s, fault: reset, target: web1, params: { flows: old, port: 70000 } }\n", diags, exp);
  CHECK(bound.empty());
  const std::string text = diags.format();
  INFO(text);
  CHECK(text.find("t.yaml:11:60: error: parameter 'flows' cannot be 'old'") != std::string::npos);
  CHECK(text.find("t.yaml:11:71: error: parameter 'port' is 70000, outside 1..65535") != std::string::npos);
}
