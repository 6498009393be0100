// lb_maxconn's registration and parameter checks (its effect on real load balancers is
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

TEST_CASE("lb_maxconn binds a limit and a queue timeout", "[faults][lb_maxconn]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind_steps(
      "  - { at: 1s, fault: lb_maxconn, target: lb, params: { maxconn: 2, queue_timeout: 5ms } }\n"
      "  - { at: 1s, fault: lb_maxconn, target: lb2, params: { maxconn: 1, server: web1 } }\n",
      diags, exp);
  INFO(diags.format());
  REQUIRE(bound.size() == 2);
  CHECK(bound[0].fault->describe().find("of every server on load balancer lb was set to 2") !=
        std::string::npos);
  CHECK(bound[0].fault->describe().find("at most 5ms") != std::string::npos);
  CHECK(bound[1].fault->describe().find("of web1 on load balancer lb2 was set to 1") != std::string::npos);
}

TEST_CASE("lb_maxconn refuses a zero limit and a queue timeout on nginx",
          "[faults][lb_maxconn][bad-config]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind_steps(
      "  - { at: 1s, fault: lb_maxconn, target: lb2, params: { maxconn: 0, queue_timeout: 5ms } }\n", diags,
      exp);
  CHECK(bound.empty());
  const std::string text = diags.format();
  INFO(text);
  CHECK(text.find("parameter 'maxconn' is 0, outside 1..100000") != std::string::npos);
  CHECK(text.find("nginx has no request queue") != std::string::npos);
}
