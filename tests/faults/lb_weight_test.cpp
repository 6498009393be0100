// lb_weight's registration and parameter checks (its effect on a real
// HAProxy is covered by tests/integration).

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

TEST_CASE("lb_weight is registered with its parameters", "[faults][lb_weight]") {
  const auto* t = faultline::faults::Registry::instance().find("lb_weight");
  REQUIRE(t != nullptr);
  REQUIRE(t->params.size() == 3);
  CHECK(t->params[0].name == "server");
  CHECK(t->needs.target_kinds.size() == 2);
}

TEST_CASE("lb_weight binds valid parameters and describes the change", "[faults][lb_weight]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound =
      bind("  - { at: 1s, fault: lb_weight, target: lb, params: { server: web1, weight: 9, others: 1 } }\n",
           diags, exp);
  INFO(diags.format());
  REQUIRE(bound.size() == 1);
  CHECK(bound[0].fault->describe() ==
        "the weight of web1 on load balancer lb was set to 9 and the weight of every other server to 1");
  CHECK_FALSE(bound[0].fault->suggested_measures().empty());
}

TEST_CASE("lb_weight reports every bad parameter with its position", "[faults][lb_weight][bad-config]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind(
      "  - at: 1s\n    fault: lb_weight\n    target: lb\n    params: { server: web7, weight: -1, wieght: 2 "
      "}\n",
      diags, exp);
  CHECK(bound.empty());
  const std::string text = diags.format();
  INFO(text);
  CHECK(text.find("t.yaml:14:23: error: 'web7' is not a backend of lb") != std::string::npos);
  CHECK(text.find("t.yaml:14:37: error: parameter 'weight' is -1, outside 0..256") != std::string::npos);
  CHECK(text.find("t.yaml:14:41: error: unknown parameter 'wieght' for fault 'lb_weight'") !=
        std::string::npos);
  CHECK(text.find("hint: did you mean 'weight'?") != std::string::npos);
}

TEST_CASE("lb_weight needs its required parameters", "[faults][lb_weight][bad-config]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind("  - { at: 1s, fault: lb_weight, target: lb }\n", diags, exp);
  CHECK(bound.empty());
  const std::string text = diags.format();
  CHECK(text.find("fault 'lb_weight' needs parameter 'server'") != std::string::npos);
  CHECK(text.find("fault 'lb_weight' needs parameter 'weight'") != std::string::npos);
}

TEST_CASE("a load-balancer fault that targets a plain backend is refused", "[faults][bad-config]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind("  - { at: 1s, fault: lb_weight, target: web1, params: { server: web1, weight: 1 } }\n",
                    diags, exp);
  CHECK(bound.empty());
  CHECK(
      diags.format().find("t.yaml:11:41: error: fault 'lb_weight' cannot target web1: it is a backend, not a "
                          "load balancer") != std::string::npos);
}
