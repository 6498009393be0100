// A valid step of every registered fault type, bound against a small stack
// with one load balancer of a chosen kind: for the tests that check every
// fault type at once (measures_test, describe_test). A new fault type must
// add its sample step here, or those tests fail.

#pragma once

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "fault_test_support.h"
#include "faults/registry.h"

namespace faultline::faults::testing {

// One load balancer of `kind` in front of two nginx backends. It terminates
// TLS (tls: true, HTTPS load), so that every fault type has a valid sample,
// lb_cert among them; the others work on it as on plain HTTP.
inline std::string stack_with(const char* kind) {
  return std::string(R"(version: 1
title: t
stack:
  services:
    lb: { kind: )") +
         kind + R"(, backends: [web1, web2], health_check: { path: /health }, tls: true }
    web1: { kind: nginx }
    web2: { kind: nginx }
load: { target: lb, rate: 10/s, duration: 10s, scheme: https, resume: false }
expect: breach
method:
)";
}

// Steps bound against `stack`, every one of them valid.
struct Bound : BoundMethod {
  Bound(const std::string& stack, const std::string& steps) : BoundMethod(stack, steps) {
    INFO(diags.format());
    REQUIRE_FALSE(diags.has_errors());
  }
};

// A valid step of every fault type; the load-balancer faults target lb,
// the others web1 (`{}`), or lb itself for a second pass.
inline const std::map<std::string, std::string> kSampleParams = {
    {"lb_weight", "server: web1, weight: 9"},
    {"lb_drain", "server: web1"},
    {"lb_maintenance", "server: web1"},
    {"lb_wrong_backend", "server: web1"},
    {"lb_health_check_off", ""},
    {"lb_balance", "algorithm: source"},
    {"lb_maxconn", "maxconn: 1"},
    {"lb_timeout", "timeout: server, value: 1ms"},
    {"lb_config", "fragment: \"# a comment\""},
    {"http_abort", ""},
    {"http_delay", "delay: 100ms"},
    {"latency", "delay: 100ms"},
    {"loss", "percent: 10%"},
    {"duplicate", "percent: 5%"},
    {"reorder", "percent: 25%, delay: 10ms"},
    {"bandwidth", "rate: 8mbit"},
    {"partition", ""},
    {"reset", ""},
    {"kill", ""},
    {"pause", ""},
    {"cpu_limit", "cpus: 0.5"},
    {"memory_limit", "limit: 64MiB"},
    {"lb_cert", "serve: expired"},
};

inline std::string step_of(const std::string& fault, const std::string& target) {
  const std::string& params = kSampleParams.at(fault);
  return "  - { at: 1s, fault: " + fault + ", target: " + target +
         (params.empty() ? std::string() : ", params: { " + params + " }") + " }\n";
}

inline bool is_lb_fault(const FaultType& type) {
  return !type.needs.target_kinds.empty();
}

}  // namespace faultline::faults::testing
