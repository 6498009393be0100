// measure_timing and make_phases on hand-made run records: where detection,
// recovery and each phase begin and end, to the window.

#include <catch2/catch.hpp>

#include "harness/runner/analysis.h"

using namespace faultline;
using namespace faultline::runner;

namespace {

constexpr int64_t kSec = 1'000'000'000;

// Ten windows of one second; `holds[i]` says whether window i held.
RunRecord record_with_windows(const std::vector<bool>& holds) {
  RunRecord rec;
  rec.load_start_ns = 0;
  rec.load_end_ns = static_cast<int64_t>(holds.size()) * kSec;
  for (size_t i = 0; i < holds.size(); ++i) {
    verify::WindowStats w;
    w.index = static_cast<int>(i);
    w.start_ns = static_cast<int64_t>(i) * kSec;
    w.end_ns = w.start_ns + kSec;
    rec.windows.push_back(w);
  }
  rec.verdict.window_holds = holds;
  verify::ObjectiveVerdict ov;
  ov.holds = holds;
  for (size_t i = 0; i < holds.size(); ++i) {
    if (!holds[i]) {
      verify::BreachInterval b;
      b.first_window = b.last_window = static_cast<int>(i);
      b.start_ns = static_cast<int64_t>(i) * kSec;
      b.end_ns = b.start_ns + kSec;
      ov.breaches.push_back(b);
    }
  }
  rec.verdict.objectives.push_back(ov);
  return rec;
}

// What a fault record points to for its name in the phases.
const faults::BoundFault& bound_fault() {
  static const experiment::MethodStep step = [] {
    experiment::MethodStep s;
    s.fault = "lb_weight";
    s.target = "lb";
    return s;
  }();
  static const faults::BoundFault bound = [] {
    faults::BoundFault b;
    b.step = &step;
    return b;
  }();
  return bound;
}

FaultRecord fault(double injected_s, double reverted_s) {
  FaultRecord f;
  f.bound = &bound_fault();
  f.inject_called_ns = static_cast<int64_t>(injected_s * kSec);
  f.injected_ns = f.inject_called_ns;
  f.inject_done_ns = f.injected_ns + kSec / 10;
  f.revert_called_ns = static_cast<int64_t>(reverted_s * kSec);
  f.reverted_ns = f.revert_called_ns + kSec / 10;
  return f;
}

load::Sample sample_at(double intended_s) {
  load::Sample s;
  s.intended_ns = static_cast<int64_t>(intended_s * kSec);
  s.sent_ns = s.intended_ns;
  s.done_ns = s.intended_ns + kSec / 100;
  s.status = 200;
  return s;
}

}  // namespace

TEST_CASE("the window that straddles the inject counts as a breach after the fault", "[runner][timing]") {
  //                        0     1     2      3      4     5     6     7     8     9
  auto rec = record_with_windows({true, true, false, false, true, true, true, true, true, true});
  rec.faults.push_back(fault(2.5, 3.5));
  const Timing t = measure_timing(rec);
  REQUIRE(t.first_inject_ns == int64_t(2.5 * kSec));
  REQUIRE(t.first_breach_ns.has_value());
  CHECK(*t.first_breach_ns == 2 * kSec);  // the window 2–3 s holds the inject
  CHECK(*t.detected_ns == 3 * kSec);      // known when that window closes
  // Reverted at 3.6 s (when revert() returned); window 3 still breaches,
  // windows 4, 5 and 6 hold.
  REQUIRE(t.recovered_ns.has_value());
  CHECK(*t.recovered_ns == 5 * kSec);  // the end of window 4, the first of three holding ones
  CHECK(t.total_breach_ns == 2 * kSec);
  CHECK(t.recovery_observable);
}

TEST_CASE("a breach that ended before the window of the inject is not the fault's", "[runner][timing]") {
  auto rec = record_with_windows({false, true, true, true, true, true, true, true, true, true});
  rec.faults.push_back(fault(2.5, 4));
  const Timing t = measure_timing(rec);
  CHECK_FALSE(t.first_breach_ns.has_value());
  CHECK(t.total_breach_ns == kSec);  // it is still breach time of the run
}

TEST_CASE("recovery is observable only with enough load after the last revert", "[runner][timing]") {
  SECTION("a tail of three windows, still breaching: not recovered, and that was observable") {
    auto rec = record_with_windows({true, true, false, false, false, false, false, false, false, false});
    rec.faults.push_back(fault(2, 6.9));
    const Timing t = measure_timing(rec);
    CHECK_FALSE(t.recovered_ns.has_value());
    CHECK(t.tail_after_revert_ns == 3 * kSec);
    CHECK(t.tail_needed_ns == verify::kRecoveryHoldingWindows * kSec);
    CHECK(t.recovery_observable);
  }
  SECTION("a tail of one window: recovery could not be observed") {
    auto rec = record_with_windows({true, true, false, false, false, false, false, false, false, false});
    rec.faults.push_back(fault(2, 8.9));
    const Timing t = measure_timing(rec);
    CHECK_FALSE(t.recovered_ns.has_value());
    CHECK(t.tail_after_revert_ns == kSec);
    CHECK_FALSE(t.recovery_observable);
  }
}

TEST_CASE("a fault whose inject failed starts no phase, no timing and no impact",
          "[runner][timing][phases]") {
  auto rec = record_with_windows({true, true, true, false, true, true, true, true, true, true});
  FaultRecord failed;
  failed.inject_called_ns = 2 * kSec;
  failed.inject_done_ns = 2 * kSec + kSec / 20;
  failed.inject_failed = true;
  failed.revert_called_ns = failed.inject_done_ns;
  failed.reverted_ns = failed.inject_done_ns + kSec / 100;
  rec.faults.push_back(failed);
  for (int i = 0; i < 100; ++i) {
    rec.load.samples.push_back(sample_at(i * 0.1));
  }
  const Timing t = measure_timing(rec);
  CHECK_FALSE(t.first_inject_ns.has_value());
  CHECK_FALSE(t.first_breach_ns.has_value());
  const auto phases = make_phases(rec);
  REQUIRE(phases.size() == 1);
  CHECK(phases[0].kind == "baseline");
  CHECK(phases[0].end_ns == rec.load_end_ns);
  CHECK(phases[0].requests == 100);
  ValidatedExperiment v;
  CHECK(measure_impact(rec, v).requests == 0);
}

TEST_CASE("phases run from the load start to the first fault in force, over each fault, and after the revert",
          "[runner][timing][phases]") {
  auto rec = record_with_windows(std::vector<bool>(10, true));
  rec.faults.push_back(fault(3, 6));
  for (int i = 0; i < 100; ++i) {
    rec.load.samples.push_back(sample_at(i * 0.1));
  }
  const auto phases = make_phases(rec);
  REQUIRE(phases.size() == 3);
  CHECK(phases[0].kind == "baseline");
  CHECK(phases[0].start_ns == 0);
  CHECK(phases[0].end_ns == 3 * kSec);
  CHECK(phases[0].requests == 30);
  // The fault's phase holds what met the changed configuration: from
  // inject() returning to revert() being called.
  CHECK(phases[1].kind == "fault");
  CHECK(phases[1].start_ns == 3 * kSec + kSec / 10);
  CHECK(phases[1].end_ns == 6 * kSec);
  CHECK(phases[1].requests == 29);
  CHECK(phases[2].kind == "recovery");
  CHECK(phases[2].start_ns == 6 * kSec + kSec / 10);
  CHECK(phases[2].end_ns == 10 * kSec);
  CHECK(phases[2].requests == 39);
}
