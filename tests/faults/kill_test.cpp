// kill's registration and parameter checks (its effect on a real stack is
// covered by tests/integration/faults_process_test.cpp).

#include <catch2/catch.hpp>

#include "fault_test_support.h"
#include "faults/registry.h"
#include "tests/stack/stack_fixtures.h"

using faultline::faults::testing::BoundMethod;
using faultline::faults::testing::expect_errors;
using faultline::faults::testing::FakeStack;
using faultline::faults::testing::TestServer;

TEST_CASE("kill is registered and targets any kind of service", "[faults][kill]") {
  const auto* t = faultline::faults::Registry::instance().find("kill");
  REQUIRE(t != nullptr);
  REQUIRE(t->params.size() == 1);
  CHECK(t->params[0].name == "signal");
  CHECK(t->params[0].default_value == "KILL");
  CHECK(t->needs.target_kinds.empty());
}

TEST_CASE("kill with a duration says the server was started again after it", "[faults][kill]") {
  const BoundMethod bound("  - { at: 1s, fault: kill, target: web1, duration: 2500ms }\n");
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 1);
  CHECK(bound.faults[0].fault->describe() ==
        "every process of web1 was killed with SIGKILL and the server was started again 2.5 s later");
  CHECK(bound.faults[0].fault->suggested_measures().size() >= 2);
}

TEST_CASE("kill without a duration says the server stayed down", "[faults][kill]") {
  const BoundMethod bound("  - { at: 1s, fault: kill, target: lb, params: { signal: TERM } }\n");
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 1);
  CHECK(bound.faults[0].fault->describe() ==
        "every process of lb was killed with SIGTERM and stayed down until the end of the load");
}

TEST_CASE("kill refuses a signal that would not end the server", "[faults][kill][bad-config]") {
  expect_errors(
      "  - at: 1s\n    fault: kill\n    target: web1\n    params: { signal: HUP, restart_after: 2s }\n",
      {"t.yaml:15:23:", "HUP", "t.yaml:15:28: error: unknown parameter 'restart_after' for fault 'kill'"});
}

TEST_CASE("revert of a kill that was never injected does nothing", "[faults][kill]") {
  const BoundMethod bound("  - { at: 1s, fault: kill, target: web1 }\n");
  REQUIRE(bound.faults.size() == 1);
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
  CHECK(bound.faults[0].fault->revert(stack).ok());
  CHECK(bound.faults[0].fault->revert(stack).ok());
}

TEST_CASE("kill signals no pid the run no longer owns: a reaped server is refused, by pid",
          "[faults][kill][signals]") {
  // As for pause: the service's pid now names `other`, not its server.
  const faultline::stack::testing::ScratchDir dir;
  TestServer server(dir.path());
  TestServer other(dir.path());
  server.crash_and_reap();
  FakeStack stack;
  stack.add_service("web1", other.pid(), server.process);
  const BoundMethod bound("  - { at: 1s, fault: kill, target: web1, params: { signal: TERM } }\n");
  REQUIRE(bound.faults.size() == 1);

  const auto st = bound.faults[0].fault->inject(stack);
  REQUIRE_FALSE(st.ok());
  CHECK_THAT(st.error().message,
             Catch::Contains("kill: web1's server (pid " + std::to_string(server.pid())) &&
                 Catch::Contains("reaped"));
  // Nothing sent, and the stack was not told to expect a death.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK_FALSE(faultline::platform::has_exited(other.pid()));
  CHECK(stack.expected_down.empty());
}
