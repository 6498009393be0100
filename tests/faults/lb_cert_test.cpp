// lb_cert's registration and its checks of the step (which load balancers
// it may target and what it serves). Its effect on real HAProxy and nginx
// load balancers is tests/integration/faults_lb_cert_test.cpp's.

#include <catch2/catch.hpp>

#include "fault_test_support.h"
#include "faults/registry.h"

using faultline::faults::testing::BoundMethod;
using faultline::faults::testing::expect_errors;

namespace {

// kStack with tls: true on both load balancers and HTTPS load; 11 lines,
// as kStack, so that the first step is on line 12.
const char* const kTlsStack = R"(version: 1
title: t
stack:
  services:
    lb: { kind: haproxy, backends: [web1, web2], health_check: { path: /health }, tls: true }
    lb2: { kind: nginx, backends: [web1, web2], tls: true }
    web1: { kind: nginx }
    web2: { kind: nginx }
load: { target: lb, rate: 10/s, duration: 10s, scheme: https }
expect: breach
method:
)";

}  // namespace

TEST_CASE("lb_cert binds each certificate it can serve, on HAProxy and on nginx", "[faults][lb_cert]") {
  const std::string serve = GENERATE(as<std::string>{}, "expired", "wrong_name", "unknown_ca");
  const std::string target = GENERATE(as<std::string>{}, "lb", "lb2");
  const BoundMethod bound(kTlsStack, "  - { at: 1s, fault: lb_cert, target: " + target +
                                         ", params: { serve: " + serve + " }, duration: 2s }\n");
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 1);
  const auto& fault = *bound.faults[0].fault;
  const std::string words = fault.describe();
  CHECK(words.find("load balancer " + target + " served ") == 0);
  if (serve == "expired") {
    CHECK(words.find("an expired certificate") != std::string::npos);
  } else if (serve == "wrong_name") {
    CHECK(words.find("issued for another name") != std::string::npos);
  } else {
    CHECK(words.find("a CA its clients do not trust") != std::string::npos);
  }
  // HAProxy changes its certificate through the runtime API and nginx its
  // config; each restores what it names.
  if (target == "lb") {
    CHECK(fault.mechanism().find("`set ssl cert` and `commit ssl cert`") != std::string::npos);
    CHECK(fault.restores() == std::vector<std::string>{"the certificate of lb"});
  } else {
    CHECK(fault.mechanism().find("reloaded gracefully") != std::string::npos);
    CHECK(fault.restores().size() == 1);
  }
  CHECK_FALSE(fault.suggested_measures().empty());
}

TEST_CASE("lb_cert refuses a load balancer that serves no certificate of the run's",
          "[faults][lb_cert][bad-config]") {
  // kStack's load balancers speak plain HTTP.
  expect_errors("  - { at: 1s, fault: lb_cert, target: lb, params: { serve: expired } }\n",
                {"t.yaml:12:39: error: lb_cert cannot target lb: it serves no certificate (plain HTTP)",
                 "hint: give lb `tls: true` and the load `scheme: https`"});
}

TEST_CASE("lb_cert refuses a backend, an unknown certificate and a missing one",
          "[faults][lb_cert][bad-config]") {
  expect_errors("  - { at: 1s, fault: lb_cert, target: web1, params: { serve: expired } }\n",
                {"t.yaml:12:39: error: fault 'lb_cert' cannot target web1: it is a backend"});
  const BoundMethod unknown(kTlsStack,
                            "  - { at: 1s, fault: lb_cert, target: lb, params: { serve: expird } }\n");
  CHECK(unknown.faults.empty());
  CHECK(unknown.diags.format().find("did you mean 'expired'?") != std::string::npos);
  const BoundMethod missing(kTlsStack, "  - { at: 1s, fault: lb_cert, target: lb, params: {} }\n");
  CHECK(missing.faults.empty());
  CHECK(missing.diags.format().find("serve") != std::string::npos);
}

TEST_CASE("lb_cert on HAProxy warns that a load resuming sessions will not see it", "[faults][lb_cert]") {
  const std::string step = "  - { at: 1s, fault: lb_cert, target: lb, params: { serve: expired } }\n";
  const BoundMethod resuming(kTlsStack, step);
  REQUIRE(resuming.faults.size() == 1);
  CHECK(resuming.diags.format().find("t.yaml:12:39: warning: HAProxy resumes TLS sessions made before the "
                                     "certificate changes") != std::string::npos);
  CHECK(resuming.diags.format().find("write resume: false") != std::string::npos);
  // Without resumption, and on nginx (whose reload ends it), no warning.
  std::string no_resume = kTlsStack;
  no_resume.replace(no_resume.find("scheme: https"), 13, "scheme: https, resume: false");
  const BoundMethod full(no_resume, step);
  REQUIRE(full.faults.size() == 1);
  CHECK(full.diags.format().find("warning") == std::string::npos);
  const BoundMethod nginx(kTlsStack,
                          "  - { at: 1s, fault: lb_cert, target: lb2, params: { serve: expired } }\n");
  REQUIRE(nginx.faults.size() == 1);
  CHECK(nginx.diags.format().find("warning") == std::string::npos);
}
