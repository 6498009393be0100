// pause's registration and parameter checks, and which processes its
// signals reach (its effect on a real stack is covered by
// tests/integration/faults_process_test.cpp).

#include <catch2/catch.hpp>

#include "fault_test_support.h"
#include "faults/registry.h"
#include "tests/stack/stack_fixtures.h"

using faultline::faults::testing::BoundMethod;
using faultline::faults::testing::expect_errors;
using faultline::faults::testing::FakeStack;
using faultline::faults::testing::TestServer;

TEST_CASE("pause is registered without parameters", "[faults][pause]") {
  const auto* t = faultline::faults::Registry::instance().find("pause");
  REQUIRE(t != nullptr);
  CHECK(t->params.empty());
  CHECK(t->needs.target_kinds.empty());
}

TEST_CASE("pause binds and describes the freeze", "[faults][pause]") {
  const BoundMethod bound("  - { at: 1s, fault: pause, target: web2, duration: 2s }\n");
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 1);
  CHECK(bound.faults[0].fault->describe() ==
        "every process of web2 was frozen: it kept its connections but answered nothing");
  CHECK(bound.faults[0].fault->mechanism().empty());  // known once inject has signalled
  CHECK(bound.faults[0].fault->suggested_measures().size() >= 2);
}

TEST_CASE("pause refuses parameters it does not take", "[faults][pause][bad-config]") {
  expect_errors("  - at: 1s\n    fault: pause\n    target: web1\n    params: { signal: STOP }\n",
                {"t.yaml:15:15: error: unknown parameter 'signal' for fault 'pause'"});
}

TEST_CASE("pause freezes the server's process group and thaws it on revert", "[faults][pause][signals]") {
  const faultline::stack::testing::ScratchDir dir;
  TestServer server(dir.path());
  FakeStack stack;
  stack.add_service("web1", server.pid(), server.process);
  const BoundMethod bound("  - { at: 1s, fault: pause, target: web1 }\n");
  REQUIRE(bound.faults.size() == 1);
  auto& fault = *bound.faults[0].fault;
  REQUIRE(fault.inject(stack).ok());
  CHECK(server.stopped(true));
  // How it was done, for the journal (the description leaves it out).
  CHECK(fault.mechanism() == "SIGSTOP to the process group of web1's server (pid " +
                                 std::to_string(server.pid()) + "), SIGCONT on revert");
  REQUIRE(fault.revert(stack).ok());
  CHECK_FALSE(server.stopped(false));
}

TEST_CASE("pause signals no pid the run no longer owns: a reaped server is refused, by pid",
          "[faults][pause][signals]") {
  // After a server crashed and the stack reaped it, the service still
  // carries the old pid, which the kernel may give to any new process.
  // `other` plays that process: the service's pid is now other's, while its
  // server (the process the run started) is gone.
  const faultline::stack::testing::ScratchDir dir;
  TestServer server(dir.path());
  TestServer other(dir.path());
  server.crash_and_reap();
  FakeStack stack;
  stack.add_service("web1", other.pid(), server.process);
  const BoundMethod bound("  - { at: 1s, fault: pause, target: web1 }\n");
  REQUIRE(bound.faults.size() == 1);
  auto& fault = *bound.faults[0].fault;

  const auto st = fault.inject(stack);
  REQUIRE_FALSE(st.ok());
  CHECK_THAT(st.error().message, Catch::Contains("pause: cannot stop web1") &&
                                     Catch::Contains("process " + std::to_string(server.pid())) &&
                                     Catch::Contains("was reaped") && Catch::Contains("SIGSTOP not sent"));
  CHECK_FALSE(other.stopped(true, std::chrono::milliseconds(200)));
  CHECK(fault.revert(stack).ok());
}

TEST_CASE("pause's revert thaws nothing once the frozen server was reaped", "[faults][pause][signals]") {
  const faultline::stack::testing::ScratchDir dir;
  TestServer server(dir.path());
  FakeStack stack;
  stack.add_service("web1", server.pid(), server.process);
  const BoundMethod bound("  - { at: 1s, fault: pause, target: web1 }\n");
  REQUIRE(bound.faults.size() == 1);
  auto& fault = *bound.faults[0].fault;
  REQUIRE(fault.inject(stack).ok());
  server.crash_and_reap();
  CHECK(fault.revert(stack).ok());
  CHECK(fault.revert(stack).ok());
}
