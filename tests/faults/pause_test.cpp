// pause's registration and parameter checks.

#include <catch2/catch.hpp>

#include "fault_test_support.h"
#include "faults/registry.h"

using faultline::faults::testing::BoundMethod;
using faultline::faults::testing::expect_errors;

TEST_CASE("pause is registered without parameters", "[faults][pause]") {
  const auto* t = faultline::faults::Registry::instance().find("pause");
  REQUIRE(t != nullptr);
  CHECK(t->params.empty());
  CHECK(t->needs.target_kinds.empty());
}

TEST_CASE("pause binds and describes the freeze", "[faults][pause]") {
  const BoundMethod bound("  - { at: 1s, fault: pause, target: web2, duration: 2s }\n");
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 1);
  CHECK(bound.faults[0].fault->describe() ==
        "every process of web2 was frozen (SIGSTOP): it kept its connections but answered nothing");
  CHECK(bound.faults[0].fault->suggested_measures().size() >= 2);
}

TEST_CASE("pause refuses parameters it does not take", "[faults][pause][bad-config]") {
  expect_errors("  - at: 1s\n    fault: pause\n    target: web1\n    params: { signal: STOP }\n",
                {"t.yaml:15:15: error: unknown parameter 'signal' for fault 'pause'"});
}
