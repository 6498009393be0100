// The method timeline on a clock the test moves: schedule() on its own,
// then run_experiment against the fake runtime (tests/runner/fake_runtime.h)
// with a fake clock, which shows when the runner injects and reverts, to
// the nanosecond, and that it waits on the clock it was given. The load
// still runs on the real clock, as in every run.

#include <algorithm>
#include <catch2/catch.hpp>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

#include "harness/runner/clock.h"
#include "harness/runner/journal.h"
#include "harness/runner/phases/method.h"
#include "harness/runner/runner.h"
#include "tests/runner/fake_runtime.h"

using namespace faultline;
using namespace faultline::runner;
using namespace faultline::runner::testing;
using namespace std::chrono_literals;

namespace {

constexpr int64_t kMs = 1'000'000;

// Starts where the steady clock is when first read (so the load, which
// starts from that reading, is not late on the real clock), then moves only
// when the runner sleeps: to the very instant it asked for. A real
// millisecond per sleep lets the load's threads run meanwhile.
class FakeClock final : public Clock {
 public:
  time_point now() const override {
    const auto real = std::chrono::steady_clock::now();
    if (!started_) {
      now_ = real;
      real_start_ = real;
      started_ = true;
    }
    // A runner that does not sleep on this clock would never see it move;
    // after a while it follows the real clock, so such a runner fails the
    // test instead of hanging it.
    if (real - real_start_ > 20s) {
      now_ = std::max(now_, real);
    }
    return now_;
  }
  void sleep_until(time_point at) override {
    sleeps_.push_back(at);
    now_ = std::max(now(), at);
    std::this_thread::sleep_for(1ms);
  }
  const std::vector<time_point>& sleeps() const { return sleeps_; }

 private:
  mutable bool started_ = false;
  mutable time_point now_{};
  mutable time_point real_start_{};
  std::vector<time_point> sleeps_;
};

// Writes down each call, in order, with the real time it came at.
class LoggingFault final : public faults::Fault {
 public:
  struct Log {
    std::mutex mutex;
    std::vector<std::string> calls;
    std::vector<std::chrono::steady_clock::time_point> real_times;
    void add(std::string call) {
      std::lock_guard lock(mutex);
      calls.push_back(std::move(call));
      real_times.push_back(std::chrono::steady_clock::now());
    }
  };
  LoggingFault(std::string name, Log& log) : name_(std::move(name)), log_(log) {}
  std::string describe() const override { return "nothing changes"; }
  Status inject(stack::RunningStack& /*stack*/) override {
    log_.add("inject " + name_);
    return {};
  }
  Status revert(stack::RunningStack& /*stack*/) override {
    log_.add("revert " + name_);
    return {};
  }

 private:
  std::string name_;
  Log& log_;
};

experiment::MethodStep fault_step(Duration at, Duration duration) {
  experiment::MethodStep step;
  step.at = at;
  step.duration = duration;
  step.fault = "logging";
  step.target = "lb";
  return step;
}

experiment::MethodStep note_step(Duration at, std::string text) {
  experiment::MethodStep step;
  step.at = at;
  step.note = std::move(text);
  return step;
}

// Two back-to-back faults, a (300-600 ms) and b (600-900 ms), and a note
// at 600 ms, on one second of load.
ValidatedExperiment back_to_back(LoggingFault::Log& log) {
  ValidatedExperiment v;
  auto& exp = v.exp;
  exp.title = "back to back on a fake clock";
  exp.expect = experiment::Expectation::hold;
  exp.load.target = "lb";
  exp.load.rate = 100;
  exp.load.connections = 4;
  exp.load.users = 20;
  exp.load.timeout = 300ms;
  exp.load.duration = 1s;
  exp.slo.window = 500ms;
  exp.method = {fault_step(300ms, 300ms), fault_step(600ms, 300ms), note_step(600ms, "b takes over")};
  // Bound after the method is complete: the steps must not move any more.
  for (size_t i = 0; i < 2; ++i) {
    faults::BoundFault bound;
    bound.step = &exp.method[i];
    bound.fault = std::make_unique<LoggingFault>(i == 0 ? "a" : "b", log);
    v.faults.push_back(std::move(bound));
  }
  return v;
}

// Two nested faults on one second of load: a from 300 ms and b from 600 ms,
// both until `end` (the load's end when nullopt).
ValidatedExperiment nested(LoggingFault::Log& log, std::optional<Duration> a_for,
                           std::optional<Duration> b_for) {
  ValidatedExperiment v = back_to_back(log);
  v.exp.method = {fault_step(300ms, 0ms), fault_step(600ms, 0ms)};
  v.exp.method[0].duration = a_for;
  v.exp.method[1].duration = b_for;
  for (size_t i = 0; i < 2; ++i) {
    v.faults[i].step = &v.exp.method[i];
  }
  return v;
}

}  // namespace

TEST_CASE("faults that end at the same instant are reverted last in, first out", "[runner][method]") {
  LoggingFault::Log log;
  // a 300-900 ms, b 600-900 ms; b listed first in the method would not
  // change it: the order is the injects', reversed.
  const auto v = nested(log, 600ms, 300ms);
  const auto events = schedule(v, 0);
  REQUIRE(events.size() == 4);
  CHECK(events[2].kind == MethodEvent::revert);
  CHECK(events[2].index == 1);
  CHECK(events[3].kind == MethodEvent::revert);
  CHECK(events[3].index == 0);
  CHECK(events[2].at_ns == events[3].at_ns);
}

TEST_CASE("faults still in force when the load ends are reverted last in, first out",
          "[runner][fake][method]") {
  TestHttpServer server(ServerMode::answer, 1ms);
  FakeRuntime runtime(server.port());
  LoggingFault::Log log;
  auto v = nested(log, std::nullopt, std::nullopt);
  RunOptions options;
  options.live_progress = false;
  options.runtime = &runtime;
  const RunRecord rec = run_experiment(v, options);
  CHECK(rec.status == RunStatus::completed);
  CHECK(log.calls == std::vector<std::string>{"inject a", "inject b", "revert b", "revert a"});
}

TEST_CASE("the schedule puts a revert before an inject at the same instant, then notes", "[runner][method]") {
  LoggingFault::Log log;
  const auto v = back_to_back(log);
  const int64_t start = 7 * kMs;
  const auto events = schedule(v, start);
  REQUIRE(events.size() == 5);
  CHECK(events[0].kind == MethodEvent::inject);
  CHECK(events[0].index == 0);
  CHECK(events[0].at_ns == start + 300 * kMs);
  CHECK(events[1].kind == MethodEvent::revert);
  CHECK(events[1].index == 0);
  CHECK(events[1].at_ns == start + 600 * kMs);
  CHECK(events[2].kind == MethodEvent::inject);
  CHECK(events[2].index == 1);
  CHECK(events[2].at_ns == start + 600 * kMs);
  CHECK(events[3].kind == MethodEvent::note);
  CHECK(events[3].index == 2);
  CHECK(events[4].kind == MethodEvent::revert);
  CHECK(events[4].index == 1);
  CHECK(events[4].at_ns == start + 900 * kMs);
}

TEST_CASE("on an injected clock the runner injects and reverts at the planned instants",
          "[runner][fake][method][clock]") {
  TestHttpServer server(ServerMode::answer, 1ms);
  FakeRuntime runtime(server.port());
  LoggingFault::Log log;
  auto v = back_to_back(log);
  auto parsed = verify::parse_objective("p(99) < 1s");
  REQUIRE(std::holds_alternative<verify::ObjectiveExpr>(parsed));
  v.objectives.push_back({"objective 1", std::get<verify::ObjectiveExpr>(parsed)});

  FakeClock clock;
  RunOptions options;
  options.live_progress = false;
  options.runtime = &runtime;
  options.clock = &clock;
  const RunRecord rec = run_experiment(v, options);

  CHECK(rec.status == RunStatus::completed);
  CHECK(runtime.releases == 1);
  // Probed as the run started, for the journal.
  CHECK_THAT(rec.environment.kernel, Catch::StartsWith("Linux"));
  REQUIRE(log.calls == std::vector<std::string>{"inject a", "revert a", "inject b", "revert b"});
  REQUIRE(rec.faults.size() == 2);
  const int64_t t0 = rec.load_start_ns;
  // To the nanosecond: the fake clock stands still between its sleeps, and
  // the runner slept until each action's time.
  CHECK(rec.faults[0].inject_called_ns == t0 + 300 * kMs);
  CHECK(rec.faults[0].revert_called_ns == t0 + 600 * kMs);
  CHECK(rec.faults[1].inject_called_ns == t0 + 600 * kMs);
  CHECK(rec.faults[1].revert_called_ns == t0 + 900 * kMs);
  CHECK(rec.faults[0].reverted_ns <= rec.faults[1].inject_called_ns);
  REQUIRE(rec.notes.size() == 1);
  CHECK(rec.notes[0].at_ns == t0 + 600 * kMs);
  CHECK(rec.notes[0].source == "method");
  CHECK(rec.load_end_ns == t0 + 1000 * kMs);
  for (const int64_t at : {300 * kMs, 600 * kMs, 900 * kMs}) {
    const auto wake = rec.clock.at(t0 + at);
    CHECK(std::find(clock.sleeps().begin(), clock.sleeps().end(), wake) != clock.sleeps().end());
  }
  // The runner waited on the fake clock, not the real one: the 600 ms
  // from the first inject to the last revert went by in a few real
  // milliseconds.
  REQUIRE(log.real_times.size() == 4);
  CHECK(log.real_times[3] - log.real_times[0] < 500ms);
}

TEST_CASE("the journal writes the environment the run recorded", "[runner][journal]") {
  LoggingFault::Log log;
  const auto v = back_to_back(log);
  RunRecord rec;
  rec.environment = {"game-day-host", "Linux 6.1.0-test", "HAProxy version 2.8.5",
                     "nginx version: nginx/1.24.0", {}};
  const auto j = journal::to_json(make_journal(v, rec));
  CHECK(j["environment"]["hostname"] == "game-day-host");
  CHECK(j["environment"]["kernel"] == "Linux 6.1.0-test");
  CHECK(j["environment"]["haproxy"] == "HAProxy version 2.8.5");
  CHECK(j["environment"]["nginx"] == "nginx version: nginx/1.24.0");
}
