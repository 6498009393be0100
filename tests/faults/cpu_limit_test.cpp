// cpu_limit's registration and parameter checks.

#include <catch2/catch.hpp>

#include "fault_test_support.h"
#include "faults/registry.h"

using faultline::faults::testing::BoundMethod;
using faultline::faults::testing::expect_errors;

TEST_CASE("cpu_limit is registered with its parameter", "[faults][cpu_limit]") {
  const auto* t = faultline::faults::Registry::instance().find("cpu_limit");
  REQUIRE(t != nullptr);
  REQUIRE(t->params.size() == 1);
  CHECK(t->params[0].name == "cpus");
  CHECK_FALSE(t->needs.kernel_feature.empty());
}

TEST_CASE("cpu_limit describes the quota it sets", "[faults][cpu_limit]") {
  const BoundMethod bound("  - { at: 1s, fault: cpu_limit, target: lb, params: { cpus: 0.05 } }\n");
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 1);
  CHECK(bound.faults[0].fault->describe() ==
        "every process of lb was limited to 0.05 of one CPU (5 ms of CPU time per 100 ms)");
  CHECK(bound.faults[0].fault->suggested_measures().size() >= 2);
}

TEST_CASE("cpu_limit reports a bad or missing share with its position", "[faults][cpu_limit][bad-config]") {
  expect_errors(
      "  - at: 1s\n    fault: cpu_limit\n    target: lb\n    params: { cpus: 0 }\n"
      "  - { at: 2s, fault: cpu_limit, target: web1, params: { cpus: lots } }\n"
      "  - { at: 3s, fault: cpu_limit, target: web2 }\n",
      {"t.yaml:15:21: error: parameter 'cpus'", "t.yaml:16:63: error: parameter 'cpus'",
       "fault 'cpu_limit' needs parameter 'cpus'"});
}
