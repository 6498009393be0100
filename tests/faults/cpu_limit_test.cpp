// cpu_limit's registration and parameter checks.

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

std::vector<faultline::faults::BoundFault> bind_steps(const std::string& steps, Diagnostics& diags,
                                                      faultline::experiment::Experiment& exp) {
  exp = faultline::experiment::load_string(std::string(kStack) + steps, "t.yaml", {}, diags);
  REQUIRE_FALSE(diags.has_errors());
  return faultline::faults::bind_method(exp, diags);
}

}  // namespace

TEST_CASE("cpu_limit is registered with its parameter", "[faults][cpu_limit]") {
  const auto* t = faultline::faults::Registry::instance().find("cpu_limit");
  REQUIRE(t != nullptr);
  REQUIRE(t->params.size() == 1);
  CHECK(t->params[0].name == "cpus");
  CHECK_FALSE(t->needs.kernel_feature.empty());
}

TEST_CASE("cpu_limit describes the quota it sets", "[faults][cpu_limit]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound =
      bind_steps("  - { at: 1s, fault: cpu_limit, target: lb, params: { cpus: 0.05 } }\n", diags, exp);
  INFO(diags.format());
  REQUIRE(bound.size() == 1);
  CHECK(bound[0].fault->describe() ==
        "every process of lb was limited to 0.05 of one CPU (5 ms of CPU time per 100 ms)");
  CHECK(bound[0].fault->suggested_measures().size() >= 2);
}

TEST_CASE("cpu_limit reports a bad or missing share with its position", "[faults][cpu_limit][bad-config]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind_steps(
      "  - at: 1s\n    fault: cpu_limit\n    target: lb\n    params: { cpus: 0 }\n"
      "  - { at: 2s, fault: cpu_limit, target: web1, params: { cpus: lots } }\n"
      "  - { at: 3s, fault: cpu_limit, target: web2 }\n",
      diags, exp);
  CHECK(bound.empty());
  const std::string text = diags.format();
  INFO(text);
  CHECK(text.find("t.yaml:14:21: error: parameter 'cpus'") != std::string::npos);
  CHECK(text.find("t.yaml:15:63: error: parameter 'cpus'") != std::string::npos);
  CHECK(text.find("fault 'cpu_limit' needs parameter 'cpus'") != std::string::npos);
}
