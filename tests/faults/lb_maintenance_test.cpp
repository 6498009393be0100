// lb_maintenance's registration and parameter checks (its effect on real load balancers is
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

TEST_CASE("lb_maintenance binds and describes the server taken out", "[faults][lb_maintenance]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind_steps("  - { at: 1s, fault: lb_maintenance, target: lb2, params: { server: web1 } }\n",
                          diags, exp);
  INFO(diags.format());
  REQUIRE(bound.size() == 1);
  CHECK(bound[0].fault->describe() ==
        "server web1 on load balancer lb2 was put into maintenance: it received no traffic");
  CHECK(bound[0].fault->suggested_measures().size() >= 2);
}

TEST_CASE("lb_maintenance refuses bad parameters", "[faults][lb_maintenance][bad-config]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind_steps(
      "  - { at: 1s, fault: lb_maintenance, target: lb, params: { server: web1, sever: x } }\n", diags, exp);
  CHECK(bound.empty());
  const std::string text = diags.format();
  INFO(text);
  CHECK(text.find("unknown parameter 'sever' for fault 'lb_maintenance'") != std::string::npos);
}
