// memory_limit's registration and parameter checks.

#include <catch2/catch.hpp>

#include "fault_test_support.h"
#include "faults/registry.h"

using faultline::faults::testing::BoundMethod;
using faultline::faults::testing::expect_errors;

TEST_CASE("memory_limit is registered with its parameter", "[faults][memory_limit]") {
  const auto* t = faultline::faults::Registry::instance().find("memory_limit");
  REQUIRE(t != nullptr);
  REQUIRE(t->params.size() == 1);
  CHECK(t->params[0].name == "limit");
}

TEST_CASE("memory_limit reads sizes with binary units", "[faults][memory_limit]") {
  const std::pair<const char*, const char*> cases[] = {
      {"64MiB", "64 MiB"}, {"2GiB", "2 GiB"}, {"8192KiB", "8 MiB"}, {"5000000", "5000000 bytes"}};
  for (const auto& [text, shown] : cases) {
    const BoundMethod bound(
        std::string("  - { at: 1s, fault: memory_limit, target: web1, params: { limit: ") + text + " } }\n");
    INFO(text << "\n" << bound.diags.format());
    REQUIRE(bound.faults.size() == 1);
    CHECK(bound.faults[0].fault->describe() ==
          std::string("every process of web1 was limited to ") + shown + " of memory");
  }
}

TEST_CASE("memory_limit refuses sizes it cannot read or that make no sense",
          "[faults][memory_limit][bad-config]") {
  expect_errors(
      "  - at: 1s\n    fault: memory_limit\n    target: web1\n    params: { limit: 64MB }\n"
      "  - { at: 2s, fault: memory_limit, target: web2, params: { limit: 1KiB } }\n"
      "  - { at: 3s, fault: memory_limit, target: lb }\n",
      {"t.yaml:15:22: error: parameter 'limit' must be a size like 64MiB, not '64MB'",
       "hint: units: B, KiB, MiB, GiB, TiB",
       "t.yaml:16:67: error: parameter 'limit' is 1KiB, outside 4MiB..1TiB",
       "fault 'memory_limit' needs parameter 'limit'"});
}
