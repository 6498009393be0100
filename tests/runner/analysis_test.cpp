// The journal's analysis from synthetic run records: error budget, users
// affected, breach time, the steady-state verdict and exit codes.

#include "harness/runner/analysis.h"

#include <catch2/catch.hpp>
#include <variant>

#include "harness/runner/runner.h"

using namespace faultline;
using namespace faultline::runner;

namespace {

constexpr int64_t kSec = 1'000'000'000;

load::Sample sample(int64_t intended_ns, double latency_ms, uint16_t status, uint32_t user) {
  load::Sample s;
  s.intended_ns = intended_ns;
  s.sent_ns = intended_ns;
  s.done_ns = intended_ns + static_cast<int64_t>(latency_ms * 1e6);
  s.status = status;
  s.user = user;
  return s;
}

verify::NamedObjective objective(const std::string& name, const std::string& expr) {
  auto parsed = verify::parse_objective(expr);
  REQUIRE(std::holds_alternative<verify::ObjectiveExpr>(parsed));
  return {name, std::get<verify::ObjectiveExpr>(parsed)};
}

}  // namespace

TEST_CASE("the error budget is failed requests over what the target allows", "[runner][analysis][budget]") {
  ValidatedExperiment v;
  v.exp.slo.target = 0.999;
  RunRecord rec;
  for (int i = 0; i < 10000; ++i) {
    rec.load.samples.push_back(sample(i * 1000, 1, i < 5 ? 503 : 200, 0));
  }
  const auto budget = error_budget(rec, v);
  REQUIRE(budget.has_value());
  CHECK(budget->requests == 10000);
  CHECK(budget->failed == 5);
  CHECK(budget->allowed == Approx(10.0));
  CHECK(budget->consumed == Approx(0.5));
}

TEST_CASE("there is no error budget without a target", "[runner][analysis][budget]") {
  ValidatedExperiment v;
  RunRecord rec;
  rec.load.samples.push_back(sample(0, 1, 503, 0));
  CHECK_FALSE(error_budget(rec, v).has_value());
}

TEST_CASE("an empty run consumes no budget", "[runner][analysis][budget]") {
  ValidatedExperiment v;
  v.exp.slo.target = 0.99;
  RunRecord rec;
  const auto budget = error_budget(rec, v);
  REQUIRE(budget.has_value());
  CHECK(budget->consumed == 0);
}

TEST_CASE("users who saw an error or a response slower than the latency objective are affected",
          "[runner][analysis][impact]") {
  ValidatedExperiment v;
  v.objectives = {objective("latency", "p(99) < 100ms"), objective("fast", "p(50) < 300ms")};
  RunRecord rec;
  rec.load_start_ns = 0;
  rec.load_end_ns = 10 * kSec;
  FaultRecord f;
  f.injected_ns = 2 * kSec;
  f.inject_done_ns = 2 * kSec;
  f.revert_called_ns = 8 * kSec;
  f.reverted_ns = 8 * kSec;
  rec.faults.push_back(f);
  rec.load.samples = {
      sample(1 * kSec, 500, 503, 9),  // before the fault: not in the incident window
      sample(3 * kSec, 20, 200, 1),   // fine
      sample(3 * kSec, 150, 200, 2),  // slower than the tightest latency objective (100 ms)
      sample(4 * kSec, 5, 503, 3),    // an error
      sample(5 * kSec, 99, 200, 4),   // just within it
      sample(5 * kSec, 20, 200, 2),   // user 2 again, fine this time
  };
  const Impact im = measure_impact(rec, v);
  CHECK(im.latency_objective_ms == Approx(100));
  CHECK(im.requests == 5);
  CHECK(im.failed == 1);
  CHECK(im.slow == 1);
  CHECK(im.users_seen == 4);
  CHECK(im.users_affected == 2);
}

TEST_CASE("only a latency ceiling makes a response slow", "[runner][analysis][impact]") {
  RunRecord rec;
  rec.load_start_ns = 0;
  rec.load_end_ns = 10 * kSec;
  FaultRecord f;
  f.injected_ns = 2 * kSec;
  f.reverted_ns = 8 * kSec;
  rec.faults.push_back(f);
  rec.load.samples = {sample(3 * kSec, 90, 200, 1), sample(3 * kSec, 10, 200, 2)};

  ValidatedExperiment floor_only;
  floor_only.objectives = {objective("warm", "p(50) > 1ms")};
  const Impact none = measure_impact(rec, floor_only);
  CHECK_FALSE(none.latency_objective_ms.has_value());
  CHECK(none.users_affected == 0);

  ValidatedExperiment max_ceiling;
  max_ceiling.objectives = {objective("worst", "max <= 80ms"), objective("tail", "p(99) < 200ms")};
  const Impact im = measure_impact(rec, max_ceiling);
  CHECK(im.latency_objective_ms == Approx(80));
  CHECK(im.slow == 1);
  CHECK(im.users_affected == 1);
}

TEST_CASE("total breach time adds up every window in which an objective breached", "[runner][analysis]") {
  RunRecord rec;
  for (int i = 0; i < 5; ++i) {
    verify::WindowStats w;
    w.index = i;
    w.start_ns = i * kSec;
    w.end_ns = (i + 1) * kSec;
    rec.windows.push_back(w);
  }
  rec.verdict.window_holds = {true, false, false, true, false};
  CHECK(measure_timing(rec).total_breach_ns == 3 * kSec);
}

TEST_CASE("a run stopped by the steady-state gate did not hold its steady state",
          "[runner][analysis][gate]") {
  ValidatedExperiment v;
  RunRecord rec;
  CHECK(steady_state_held(rec, v));
  rec.status = RunStatus::steady_state_failed;
  rec.steady_state_failure = SteadyStateFailure{};
  CHECK_FALSE(steady_state_held(rec, v));
  CHECK_FALSE(expectation_met(rec, v));
}

TEST_CASE("each way a run ends has its own status and exit code", "[runner][exit]") {
  ValidatedExperiment hold;
  hold.exp.expect = experiment::Expectation::hold;
  RunRecord rec;
  rec.status = RunStatus::completed;
  CHECK(exit_code(rec, hold) == 0);
  rec.verdict.objectives.push_back({});
  rec.verdict.objectives.back().breaches.push_back({});
  CHECK(exit_code(rec, hold) == 1);
  rec.status = RunStatus::failed;
  CHECK(exit_code(rec, hold) == 3);
  rec.status = RunStatus::not_proven;
  CHECK(to_string(rec.status) == "not_proven");
  CHECK(exit_code(rec, hold) == 3);
  rec.status = RunStatus::steady_state_failed;
  CHECK(to_string(rec.status) == "steady_state_failed");
  CHECK(exit_code(rec, hold) == 4);
  rec.status = RunStatus::aborted;
  CHECK(to_string(rec.status) == "aborted");
  CHECK(exit_code(rec, hold) == 5);
  rec.status = RunStatus::interrupted;
  CHECK(exit_code(rec, hold) == 130);
}

TEST_CASE("the impact's peak p99 counts every window that overlaps the incident",
          "[runner][analysis][impact]") {
  ValidatedExperiment v;
  RunRecord rec;
  rec.load_start_ns = 0;
  rec.load_end_ns = 10 * kSec;
  FaultRecord f;
  // Injected a little after a window boundary, as a real run does.
  f.injected_ns = 4 * kSec + 500'000;
  f.inject_done_ns = f.injected_ns;
  f.revert_called_ns = 6 * kSec;
  f.reverted_ns = 6 * kSec;
  rec.faults.push_back(f);
  rec.load.samples = {sample(5 * kSec, 5, 503, 1)};
  const std::vector<double> p99 = {30, 31, 29, 30, 80, 20, 20, 25, 26, 27};
  for (int i = 0; i < 10; ++i) {
    verify::WindowStats w;
    w.start_ns = i * kSec;
    w.end_ns = (i + 1) * kSec;
    w.p99_ms = p99[i];
    rec.windows.push_back(w);
  }
  const Impact im = measure_impact(rec, v);
  // The window 4-5 s holds the first slow requests (80 ms); the baseline
  // window 3-4 s ends before the inject and does not count.
  CHECK(im.peak_p99_ms == Approx(80));
  rec.windows[4].p99_ms = 20;
  CHECK(measure_impact(rec, v).peak_p99_ms < 30);
}
