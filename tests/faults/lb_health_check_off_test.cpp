// lb_health_check_off's registration and parameter checks (its effect on real load balancers is
// covered by tests/integration/faults_lb_test.cpp).

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

TEST_CASE("lb_health_check_off turns off one server's or every server's checks",
          "[faults][lb_health_check_off]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind_steps(
      "  - { at: 1s, fault: lb_health_check_off, target: lb }\n"
      "  - { at: 1s, fault: lb_health_check_off, target: lb, params: { server: web2 } }\n",
      diags, exp);
  INFO(diags.format());
  REQUIRE(bound.size() == 2);
  CHECK(bound[0].fault->describe().find("turned off for every server") != std::string::npos);
  CHECK(bound[1].fault->describe().find("turned off for web2") != std::string::npos);
}

TEST_CASE("lb_health_check_off needs a load balancer with health checks",
          "[faults][lb_health_check_off][bad-config]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind_steps("  - { at: 1s, fault: lb_health_check_off, target: lb2 }\n", diags, exp);
  CHECK(bound.empty());
  const std::string text = diags.format();
  INFO(text);
  CHECK(text.find("t.yaml:12:51: error: load balancer lb2 has no health_check to turn off") !=
        std::string::npos);
}
