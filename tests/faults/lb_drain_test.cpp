// lb_drain's registration and parameter checks (its effect on real load balancers is
// covered by tests/integration/faults_lb_test.cpp).

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "faults/registry.h"
#include "harness/experiment/loader.h"

namespace {

using faultline::experiment::Diagnostics;

// lb: HAProxy with health checks; lb2: nginx as load balancer; web1 and
// web2 are plain backends. Method steps start on line 12.
const char* kStack = R"(version: 1
title: t
stack:
  services:
    lb: { kind: haproxy, backends: [web1, web2], health_check: { path: /health } }
    lb2: { kind: nginx, backends: [web1, web2] }
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

TEST_CASE("lb_drain binds on HAProxy and nginx and describes the drain", "[faults][lb_drain]") {
  const auto* t = faultline::faults::Registry::instance().find("lb_drain");
  REQUIRE(t != nullptr);
  CHECK(t->needs.target_kinds.size() == 2);
  for (const char* target : {"lb", "lb2"}) {
    Diagnostics diags("t.yaml");
    faultline::experiment::Experiment exp;
    auto bound = bind_steps(
        fmt::format("  - {{ at: 1s, fault: lb_drain, target: {}, params: {{ server: web2 }} }}\n", target),
        diags, exp);
    INFO(diags.format());
    REQUIRE(bound.size() == 1);
    CHECK(
        bound[0].fault->describe() ==
        fmt::format("server web2 on load balancer {} was set to drain: it received no new sessions", target));
    CHECK(bound[0].fault->suggested_measures().size() >= 2);
  }
}

TEST_CASE("lb_drain refuses an unknown server and a plain backend target", "[faults][lb_drain][bad-config]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind_steps(
      "  - { at: 1s, fault: lb_drain, target: lb, params: { server: web9 } }\n"
      "  - { at: 1s, fault: lb_drain, target: web1, params: { server: web2 } }\n"
      "  - { at: 1s, fault: lb_drain, target: lb }\n",
      diags, exp);
  CHECK(bound.empty());
  const std::string text = diags.format();
  INFO(text);
  CHECK(text.find("t.yaml:12:62: error: 'web9' is not a backend of lb") != std::string::npos);
  CHECK(text.find("t.yaml:13:40: error: fault 'lb_drain' cannot target web1: it is a backend") !=
        std::string::npos);
  CHECK(text.find("fault 'lb_drain' needs parameter 'server'") != std::string::npos);
}
