// lb_wrong_backend's registration and parameter checks (its effect on real load balancers is
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

TEST_CASE("lb_wrong_backend defaults to the refused port 1 and takes an address",
          "[faults][lb_wrong_backend]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind_steps(
      "  - { at: 1s, fault: lb_wrong_backend, target: lb, params: { server: web2 } }\n"
      "  - { at: 1s, fault: lb_wrong_backend, target: lb2, params: { server: web1, address: 10.0.0.250, "
      "port: 81 } }\n",
      diags, exp);
  INFO(diags.format());
  REQUIRE(bound.size() == 2);
  CHECK(bound[0].fault->describe() ==
        "server web2 on load balancer lb was pointed at the wrong port 1 (connection refused)");
  CHECK(bound[1].fault->describe() ==
        "server web1 on load balancer lb2 was pointed at the wrong address 10.0.0.250:81");
}

TEST_CASE("lb_wrong_backend refuses a bad address and port", "[faults][lb_wrong_backend][bad-config]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind_steps(
      "  - { at: 1s, fault: lb_wrong_backend, target: lb, params: { server: web2, address: 10.0.0.999, port: "
      "0 } }\n",
      diags, exp);
  CHECK(bound.empty());
  const std::string text = diags.format();
  INFO(text);
  CHECK(text.find("error: '10.0.0.999' is not an IPv4 address") != std::string::npos);
  CHECK(text.find("error: parameter 'port' is 0, outside 1..65535") != std::string::npos);
}
