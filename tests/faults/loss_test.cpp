// loss's registration and parameter checks (its effect on real traffic is
// covered by tests/integration/faults_net_delay_test).

#include <catch2/catch.hpp>

#include "faults/registry.h"
#include "harness/experiment/loader.h"

namespace {

using faultline::experiment::Diagnostics;

const char* kLossStack = R"(version: 1
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

std::vector<faultline::faults::BoundFault> bind_loss(const std::string& steps, Diagnostics& diags,
                                                     faultline::experiment::Experiment& exp) {
  exp = faultline::experiment::load_string(std::string(kLossStack) + steps, "t.yaml", {}, diags);
  REQUIRE_FALSE(diags.has_errors());
  return faultline::faults::bind_method(exp, diags);
}

}  // namespace

TEST_CASE("loss is registered with its parameters", "[faults][loss]") {
  const auto* t = faultline::faults::Registry::instance().find("loss");
  REQUIRE(t != nullptr);
  REQUIRE(t->params.size() == 4);
  CHECK(t->params[0].name == "percent");
  CHECK(t->params[1].name == "correlation");
}

TEST_CASE("loss binds valid parameters and says how it drops", "[faults][loss]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind_loss(
      "  - { at: 1s, fault: loss, target: lb, params: { percent: 20%, peer: [web1] } }\n"
      "  - { at: 1s, fault: loss, target: web2, params: { percent: 5%, correlation: 50%, direction: both } "
      "}\n",
      diags, exp);
  INFO(diags.format());
  REQUIRE(bound.size() == 2);
  CHECK(bound[0].fault->describe() ==
        "20% of the packets in traffic leaving lb towards web1 were dropped, by an nftables rule in its "
        "network "
        "namespace");
  CHECK(bound[1].fault->describe() ==
        "5% of the packets in traffic entering and leaving web2 were dropped in bursts (correlation 50%)");
  CHECK(bound[0].fault->suggested_measures().size() >= 2);
}

TEST_CASE("loss reports every bad parameter with its position", "[faults][loss][bad-config]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind_loss(
      "  - { at: 1s, fault: loss, target: lb, params: { percent: 0% } }\n"
      "  - { at: 1s, fault: loss, target: lb, params: { percent: 120%, correlation: 100% } }\n"
      "  - { at: 1s, fault: loss, target: lb, params: { percent: lots } }\n"
      "  - { at: 1s, fault: loss, target: lb }\n",
      diags, exp);
  CHECK(bound.empty());
  const std::string text = diags.format();
  INFO(text);
  CHECK(text.find("t.yaml:11:59: error: a loss of 0% does nothing") != std::string::npos);
  CHECK(text.find("t.yaml:12:59: error: parameter 'percent' must be a percentage") != std::string::npos);
  CHECK(text.find("t.yaml:12:78: error: a correlation of 100% repeats") != std::string::npos);
  CHECK(text.find("t.yaml:13:59: error: parameter 'percent' must be a percentage") != std::string::npos);
  CHECK(text.find("fault 'loss' needs parameter 'percent'") != std::string::npos);
}
