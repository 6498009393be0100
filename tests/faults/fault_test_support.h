// Shared fixture of the fault unit tests (tests/faults/*_test.cpp): one
// experiment with a service of every kind a fault can target, and helpers
// that bind method steps written after it.

#pragma once

#include <catch2/catch.hpp>
#include <initializer_list>
#include <string>
#include <vector>

#include "faults/registry.h"
#include "harness/experiment/loader.h"
#include "harness/stack/stack.h"

namespace faultline::faults::testing {

using experiment::Diagnostics;

// lb: HAProxy with health checks; lb2: nginx as load balancer; web1 and
// web2 are plain backends. The stack is 11 lines long, so the first method
// step is on line 12 of t.yaml: positions in expected errors count from it.
inline const char* const kStack = R"(version: 1
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

// Loads kStack followed by `steps` (the experiment itself must load without
// error) and binds its fault steps; fault problems go to `diags`.
inline std::vector<BoundFault> bind_steps(const std::string& steps, Diagnostics& diags,
                                          experiment::Experiment& exp) {
  exp = experiment::load_string(std::string(kStack) + steps, "t.yaml", {}, diags);
  REQUIRE_FALSE(diags.has_errors());
  return bind_method(exp, diags);
}

// Method steps bound against kStack. It keeps the experiment the bound
// faults point into, so it is neither copied nor moved.
struct BoundMethod {
  explicit BoundMethod(const std::string& steps) { faults = bind_steps(steps, diags, exp); }
  BoundMethod(const BoundMethod&) = delete;
  BoundMethod& operator=(const BoundMethod&) = delete;

  Diagnostics diags{"t.yaml"};
  experiment::Experiment exp;
  std::vector<BoundFault> faults;
};

// A stack that runs nothing: it names the run and its services' processes,
// for faults whose effect a test checks outside a real stack.
struct FakeStack : stack::RunningStack {
  stack::Plan plan_;
  stack::RunIdentity id_{"abc123", "/nonexistent/abc123"};
  std::vector<stack::ServiceInstance> services_;
  std::vector<std::pair<std::string, bool>> expected_down;  // set_expected_down calls, in order

  void add_service(const std::string& name, pid_t pid) {
    stack::ServiceInstance s;
    s.planned.name = name;
    s.pid = pid;
    services_.push_back(s);
  }
  const stack::Plan& plan() const override { return plan_; }
  const stack::RunIdentity& identity() const override { return id_; }
  const std::vector<stack::ServiceInstance>& services() const override { return services_; }
  Status check_alive() override { return {}; }
  Status in_netns(const std::string&, const std::function<Status()>&) override {
    return Error{"FakeStack has no namespaces"};
  }
  void teardown() override {}
  void set_expected_down(const std::string& service, bool down) override {
    expected_down.emplace_back(service, down);
  }
};

// Binds `steps`, which must be refused as a whole: nothing is bound and the
// diagnostics contain each of `expected` (a position, message or hint).
inline void expect_errors(const std::string& steps, std::initializer_list<std::string> expected) {
  const BoundMethod bound(steps);
  CHECK(bound.faults.empty());
  const std::string text = bound.diags.format();
  for (const auto& part : expected) {
    CHECK_THAT(text, Catch::Matchers::Contains(part));
  }
}

}  // namespace faultline::faults::testing
