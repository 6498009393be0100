// Judging a run while it goes on: the steady-state gate, abort conditions
// and the progress line's figures, from synthetic samples.

#include "harness/runner/live_monitor.h"

#include <catch2/catch.hpp>
#include <variant>

using namespace faultline;
using namespace faultline::runner;
using namespace std::chrono_literals;

namespace {

constexpr int64_t kStart = 10'000'000'000;  // load start on the run clock
constexpr int64_t kSec = 1'000'000'000;

// Hands over whatever a test queued, as a generator's live view would.
class QueuedSamples : public LiveSamples {
 public:
  void take_new(load::LoadResult& into) override {
    into.samples.insert(into.samples.end(), queued.begin(), queued.end());
    queued.clear();
  }
  std::vector<load::Sample> queued;
};

// `per_second` requests a second over [from_s, to_s) of the load, each
// answering after `latency_ms`, failing (503) when `failing`.
void add_load(QueuedSamples& q, double from_s, double to_s, int per_second, double latency_ms, bool failing) {
  const auto n = static_cast<int>((to_s - from_s) * per_second);
  for (int i = 0; i < n; ++i) {
    load::Sample s;
    s.intended_ns = kStart + static_cast<int64_t>((from_s + double(i) / per_second) * 1e9);
    s.sent_ns = s.intended_ns;
    s.done_ns = s.intended_ns + static_cast<int64_t>(latency_ms * 1e6);
    s.status = failing ? 503 : 200;
    s.user = static_cast<uint32_t>(i % 10);
    q.queued.push_back(s);
  }
}

verify::NamedObjective objective(const std::string& name, const std::string& expr) {
  auto parsed = verify::parse_objective(expr);
  REQUIRE(std::holds_alternative<verify::ObjectiveExpr>(parsed));
  return {name, std::get<verify::ObjectiveExpr>(parsed)};
}

AbortRule rule(const std::string& text) {
  auto parsed = parse_abort_rule(text);
  REQUIRE(std::holds_alternative<AbortRule>(parsed));
  return std::get<AbortRule>(parsed);
}

}  // namespace

TEST_CASE("the steady-state gate passes when every objective held over the period", "[runner][live][gate]") {
  QueuedSamples q;
  add_load(q, 0, 10, 100, 5, false);
  LiveMonitor m(kStart, 1s, 2s,
                {objective("availability", "error_rate < 1%"), objective("latency", "p(99) < 50ms")}, {});
  m.pull(q);
  CHECK_FALSE(m.check_steady_state(kStart + 5 * kSec, kStart + 10 * kSec).has_value());
}

TEST_CASE("the steady-state gate names the objective that did not hold and its value",
          "[runner][live][gate]") {
  QueuedSamples q;
  add_load(q, 0, 7, 100, 5, false);
  add_load(q, 7, 8, 100, 5, true);  // one bad second inside the period
  add_load(q, 8, 10, 100, 5, false);
  LiveMonitor m(kStart, 1s, 2s,
                {objective("latency", "p(99) < 50ms"), objective("availability", "error_rate < 1%")}, {});
  m.pull(q);
  const auto failure = m.check_steady_state(kStart + 5 * kSec, kStart + 10 * kSec);
  REQUIRE(failure.has_value());
  CHECK(failure->objective == "availability");
  CHECK(failure->expr == "error_rate < 1%");
  REQUIRE(failure->value.has_value());
  CHECK(*failure->value == Approx(1.0));
  CHECK(failure->window_start_ns == kStart + 7 * kSec);
  CHECK(failure->window_end_ns == kStart + 8 * kSec);
  CHECK_FALSE(failure->value_text.empty());

  // The same bad second before the steady-state period does not count.
  CHECK_FALSE(m.check_steady_state(kStart + 8 * kSec, kStart + 10 * kSec).has_value());
}

TEST_CASE("a steady-state period shorter than a window is judged as one window", "[runner][live][gate]") {
  QueuedSamples q;
  add_load(q, 0, 1, 100, 80, false);
  LiveMonitor m(kStart, 1s, 2s, {objective("latency", "p(99) < 50ms")}, {});
  m.pull(q);
  const auto failure = m.check_steady_state(kStart + kSec / 2, kStart + kSec);
  REQUIRE(failure.has_value());
  CHECK(failure->objective == "latency");
  CHECK(*failure->value == Approx(80));
}

TEST_CASE("an abort condition fires once it held in every final window over its duration",
          "[runner][live][abort]") {
  QueuedSamples q;
  add_load(q, 0, 2, 100, 5, false);
  add_load(q, 2, 10, 100, 5, true);  // everything fails from t=2s
  LiveMonitor m(kStart, 1s, 2s, {}, {rule("error_rate > 50% for 3s")});
  m.pull(q);

  // At t=6s windows up to [3s,4s) are final (settle 2s): two failing windows.
  CHECK_FALSE(m.check_abort(kStart + 6 * kSec).has_value());
  CHECK(m.final_windows().size() == 4);
  // At t=7s the window [4s,5s) is final too: three failing windows.
  const auto trigger = m.check_abort(kStart + 7 * kSec);
  REQUIRE(trigger.has_value());
  CHECK(trigger->rule == 0);
  CHECK(trigger->condition == "error_rate > 50% for 3s");
  CHECK(trigger->since_ns == kStart + 2 * kSec);
  CHECK(trigger->until_ns == kStart + 5 * kSec);
  CHECK(trigger->value == Approx(1.0));
}

TEST_CASE("an abort condition does not fire when a window in its duration held", "[runner][live][abort]") {
  QueuedSamples q;
  add_load(q, 0, 2, 100, 5, true);
  add_load(q, 2, 3, 100, 5, false);
  add_load(q, 3, 5, 100, 5, true);
  LiveMonitor m(kStart, 1s, 2s, {}, {rule("error_rate > 50% for 3s")});
  m.pull(q);
  CHECK_FALSE(m.check_abort(kStart + 7 * kSec).has_value());
}

TEST_CASE("a window without requests breaks an abort condition's run", "[runner][live][abort]") {
  QueuedSamples q;
  add_load(q, 0, 1, 100, 5, true);
  add_load(q, 2, 3, 100, 5, true);  // nothing intended in [1s,2s)
  LiveMonitor m(kStart, 1s, 2s, {}, {rule("error_rate > 50% for 3s")});
  m.pull(q);
  CHECK_FALSE(m.check_abort(kStart + 5 * kSec).has_value());
}

TEST_CASE("samples that arrive later still count in windows that are not yet final",
          "[runner][live][abort]") {
  QueuedSamples q;
  LiveMonitor m(kStart, 1s, 2s, {}, {rule("error_rate > 50%")});
  add_load(q, 0, 1, 100, 5, true);
  m.pull(q);
  CHECK_FALSE(m.check_abort(kStart + 2 * kSec).has_value());  // [0s,1s) not final before t=3s
  const auto trigger = m.check_abort(kStart + 3 * kSec);
  REQUIRE(trigger.has_value());
  CHECK(trigger->since_ns == kStart);
}

TEST_CASE("the recent figures cover the samples since the previous call", "[runner][live][progress]") {
  QueuedSamples q;
  LiveMonitor m(kStart, 1s, 2s, {}, {});
  add_load(q, 0, 1, 100, 5, false);
  m.pull(q);
  auto first = m.take_recent(kStart + kSec);
  CHECK(first.completed == 100);
  CHECK(first.failed == 0);
  CHECK(first.rate == Approx(100));
  REQUIRE(first.p99_ms.has_value());
  CHECK(*first.p99_ms == Approx(5));

  add_load(q, 1, 1.5, 100, 40, true);
  m.pull(q);
  auto second = m.take_recent(kStart + 2 * kSec);
  CHECK(second.completed == 50);
  CHECK(second.failed == 50);
  CHECK(second.rate == Approx(50));
  CHECK(*second.p99_ms == Approx(40));

  auto empty = m.take_recent(kStart + 3 * kSec);
  CHECK(empty.completed == 0);
  CHECK_FALSE(empty.p99_ms.has_value());
}

TEST_CASE("settled samples are dropped once reported, and the checks still see what they need",
          "[runner][live][memory]") {
  SECTION("with abort rules: up to the last final window") {
    QueuedSamples q;
    LiveMonitor m(kStart, 1s, 2s, {}, {rule("error_rate > 50% for 2s")});
    add_load(q, 0, 6, 100, 5, false);
    m.pull(q);
    m.take_recent(kStart + 6 * kSec);
    CHECK_FALSE(m.check_abort(kStart + 6 * kSec).has_value());  // windows to [3s,4s) final
    m.forget_settled(kStart + 6 * kSec);
    CHECK(m.samples_seen() == 200);  // [4s,6s) kept: not final yet
    // Failures in the windows still open are judged from the kept samples.
    add_load(q, 6, 8, 100, 5, true);
    m.pull(q);
    m.take_recent(kStart + 8 * kSec);
    CHECK_FALSE(m.check_abort(kStart + 9 * kSec).has_value());  // [6s,7s) final: one failing window
    const auto trigger = m.check_abort(kStart + 10 * kSec);
    REQUIRE(trigger.has_value());
    CHECK(trigger->since_ns == kStart + 6 * kSec);
  }
  SECTION("without abort rules: those intended more than the settle time ago") {
    QueuedSamples q;
    LiveMonitor m(kStart, 1s, 2s, {}, {});
    add_load(q, 0, 5, 100, 5, false);
    m.pull(q);
    m.forget_settled(kStart + 5 * kSec);
    CHECK(m.samples_seen() == 500);  // none reported yet: none dropped
    const auto recent = m.take_recent(kStart + 5 * kSec);
    CHECK(recent.completed == 500);
    m.forget_settled(kStart + 5 * kSec);
    CHECK(m.samples_seen() == 200);
    add_load(q, 5, 6, 100, 5, false);
    m.pull(q);
    CHECK(m.take_recent(kStart + 6 * kSec).completed == 100);
  }
}
