// pause's registration and parameter checks.

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

TEST_CASE("pause is registered without parameters", "[faults][pause]") {
  const auto* t = faultline::faults::Registry::instance().find("pause");
  REQUIRE(t != nullptr);
  CHECK(t->params.empty());
  CHECK(t->needs.target_kinds.empty());
}

TEST_CASE("pause binds and describes the freeze", "[faults][pause]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind_steps("  - { at: 1s, fault: pause, target: web2, duration: 2s }\n", diags, exp);
  INFO(diags.format());
  REQUIRE(bound.size() == 1);
  CHECK(bound[0].fault->describe() ==
        "every process of web2 was frozen (SIGSTOP): it kept its connections but answered nothing");
  CHECK(bound[0].fault->suggested_measures().size() >= 2);
}

TEST_CASE("pause refuses parameters it does not take", "[faults][pause][bad-config]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind_steps("  - at: 1s\n    fault: pause\n    target: web1\n    params: { signal: STOP }\n",
                          diags, exp);
  CHECK(bound.empty());
  const std::string text = diags.format();
  INFO(text);
  CHECK(text.find("t.yaml:14:15: error: unknown parameter 'signal' for fault 'pause'") != std::string::npos);
}
