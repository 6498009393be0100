// kill's registration and parameter checks (its effect on a real stack is
// covered by tests/integration/faults_process_test.cpp).

#include <catch2/catch.hpp>

#include "faults/registry.h"
#include "harness/experiment/loader.h"

namespace {

using faultline::experiment::Diagnostics;

const char* kStack = R"(version: 1
title: t
stack:
  services:
    lb: { kind: haproxy, backends: [web1, web2] }
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

TEST_CASE("kill is registered and targets any kind of service", "[faults][kill]") {
  const auto* t = faultline::faults::Registry::instance().find("kill");
  REQUIRE(t != nullptr);
  REQUIRE(t->params.size() == 1);
  CHECK(t->params[0].name == "signal");
  CHECK(t->params[0].default_value == "KILL");
  CHECK(t->needs.target_kinds.empty());
}

TEST_CASE("kill with a duration says the server was started again after it", "[faults][kill]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind_steps("  - { at: 1s, fault: kill, target: web1, duration: 2500ms }\n", diags, exp);
  INFO(diags.format());
  REQUIRE(bound.size() == 1);
  CHECK(bound[0].fault->describe() ==
        "every process of web1 was killed with SIGKILL and the server was started again 2.5 s later");
  CHECK(bound[0].fault->suggested_measures().size() >= 2);
}

TEST_CASE("kill without a duration says the server stayed down", "[faults][kill]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind_steps("  - { at: 1s, fault: kill, target: lb, params: { signal: TERM } }\n", diags, exp);
  INFO(diags.format());
  REQUIRE(bound.size() == 1);
  CHECK(bound[0].fault->describe() ==
        "every process of lb was killed with SIGTERM and stayed down until the end of the load");
}

TEST_CASE("kill refuses a signal that would not end the server", "[faults][kill][bad-config]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind_steps(
      "  - at: 1s\n    fault: kill\n    target: web1\n    params: { signal: HUP, restart_after: 2s }\n",
      diags, exp);
  CHECK(bound.empty());
  const std::string text = diags.format();
  INFO(text);
  CHECK(text.find("t.yaml:14:23:") != std::string::npos);
  CHECK(text.find("HUP") != std::string::npos);
  CHECK(text.find("t.yaml:14:28: error: unknown parameter 'restart_after' for fault 'kill'") !=
        std::string::npos);
}

TEST_CASE("revert of a kill that was never injected does nothing", "[faults][kill]") {
  Diagnostics diags("t.yaml");
  faultline::experiment::Experiment exp;
  auto bound = bind_steps("  - { at: 1s, fault: kill, target: web1 }\n", diags, exp);
  REQUIRE(bound.size() == 1);
  // No stack is needed: a revert without inject must not touch it.
  struct NoStack : faultline::stack::RunningStack {
    faultline::stack::Plan plan_;
    faultline::stack::RunIdentity id_;
    std::vector<faultline::stack::ServiceInstance> services_;
    const faultline::stack::Plan& plan() const override { return plan_; }
    const faultline::stack::RunIdentity& identity() const override { return id_; }
    const std::vector<faultline::stack::ServiceInstance>& services() const override { return services_; }
    faultline::Status check_alive() override { return {}; }
    faultline::Status in_netns(const std::string&, const std::function<faultline::Status()>&) override {
      return faultline::Error{"unexpected"};
    }
    void teardown() override {}
    void set_expected_down(const std::string&, bool) override { FAIL("revert touched the stack"); }
  } stack;
  CHECK(bound[0].fault->revert(stack).ok());
  CHECK(bound[0].fault->revert(stack).ok());
}
