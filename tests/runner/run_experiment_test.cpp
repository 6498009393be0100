// run_experiment against a fake stack runtime (tests/runner/fake_runtime.h):
// the runner's own decisions, without root. Each run drives a real open-model
// load at a loopback server for a few seconds; the faults are scripted.

#include <catch2/catch.hpp>
#include <optional>
#include <variant>

#include "harness/runner/analysis.h"
#include "harness/runner/journal.h"
#include "harness/runner/runner.h"
#include "reporters/postmortem_view.h"
#include "reporters/reporter.h"
#include "tests/runner/fake_runtime.h"

using namespace faultline;
using namespace faultline::runner;
using namespace faultline::runner::testing;
using namespace std::chrono_literals;

namespace {

enum class Effect { stall, nothing };

struct FaultPlan {
  Duration at = 1s;
  std::optional<Duration> duration = 1s;
  bool inject_fails = false;
  bool revert_fails = false;
  Effect effect = Effect::stall;
};

struct Setup {
  experiment::Expectation expect = experiment::Expectation::hold;
  Duration load_duration = 3s;
  Duration steady_state = 0s;
  std::vector<std::string> objectives = {"p(99) < 100ms"};
  std::vector<std::string> abort_when;
  std::vector<FaultPlan> faults = {FaultPlan{}};
};

// Does nothing when injected: for runs whose breach must come from
// somewhere else than the fault.
class NoEffectFault final : public faults::Fault {
 public:
  explicit NoEffectFault(FakeFault::Calls& calls) : calls_(calls) {}
  std::string describe() const override { return "nothing changes"; }
  Status inject(stack::RunningStack& /*stack*/) override {
    ++calls_.injects;
    return {};
  }
  Status revert(stack::RunningStack& /*stack*/) override {
    ++calls_.reverts;
    return {};
  }

 private:
  FakeFault::Calls& calls_;
};

ValidatedExperiment make_experiment(const Setup& setup, TestHttpServer& server, FakeFault::Calls& calls) {
  ValidatedExperiment v;
  auto& exp = v.exp;
  exp.title = "fake runtime run";
  exp.expect = setup.expect;
  exp.load.target = "lb";
  exp.load.rate = 200;
  exp.load.connections = 8;  // more are opened on demand while the server stalls
  exp.load.users = 50;
  exp.load.timeout = 300ms;
  exp.load.duration = setup.load_duration;
  exp.slo.window = 500ms;
  exp.slo.steady_state = setup.steady_state;
  for (const auto& f : setup.faults) {
    experiment::MethodStep step;
    step.at = f.at;
    step.duration = f.duration;
    step.fault = "fake";
    step.target = "lb";
    exp.method.push_back(step);
  }
  // Bound after the method is complete: the steps must not move any more.
  for (size_t i = 0; i < setup.faults.size(); ++i) {
    faults::BoundFault bound;
    bound.step = &exp.method[i];
    if (setup.faults[i].effect == Effect::nothing) {
      bound.fault = std::make_unique<NoEffectFault>(calls);
    } else {
      bound.fault = std::make_unique<FakeFault>(server, calls, setup.faults[i].inject_fails,
                                                setup.faults[i].revert_fails);
    }
    v.faults.push_back(std::move(bound));
  }
  int n = 0;
  for (const auto& text : setup.objectives) {
    auto parsed = verify::parse_objective(text);
    REQUIRE(std::holds_alternative<verify::ObjectiveExpr>(parsed));
    v.objectives.push_back({"objective " + std::to_string(++n), std::get<verify::ObjectiveExpr>(parsed)});
  }
  for (const auto& text : setup.abort_when) {
    auto parsed = parse_abort_rule(text);
    REQUIRE(std::holds_alternative<AbortRule>(parsed));
    v.abort_rules.push_back(std::get<AbortRule>(parsed));
  }
  return v;
}

struct Outcome {
  RunRecord rec;
  nlohmann::ordered_json journal;
  int exit = -1;
};

Outcome run_fake(ValidatedExperiment& v, FakeRuntime& runtime) {
  RunOptions options;
  options.live_progress = false;
  options.runtime = &runtime;
  Outcome out;
  out.rec = run_experiment(v, options);
  out.journal = journal::to_json(make_journal(v, out.rec));
  out.exit = exit_code(out.rec, v);
  // Every way out releases the run it made.
  CHECK(runtime.bring_ups == 1);
  CHECK(runtime.releases == 1);
  return out;
}

std::string render(const char* format, const nlohmann::ordered_json& journal) {
  const auto* reporter = reporters::ReporterRegistry::instance().find(format);
  REQUIRE(reporter != nullptr);
  return reporter->render(journal, "");
}

}  // namespace

TEST_CASE("a fault that did not apply proves nothing, whatever the objectives did",
          "[runner][fake][not-proven]") {
  TestHttpServer server(ServerMode::answer, 1ms);
  FakeRuntime runtime(server.port());
  FakeFault::Calls calls;
  Setup setup;
  setup.faults[0].inject_fails = true;
  auto v = make_experiment(setup, server, calls);
  const auto out = run_fake(v, runtime);

  CHECK(calls.injects == 1);
  CHECK(calls.reverts == 1);  // what it half-applied was rolled back at once
  CHECK(out.rec.status == RunStatus::not_proven);
  CHECK(out.exit == 3);
  REQUIRE(out.rec.faults.size() == 1);
  CHECK(out.rec.faults[0].inject_failed);
  CHECK(out.rec.faults[0].injected_ns == -1);
  CHECK(out.rec.faults[0].inject_called_ns >= 0);
  // The objectives held (the fault did nothing), which must not read as a pass.
  CHECK_FALSE(out.rec.verdict.any_breach());
  CHECK_FALSE(judge_run(out.rec, v).expectation_met);
  // The fault never counts: no fault phase, no inject time, no impact.
  for (const auto& p : make_phases(out.rec)) {
    CHECK(p.kind != "fault");
  }
  CHECK_FALSE(measure_timing(out.rec).first_inject_ns.has_value());

  const auto& j = out.journal;
  CHECK(j["status"] == "not_proven");
  CHECK(j["verdict"]["outcome"] == "not_proven");
  CHECK(j["expectation_met"] == false);
  CHECK(j["activities"][0]["status"] == "inject_failed");
  CHECK(j["activities"][0]["injected_s"].is_null());
  REQUIRE(j["not_proven"].size() == 1);
  CHECK_THAT(j["not_proven"][0].get<std::string>(), Catch::Contains("fault 1 (fake on lb) did not apply"));

  const auto view = reporters::postmortem_view(j);
  CHECK(view["heading"] == "Run not proven: no verdict");
  CHECK(view["outcome"] == "not_proven");
  CHECK(view["is_incident"] == false);
  CHECK_THAT(view["run_problem"].get<std::string>(), Catch::Contains("did not apply"));
  CHECK_THAT(view["verdict"].get<std::string>(), Catch::StartsWith("No verdict"));
  const std::string md = render("md", j);
  CHECK_THAT(md, !Catch::Contains("Regression test passed"));
  CHECK_THAT(md, !Catch::Contains("active for"));

  const std::string xml = render("junit", j);
  CHECK_THAT(xml, Catch::Contains("type=\"NotProven\""));
  CHECK_THAT(xml, Catch::Contains("errors=\"1\""));
  CHECK_THAT(xml, Catch::Contains("not judged: the run proves nothing"));
}

TEST_CASE("a fault that could not be reverted proves nothing", "[runner][fake][not-proven]") {
  TestHttpServer server(ServerMode::answer, 1ms);
  FakeRuntime runtime(server.port());
  FakeFault::Calls calls;
  Setup setup;
  setup.expect = experiment::Expectation::breach;
  setup.faults[0].revert_fails = true;
  auto v = make_experiment(setup, server, calls);
  const auto out = run_fake(v, runtime);

  CHECK(out.rec.status == RunStatus::not_proven);
  CHECK(out.exit == 3);
  CHECK(out.rec.faults[0].revert_failed);
  // It was in force: its breach is measured, but no verdict stands on it.
  CHECK(out.rec.faults[0].injected_ns >= 0);
  CHECK(out.rec.verdict.any_breach());
  REQUIRE(out.journal["not_proven"].size() == 1);
  CHECK_THAT(out.journal["not_proven"][0].get<std::string>(), Catch::Contains("could not be reverted"));
  CHECK(out.journal["activities"][0]["status"] == "revert_failed");
}

TEST_CASE("a service crash is part of the run, a service death ends it", "[runner][fake][services]") {
  TestHttpServer server(ServerMode::answer, 1ms);
  FakeFault::Calls calls;
  Setup setup;
  setup.objectives = {"p(99) < 1s"};
  setup.faults[0].effect = Effect::nothing;

  SECTION("crash") {
    FakeScript script;
    script.crash_after_s = 1.0;
    FakeRuntime runtime(server.port(), script);
    auto v = make_experiment(setup, server, calls);
    const auto out = run_fake(v, runtime);
    CHECK(out.rec.status == RunStatus::completed);
    CHECK(out.exit == 0);
    REQUIRE(out.rec.service_events.size() == 1);
    CHECK(out.rec.service_events[0].event == "crashed");
    CHECK(out.rec.service_events[0].service == "web1");
  }
  SECTION("death") {
    FakeScript script;
    script.die_after_s = 1.5;
    FakeRuntime runtime(server.port(), script);
    auto v = make_experiment(setup, server, calls);
    const auto out = run_fake(v, runtime);
    CHECK(out.rec.status == RunStatus::failed);
    CHECK(out.exit == 3);
    REQUIRE(out.rec.failure.has_value());
    CHECK(out.rec.failure->stage == "run");
    CHECK(out.rec.failure->service == "lb");
    // The fault in force was reverted on the way out.
    CHECK(calls.reverts == calls.injects);
    CHECK(out.journal["verdict"]["outcome"] == "failed");
  }
}

TEST_CASE("the steady-state gate stops the run before anything is injected", "[runner][fake][gate]") {
  TestHttpServer server(ServerMode::answer, 1ms);
  FakeRuntime runtime(server.port());
  FakeFault::Calls calls;
  Setup setup;
  setup.steady_state = 1s;
  setup.faults[0].at = 1500ms;
  auto v = make_experiment(setup, server, calls);
  // The server is slow from the start: the stack, not the fault, breaches.
  const auto now = std::chrono::steady_clock::now();
  server.stall_between(now, now + std::chrono::hours(1));
  const auto out = run_fake(v, runtime);

  CHECK(out.rec.status == RunStatus::steady_state_failed);
  CHECK(out.exit == 4);
  CHECK(calls.injects == 0);
  CHECK(out.rec.steady_state_failure.has_value());
  CHECK(out.journal["verdict"]["outcome"] == "steady_state_failed");
}

TEST_CASE("an abort condition stops the run and reverts the fault", "[runner][fake][abort]") {
  TestHttpServer server(ServerMode::answer, 1ms);
  FakeRuntime runtime(server.port());
  FakeFault::Calls calls;
  Setup setup;
  setup.expect = experiment::Expectation::breach;
  setup.load_duration = 4s;
  setup.faults[0].duration = std::nullopt;  // in force until the end
  setup.abort_when = {"error_rate > 50% for 500ms"};
  auto v = make_experiment(setup, server, calls);
  const auto out = run_fake(v, runtime);

  CHECK(out.rec.status == RunStatus::aborted);
  CHECK(out.exit == 5);
  CHECK(calls.reverts == 1);
  REQUIRE(out.rec.abort.has_value());
  CHECK(out.rec.load_end_ns - out.rec.load_start_ns < std::chrono::nanoseconds(4s).count());
}

TEST_CASE("a drill whose load ends soon after the revert does not claim the SLOs had not recovered",
          "[runner][fake][tail]") {
  TestHttpServer server(ServerMode::answer, 1ms);
  FakeRuntime runtime(server.port());
  FakeFault::Calls calls;
  Setup setup;
  setup.expect = experiment::Expectation::breach;
  setup.faults[0].duration = 1700ms;  // reverted at t+2.7 s of 3 s
  auto v = make_experiment(setup, server, calls);
  const auto out = run_fake(v, runtime);

  CHECK(out.rec.status == RunStatus::completed);
  CHECK(out.exit == 0);
  const Timing t = measure_timing(out.rec);
  REQUIRE(t.first_breach_ns.has_value());
  CHECK_FALSE(t.recovered_ns.has_value());
  CHECK_FALSE(t.recovery_observable);
  CHECK(t.tail_needed_ns == 3 * std::chrono::nanoseconds(500ms).count());
  CHECK(out.journal["analysis"]["recovery"]["observable"] == false);

  const std::string md = render("md", out.journal);
  CHECK_THAT(md, Catch::Contains("recovery was not observed: the load ended"));
  CHECK_THAT(md, !Catch::Contains("had not recovered"));
}

TEST_CASE("a drill that breached only before its fault did not reproduce the incident",
          "[runner][fake][verdict]") {
  TestHttpServer server(ServerMode::answer, 1ms);
  FakeRuntime runtime(server.port());
  FakeFault::Calls calls;
  Setup setup;
  setup.expect = experiment::Expectation::breach;
  setup.faults[0].at = 2s;
  setup.faults[0].effect = Effect::nothing;
  auto v = make_experiment(setup, server, calls);
  // Slow while warming up, fine from t+0.6 s on (the load starts ~50 ms
  // after the run does): the only breach is in the warm-up.
  const auto now = std::chrono::steady_clock::now();
  server.stall_between(now, now + 600ms);
  const auto out = run_fake(v, runtime);

  REQUIRE(out.rec.status == RunStatus::completed);
  CHECK(out.rec.verdict.any_breach());
  const RunJudgement judgement = judge_run(out.rec, v);
  CHECK_FALSE(judgement.breached_after_fault);
  CHECK(judgement.outcome == RunOutcome::not_reproduced);
  CHECK(out.exit == 1);
  // Every report says the same as the exit code.
  CHECK(out.journal["verdict"]["outcome"] == "not_reproduced");
  const auto view = reporters::postmortem_view(out.journal);
  CHECK(view["outcome"] == "not_reproduced");
  CHECK(view["is_incident"] == false);
  CHECK_THAT(view["verdict"].get<std::string>(), Catch::Contains("Incident not reproduced"));
  const std::string xml = render("junit", out.journal);
  CHECK_THAT(xml, Catch::Contains("ExpectationNotMet"));
  CHECK_THAT(xml, Catch::Contains("breached only before it"));
}
