// Shared fixture of the fault unit tests (tests/faults/*_test.cpp): one
// experiment with a service of every kind a fault can target, helpers that
// bind method steps written after it, and a stack and a server to inject
// faults into without root.

#pragma once

#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <initializer_list>
#include <string>
#include <thread>
#include <vector>

#include "faults/registry.h"
#include "harness/experiment/loader.h"
#include "harness/platform/process.h"
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

// Loads kStack (or `stack`) followed by `steps` (the experiment itself must load without
// error) and binds its fault steps; fault problems go to `diags`.
inline std::vector<BoundFault> bind_steps(const std::string& steps, Diagnostics& diags,
                                          experiment::Experiment& exp, const std::string& stack = kStack) {
  exp = experiment::load_string(stack + steps, "t.yaml", {}, diags);
  REQUIRE_FALSE(diags.has_errors());
  return bind_method(exp, diags);
}

// Method steps bound against kStack. It keeps the experiment the bound
// faults point into, so it is neither copied nor moved.
struct BoundMethod {
  explicit BoundMethod(const std::string& steps) { faults = bind_steps(steps, diags, exp); }
  // Against another stack (an experiment's text up to `method:`).
  BoundMethod(const std::string& stack, const std::string& steps) {
    faults = bind_steps(steps, diags, exp, stack);
  }
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

  void add_service(const std::string& name, pid_t pid,
                   std::shared_ptr<const platform::ServerProcess> process = nullptr) {
    stack::ServiceInstance s;
    s.planned.name = name;
    s.pid = pid;
    s.process = std::move(process);
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

// A server as the stack starts one (its own process group, a pidfd kept
// from the fork), running `sleep`; whatever the test did, it is killed and
// reaped at scope exit.
struct TestServer {
  explicit TestServer(const std::string& log_dir) {
    platform::ProcessSpec spec;
    spec.executable = "/bin/sleep";
    spec.args = {"60"};
    spec.stdout_path = log_dir + "/sleep.out";
    spec.stderr_path = log_dir + "/sleep.err";
    auto started = platform::start_process(spec);
    REQUIRE(started.ok());
    process = *started;
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;
  ~TestServer() {
    if (!reaped) {
      (void)process->signal(SIGKILL, platform::SignalScope::group);
      ::waitpid(process->pid(), nullptr, 0);
    }
  }

  pid_t pid() const { return process->pid(); }
  // As a crashed server that the stack's check_alive has reaped.
  void crash_and_reap() {
    REQUIRE(process->signal(SIGKILL, platform::SignalScope::group).ok());
    REQUIRE(::waitpid(process->pid(), nullptr, 0) == process->pid());
    reaped = true;
  }
  // Whether it is stopped (state T), waiting up to `limit` for `expected`.
  bool stopped(bool expected, std::chrono::milliseconds limit = std::chrono::milliseconds(500)) const {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (true) {
      const auto stat = platform::read_proc_stat(process->pid());
      const bool now = stat && stat->state == 'T';
      if (now == expected || std::chrono::steady_clock::now() >= deadline) {
        return now;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  std::shared_ptr<const platform::ServerProcess> process;
  bool reaped = false;
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
