// lb_drain's registration and parameter checks (its effect on real load balancers is
// covered by tests/integration/faults_lb_test.cpp).

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "fault_test_support.h"
#include "faults/registry.h"

using faultline::faults::testing::BoundMethod;
using faultline::faults::testing::expect_errors;

TEST_CASE("lb_drain binds on HAProxy and nginx and describes the drain", "[faults][lb_drain]") {
  const auto* t = faultline::faults::Registry::instance().find("lb_drain");
  REQUIRE(t != nullptr);
  CHECK(t->needs.target_kinds.size() == 2);
  for (const char* target : {"lb", "lb2"}) {
    const BoundMethod bound(
        fmt::format("  - {{ at: 1s, fault: lb_drain, target: {}, params: {{ server: web2 }} }}\n", target));
    INFO(bound.diags.format());
    REQUIRE(bound.faults.size() == 1);
    CHECK(
        bound.faults[0].fault->describe() ==
        fmt::format("server web2 on load balancer {} was set to drain: it received no new sessions", target));
    CHECK(bound.faults[0].fault->suggested_measures().size() >= 2);
  }
}

TEST_CASE("lb_drain refuses an unknown server and a plain backend target", "[faults][lb_drain][bad-config]") {
  expect_errors(
      "  - { at: 1s, fault: lb_drain, target: lb, params: { server: web9 } }\n"
      "  - { at: 1s, fault: lb_drain, target: web1, params: { server: web2 } }\n"
      "  - { at: 1s, fault: lb_drain, target: lb }\n",
      {"t.yaml:12:62: error: 'web9' is not a backend of lb",
       "t.yaml:13:40: error: fault 'lb_drain' cannot target web1: it is a backend",
       "fault 'lb_drain' needs parameter 'server'"});
}
