// memory_limit's registration and parameter checks.

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
    Diagnostics diags("t.yaml");
    faultline::experiment::Experiment exp;
    auto bound = bind_steps(
        std::string("  - { at: 1s, fault: memory_limit, target: web1, params: { limit: ") + text + " } }\n",
        diags, exp);
    INFO(text << "\n" << diags.format());
    REQUIRE(bound.size() == 1);
    CHECK(bound[0].fault->describe() ==
          std::string("every process of web1 was limited to ") + shown + " of memory");
  }
}

TEST_CASE("memory_limit refuses sizes it cannot read or that make no sense",
          "[faults][memory_limit][bad-config]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind_steps(
      "  - at: 1s\n    fault: memory_limit\n    target: web1\n    params: { limit: 64MB }\n"
      "  - { at: 2s, fault: memory_limit, target: web2, params: { limit: 1KiB } }\n"
      "  - { at: 3s, fault: memory_limit, target: lb }\n",
      diags, exp);
  CHECK(bound.empty());
  const std::string text = diags.format();
  INFO(text);
  CHECK(text.find("t.yaml:14:22: error: parameter 'limit' must be a size like 64MiB, not '64MB'") !=
        std::string::npos);
  CHECK(text.find("hint: units: B, KiB, MiB, GiB, TiB") != std::string::npos);
  CHECK(text.find("t.yaml:15:67: error: parameter 'limit' is 1KiB, outside 4MiB..1TiB") != std::string::npos);
  CHECK(text.find("fault 'memory_limit' needs parameter 'limit'") != std::string::npos);
}
