#include "harness/verify/verdict.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace faultline::verify {
namespace {

constexpr int64_t second = 1'000'000'000;

ObjectiveExpr expr(const std::string& text) {
  return std::get<ObjectiveExpr>(parse_objective(text));
}

// One-second windows with 100 requests each and the given error counts; -1
// makes a window without requests.
std::vector<WindowStats> windows_with_errors(const std::vector<int>& errors) {
  std::vector<WindowStats> windows;
  for (std::size_t i = 0; i < errors.size(); ++i) {
    WindowStats w;
    w.index = static_cast<int>(i);
    w.start_ns = static_cast<int64_t>(i) * second;
    w.end_ns = w.start_ns + second;
    if (errors[i] >= 0) {
      w.requests = 100;
      w.errors = static_cast<uint64_t>(errors[i]);
      for (int r = 0; r < 100; ++r) {
        w.latency.add_ms(10.0 + errors[i]);
      }
    }
    windows.push_back(w);
  }
  return windows;
}

TEST_CASE("breach intervals are the maximal runs of breaching windows", "[verify]") {
  const auto windows = windows_with_errors({0, 0, 5, 7, 0, 3, 0});
  const Verdict verdict = evaluate({{"availability", expr("error_rate < 1%")}}, windows);

  REQUIRE(verdict.objectives.size() == 1);
  const ObjectiveVerdict& o = verdict.objectives[0];
  CHECK(o.name == "availability");
  REQUIRE(o.breaches.size() == 2);
  CHECK(o.breaches[0].first_window == 2);
  CHECK(o.breaches[0].last_window == 3);
  CHECK(o.breaches[0].start_ns == 2 * second);
  CHECK(o.breaches[0].end_ns == 4 * second);
  CHECK(o.breaches[0].worst_value == Approx(0.07));
  CHECK(o.breaches[1].first_window == 5);
  CHECK(o.breaches[1].last_window == 5);
  CHECK(o.breaches[1].end_ns == 6 * second);
  CHECK(o.breaches[1].worst_value == Approx(0.03));
  CHECK(o.holds == std::vector<bool>{true, true, false, false, true, false, true});
  REQUIRE(o.worst.has_value());
  CHECK(*o.worst == Approx(0.07));
  CHECK(o.breached());
  CHECK(verdict.any_breach());
}

TEST_CASE("a breach that lasts to the end of the run ends with the last window", "[verify]") {
  const Verdict verdict =
      evaluate({{"availability", expr("error_rate < 1%")}}, windows_with_errors({0, 9, 9}));
  REQUIRE(verdict.objectives[0].breaches.size() == 1);
  CHECK(verdict.objectives[0].breaches[0].last_window == 2);
  CHECK(verdict.objectives[0].breaches[0].end_ns == 3 * second);
}

TEST_CASE("windows without requests are not measured and hold", "[verify]") {
  const auto windows = windows_with_errors({5, -1, 5});
  const Verdict verdict = evaluate({{"availability", expr("error_rate < 1%")}}, windows);
  const ObjectiveVerdict& o = verdict.objectives[0];
  CHECK(o.values[0].has_value());
  CHECK_FALSE(o.values[1].has_value());
  CHECK(o.holds == std::vector<bool>{false, true, false});
  CHECK(o.breaches.size() == 2);
}

TEST_CASE("an objective that always holds has no breach", "[verify]") {
  const Verdict verdict =
      evaluate({{"availability", expr("error_rate < 10%")}}, windows_with_errors({0, 5, 9}));
  CHECK_FALSE(verdict.any_breach());
  CHECK(verdict.objectives[0].breaches.empty());
  CHECK(*verdict.objectives[0].worst == Approx(0.09));
  CHECK(verdict.window_holds == std::vector<bool>{true, true, true});
}

TEST_CASE("the worst value of a lower bound is the lowest one", "[verify]") {
  // p(50) > 12ms: the windows' medians are 10 + errors.
  const Verdict verdict = evaluate({{"floor", expr("p(50) > 12ms")}}, windows_with_errors({5, 1, 0, 4}));
  const ObjectiveVerdict& o = verdict.objectives[0];
  CHECK(*o.worst == Approx(10));
  REQUIRE(o.breaches.size() == 1);
  CHECK(o.breaches[0].first_window == 1);
  CHECK(o.breaches[0].last_window == 2);
  CHECK(o.breaches[0].worst_value == Approx(10));
}

TEST_CASE("a window holds only when every objective holds in it", "[verify]") {
  const auto windows = windows_with_errors({0, 2, 6, 0});
  const Verdict verdict =
      evaluate({{"availability", expr("error_rate < 1%")}, {"latency", expr("p(99) < 15ms")}}, windows);
  REQUIRE(verdict.objectives.size() == 2);
  CHECK(verdict.objectives[0].holds == std::vector<bool>{true, false, false, true});
  CHECK(verdict.objectives[1].holds == std::vector<bool>{true, true, false, true});
  CHECK(verdict.window_holds == std::vector<bool>{true, false, false, true});
}

TEST_CASE("first breach is the first breaching window starting at or after a time", "[verify]") {
  const auto windows = windows_with_errors({5, 0, 0, 5, 5, 0});
  const Verdict verdict = evaluate({{"availability", expr("error_rate < 1%")}}, windows);
  CHECK(verdict.first_breach_at_or_after(windows, 0) == 0);
  CHECK(verdict.first_breach_at_or_after(windows, 1) == 3 * second);
  CHECK(verdict.first_breach_at_or_after(windows, 3 * second) == 3 * second);
  CHECK(verdict.first_breach_at_or_after(windows, 4 * second) == 4 * second);
  CHECK_FALSE(verdict.first_breach_at_or_after(windows, 5 * second).has_value());
}

TEST_CASE("recovery is the start of the first run of holding windows long enough", "[verify]") {
  const auto windows = windows_with_errors({0, 5, 5, 0, 5, 0, 0, 0, 5});
  const Verdict verdict = evaluate({{"availability", expr("error_rate < 1%")}}, windows);
  CHECK(verdict.first_recovery_at_or_after(windows, 1 * second) == 5 * second);
  CHECK(verdict.first_recovery_at_or_after(windows, 1 * second, 1) == 3 * second);
  CHECK(verdict.first_recovery_at_or_after(windows, 1 * second, 0) == 3 * second);
  CHECK(verdict.first_recovery_at_or_after(windows, 6 * second, 2) == 6 * second);
  CHECK(verdict.first_recovery_at_or_after(windows, 0) == 5 * second);
}

TEST_CASE("no recovery is found when the run ends before enough windows hold", "[verify]") {
  const auto windows = windows_with_errors({5, 5, 0, 0});
  const Verdict verdict = evaluate({{"availability", expr("error_rate < 1%")}}, windows);
  CHECK_FALSE(verdict.first_recovery_at_or_after(windows, 0).has_value());
  CHECK(verdict.first_recovery_at_or_after(windows, 0, 2) == 2 * second);
}

TEST_CASE("without objectives every window holds", "[verify]") {
  const auto windows = windows_with_errors({5, 5});
  const Verdict verdict = evaluate({}, windows);
  CHECK(verdict.window_holds == std::vector<bool>{true, true});
  CHECK_FALSE(verdict.any_breach());
  CHECK_FALSE(verdict.first_breach_at_or_after(windows, 0).has_value());
}

TEST_CASE("the breach time of an objective is the length of its breaching windows", "[verify]") {
  const auto windows = windows_with_errors({0, 5, 7, 0, 3, 0, 2});
  const Verdict verdict =
      evaluate({{"availability", expr("error_rate < 1%")}, {"strict", expr("error_rate < 4%")}}, windows);
  REQUIRE(verdict.objectives.size() == 2);
  CHECK(verdict.objectives[0].breach_ns() == 4 * second);
  CHECK(verdict.objectives[0].breaches[0].duration_ns() == 2 * second);
  CHECK(verdict.objectives[1].breach_ns() == 2 * second);
  // Windows 1, 2, 4 and 6 breach one objective or both: each counts once.
  CHECK(verdict.breach_ns(windows) == 4 * second);
}

TEST_CASE("the breach time of an objective that holds is zero", "[verify]") {
  const auto windows = windows_with_errors({0, 0});
  const Verdict verdict = evaluate({{"availability", expr("error_rate < 1%")}}, windows);
  CHECK(verdict.objectives[0].breach_ns() == 0);
  CHECK(verdict.breach_ns(windows) == 0);
}

TEST_CASE("the breach time of a short last window is its own length", "[verify]") {
  auto windows = windows_with_errors({0, 9});
  windows[1].end_ns = windows[1].start_ns + second / 2;
  const Verdict verdict = evaluate({{"availability", expr("error_rate < 1%")}}, windows);
  CHECK(verdict.objectives[0].breach_ns() == second / 2);
  CHECK(verdict.breach_ns(windows) == second / 2);
}

TEST_CASE("the error budget consumed is the failed requests over those the target allows", "[verify]") {
  // 400 requests, 2 failed; 99.9% allows 0.4 failures, 99% allows 4.
  const auto windows = windows_with_errors({0, 1, -1, 1, 0});
  const ErrorBudget tight = error_budget(windows, 0.999);
  CHECK(tight.requests == 400);
  CHECK(tight.failed == 2);
  CHECK(tight.allowed_failures() == Approx(0.4));
  CHECK(tight.consumed() == Approx(5.0));
  CHECK(tight.overspent());

  const ErrorBudget loose = error_budget(windows, 0.99);
  CHECK(loose.consumed() == Approx(0.5));
  CHECK_FALSE(loose.overspent());

  // A phase: only the windows passed count.
  const ErrorBudget first_two = error_budget(std::span(windows).first(2), 0.99);
  CHECK(first_two.requests == 200);
  CHECK(first_two.consumed() == Approx(0.5));
}

TEST_CASE("an error budget without failures is untouched, even at a target of 100%", "[verify]") {
  const auto clean = windows_with_errors({0, 0});
  CHECK(error_budget(clean, 0.999).consumed() == 0);
  CHECK(error_budget(clean, 1.0).consumed() == 0);
  CHECK(error_budget({}, 0.999).consumed() == 0);
  CHECK(std::isinf(error_budget(windows_with_errors({1}), 1.0).consumed()));
}

TEST_CASE("an SLO target outside 0 to 1 is refused", "[verify]") {
  const auto windows = windows_with_errors({0});
  CHECK_THROWS_AS(error_budget(windows, 99.9), std::invalid_argument);
  CHECK_THROWS_AS(error_budget(windows, -0.1), std::invalid_argument);
  CHECK_NOTHROW(error_budget(windows, 0.0));
}

}  // namespace
}  // namespace faultline::verify
