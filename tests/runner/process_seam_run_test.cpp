// A real `pause` fault run by run_experiment on the fake runtime, whose
// stack serves the process seam itself (fake_runtime.h: its freeze stalls
// the loopback server): the fault reaches the service only through the
// seam, its effect is measured, and the journal's mechanism is the stack's.

#include <catch2/catch.hpp>
#include <variant>

#include "faults/registry.h"
#include "harness/experiment/loader.h"
#include "harness/runner/journal.h"
#include "harness/runner/runner.h"
#include "tests/runner/fake_runtime.h"

using namespace faultline;
using namespace faultline::runner;
using namespace faultline::runner::testing;
using namespace std::chrono_literals;

namespace {

const char* const kExperiment = R"(version: 1
title: pause through the seam
stack:
  services:
    lb: { kind: haproxy, backends: [web1] }
    web1: { kind: nginx }
load: { target: lb, rate: 200/s, connections: 8, users: 50, timeout: 300ms, duration: 3s }
slo:
  window: 500ms
  objectives:
    - { name: latency, expr: "p(99) < 100ms" }
method:
  - { at: 1s, fault: pause, target: lb, duration: 1s }
expect: breach
)";

}  // namespace

TEST_CASE("pause on a stack that serves the process seam itself freezes through it and thaws at revert",
          "[runner][fake][seam]") {
  TestHttpServer server(ServerMode::answer, 1ms);
  FakeScript script;
  script.freezable = &server;
  FakeRuntime runtime(server.port(), script);

  ValidatedExperiment v;
  experiment::Diagnostics diags("t.yaml");
  v.exp = experiment::load_string(kExperiment, "t.yaml", {}, diags);
  // Bound once the experiment is where it stays: the faults point into it.
  v.faults = faults::bind_method(v.exp, diags);
  INFO(diags.format());
  REQUIRE_FALSE(diags.has_errors());
  REQUIRE(v.faults.size() == 1);
  auto parsed = verify::parse_objective("p(99) < 100ms");
  REQUIRE(std::holds_alternative<verify::ObjectiveExpr>(parsed));
  v.objectives.push_back({"latency", std::get<verify::ObjectiveExpr>(parsed)});

  RunOptions options;
  options.live_progress = false;
  options.runtime = &runtime;
  const RunRecord rec = run_experiment(v, options);
  const auto j = journal::to_json(make_journal(v, rec));
  INFO(j.dump(2));
  CHECK(rec.status == RunStatus::completed);
  REQUIRE(j["activities"].size() == 1);
  const auto& a = j["activities"][0];
  CHECK(a["status"] == "reverted");
  // Without the fake's seam, the default (a signal to faultline's child)
  // would have refused: the fake's lb has no process.
  CHECK(a["mechanism"] == "the fake stack stalled its server");
  // In force: the stalled requests timed out, the objective breached.
  CHECK(rec.verdict.any_breach());
  CHECK(exit_code(rec, v) == 0);
  // Released: in the windows from half a second after the revert on (a
  // request sent just before it may still time out), nothing fails.
  double late_errors = 0;
  double late_requests = 0;
  for (const auto& w : j["windows"]) {
    if (w["start_s"].get<double>() >= a["reverted_s"].get<double>() + 0.4) {
      late_errors += w["errors"].get<double>();
      late_requests += w["requests"].get<double>();
    }
  }
  CHECK(late_requests > 0);
  CHECK(late_errors == 0);
}
