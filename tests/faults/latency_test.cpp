// latency's registration and parameter checks (its effect on real traffic
// is covered by tests/integration/faults_net_delay_test).

#include <catch2/catch.hpp>

#include "faults/registry.h"
#include "harness/experiment/loader.h"

namespace {

using faultline::experiment::Diagnostics;

const char* kLatencyStack = R"(version: 1
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

std::vector<faultline::faults::BoundFault> bind_latency(const std::string& steps, Diagnostics& diags,
                                                        faultline::experiment::Experiment& exp) {
  exp = faultline::experiment::load_string(std::string(kLatencyStack) + steps, "t.yaml", {}, diags);
  REQUIRE_FALSE(diags.has_errors());
  return faultline::faults::bind_method(exp, diags);
}

}  // namespace

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
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind_latency(
      "  - { at: 1s, fault: latency, target: web1, params: { delay: 100ms, jitter: 10ms, correlation: 25% } "
      "}\n",
      diags, exp);
  INFO(diags.format());
  REQUIRE(bound.size() == 1);
  CHECK(bound[0].fault->describe() == "traffic leaving web1 was delayed by 100ms ± 10ms");
  CHECK(bound[0].fault->suggested_measures().size() >= 2);
}

TEST_CASE("latency reports every bad parameter with its position", "[faults][latency][bad-config]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind_latency(
      "  - { at: 1s, fault: latency, target: lb, params: { delay: 10ms, jitter: 20ms, delya: 1s } }\n"
      "  - { at: 1s, fault: latency, target: lb, params: { delay: 2m } }\n"
      "  - { at: 1s, fault: latency, target: lb, params: { delay: 10ms, correlation: 50% } }\n"
      "  - { at: 1s, fault: latency, target: lb, params: { jitter: 1ms } }\n",
      diags, exp);
  CHECK(bound.empty());
  const std::string text = diags.format();
  INFO(text);
  CHECK(text.find("t.yaml:11:74: error: jitter 20ms is larger than delay 10ms") != std::string::npos);
  CHECK(text.find("t.yaml:11:80: error: unknown parameter 'delya' for fault 'latency'") != std::string::npos);
  CHECK(text.find("t.yaml:12:60: error: parameter 'delay' is 2m, outside") != std::string::npos);
  CHECK(text.find("t.yaml:13:79: error: correlation without jitter has no effect") != std::string::npos);
  CHECK(text.find("fault 'latency' needs parameter 'delay'") != std::string::npos);
}
