// bandwidth's registration and parameter checks (its effect on real traffic
// is measured in tests/integration/faults_net_shape_test.cpp).

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
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind("  - { at: 1s, fault: bandwidth, target: lb, params: { rate: 8mbit } }\n", diags, exp);
  INFO(diags.format());
  REQUIRE(bound.size() == 1);
  CHECK(bound[0].fault->describe() ==
        "the bandwidth of traffic leaving lb was capped at 8mbit (token bucket, 16384 bytes burst)");
  CHECK(bound[0].fault->suggested_measures().size() >= 2);
}

TEST_CASE("bandwidth takes an explicit burst and the ingress direction", "[faults][bandwidth]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind(
      "  - { at: 1s, fault: bandwidth, target: web1, params: { rate: 1gbit, burst: 64kb, direction: ingress "
      "} }\n",
      diags, exp);
  INFO(diags.format());
  REQUIRE(bound.size() == 1);
  CHECK(bound[0].fault->describe() ==
        "the bandwidth of traffic entering web1 was capped at 1gbit (token bucket, 65536 bytes burst)");
}

TEST_CASE("bandwidth reports a bad rate, burst and latency with their positions",
          "[faults][bandwidth][bad-config]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind(
      "  - { at: 1s, fault: bandwidth, target: lb, params: { rate: 8mbps, burst: 1kb, latency: 20s } }\n",
      diags, exp);
  CHECK(bound.empty());
  const std::string text = diags.format();
  INFO(text);
  CHECK(text.find("t.yaml:11:61: error: '8mbps' is not a rate") != std::string::npos);
  CHECK(text.find("hint: write a number and one of bit, kbit, mbit, gbit") != std::string::npos);
  CHECK(text.find("t.yaml:11:75: error: burst '1kb' is outside 2kb..64mb") != std::string::npos);
  CHECK(text.find("t.yaml:11:89: error: parameter 'latency' is 20s, outside 1ms..10s") != std::string::npos);
}

TEST_CASE("bandwidth refuses a peer: tbf caps a whole interface", "[faults][bandwidth][bad-config]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound =
      bind("  - { at: 1s, fault: bandwidth, target: lb, params: { rate: 8mbit, peer: web1 } }\n", diags, exp);
  CHECK(bound.empty());
  const std::string text = diags.format();
  INFO(text);
  CHECK(text.find("t.yaml:11:74: error: bandwidth caps a whole interface and takes no peer") !=
        std::string::npos);
}

TEST_CASE("bandwidth needs a rate, and one it can give tbf", "[faults][bandwidth][bad-config]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind(
      "  - { at: 1s, fault: bandwidth, target: lb }\n"
      "  - { at: 2s, fault: bandwidth, target: lb, params: { rate: 100bit } }\n",
      diags, exp);
  CHECK(bound.empty());
  const std::string text = diags.format();
  INFO(text);
  CHECK(text.find("fault 'bandwidth' needs parameter 'rate'") != std::string::npos);
  CHECK(text.find("t.yaml:12:61: error: rate '100bit' is outside 8kbit..17gbit") != std::string::npos);
}
