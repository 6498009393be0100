// lb_timeout's registration and parameter checks (its effect on real load balancers is
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

TEST_CASE("lb_timeout binds which timeout and its value", "[faults][lb_timeout]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind_steps(
      "  - { at: 1s, fault: lb_timeout, target: lb, params: { timeout: server, value: 1ms } }\n", diags, exp);
  INFO(diags.format());
  REQUIRE(bound.size() == 1);
  CHECK(bound[0].fault->describe() == "the server timeout of load balancer lb was set to 1ms");
}

TEST_CASE("lb_timeout refuses a queue timeout on nginx and a missing value",
          "[faults][lb_timeout][bad-config]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound =
      bind_steps("  - { at: 1s, fault: lb_timeout, target: lb2, params: { timeout: queue } }\n", diags, exp);
  CHECK(bound.empty());
  const std::string text = diags.format();
  INFO(text);
  CHECK(text.find("nginx has no request queue, so no queue timeout") != std::string::npos);
  CHECK(text.find("fault 'lb_timeout' needs parameter 'value'") != std::string::npos);
}
