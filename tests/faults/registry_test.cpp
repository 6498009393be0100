// Every fault type of the catalogue is linked in and registered once: a
// fault file dropped by the linker (static registration in an archive)
// would otherwise vanish silently from `faultline faults` and the loader.

#include "faults/registry.h"

#include <algorithm>
#include <catch2/catch.hpp>

TEST_CASE("every fault type of the catalogue is registered", "[faults][registry]") {
  const auto names = faultline::faults::Registry::instance().names();
  for (const char* expected :
       {"lb_weight",  "lb_drain",   "lb_maintenance", "lb_wrong_backend", "lb_health_check_off",
        "lb_balance", "lb_maxconn", "lb_timeout",     "lb_config",        "latency",
        "loss",       "duplicate",  "reorder",        "bandwidth",        "partition",
        "reset",      "kill",       "pause",          "cpu_limit",        "memory_limit",
        "http_abort", "http_delay"}) {
    INFO(expected);
    CHECK(std::find(names.begin(), names.end(), expected) != names.end());
  }
}

TEST_CASE("every registered fault type documents its parameters and can parse", "[faults][registry]") {
  for (const auto* type : faultline::faults::Registry::instance().all()) {
    INFO(type->name);
    CHECK_FALSE(type->summary.empty());
    CHECK(static_cast<bool>(type->parse));
    for (const auto& p : type->params) {
      CHECK_FALSE(p.name.empty());
      CHECK_FALSE(p.description.empty());
    }
  }
}
