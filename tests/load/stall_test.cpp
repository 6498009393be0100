#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <vector>

#include "harness/load/generator.h"
#include "tests/load/test_http_server.h"
#include "tests/load/test_specs.h"

// The test server answers in exactly 10 ms, except that it freezes for 1 s
// in the middle of a 4 s run at 200 requests/s over 5 connections: every
// request arriving during the stall is answered 10 ms after it ends.
//
// What "uncorrected" means here is wrk2's definition: latency from the
// request's actual send on its connection (Sample::service_ns). Only the 5
// requests that were on the wire when the server froze carry the stall in
// that figure; the ~200 that queued behind them in the generator were sent
// once a connection freed up and were answered in 10 ms, so the
// uncorrected distribution hides the stall almost entirely (5 of 800
// samples is under 1 %). The corrected latency (from the intended time,
// Sample::latency_ns) charges every one of them the time it waited.
//
// The generator runs with a fixed pool here (max_connections ==
// connections): with room to open more connections it would send the
// requests due during the stall on time, and the server would hold each of
// them, so both figures would show the stall (connection_growth_test shows
// that side).
namespace faultline::load {
namespace {

using namespace std::chrono_literals;
using testing::ms;
using testing::percentile;

constexpr int64_t service = 10 * ms;
// The tail bound: see the steady-state test.
constexpr int64_t kTailSlack = 2 * ms;
constexpr int64_t stall_from = 1500 * ms;  // after the load's start
constexpr int64_t stall_to = 2500 * ms;
constexpr double rate = 200;
constexpr int64_t duration = 4000 * ms;

struct StalledRun {
  bool quiet = false;  // see testing::machine_is_quiet
  int64_t start = 0;
  LoadResult result;
  uint64_t progress_late = 0;
};

StalledRun run_with_stall() {
  testing::TestHttpServer server(testing::ServerMode::answer, std::chrono::milliseconds(service / ms));
  RunClock clock;
  LoadSpec spec = testing::loopback_spec(server.port(), rate, std::chrono::nanoseconds(duration), 5);
  spec.timeout = 5s;
  spec.max_connections = spec.connections;
  LoadGenerator generator(spec, clock);
  StalledRun run;
  run.quiet = testing::machine_is_quiet();
  run.start = testing::start_soon(clock);
  server.stall_between(clock.at(run.start + stall_from), clock.at(run.start + stall_to));
  run.result = generator.run(run.start);
  run.progress_late = generator.progress().late.load();
  return run;
}

std::vector<int64_t> corrected(const std::vector<Sample>& samples) {
  std::vector<int64_t> out;
  for (const Sample& s : samples) {
    out.push_back(s.latency_ns());
  }
  return out;
}

std::vector<int64_t> uncorrected(const std::vector<Sample>& samples) {
  std::vector<int64_t> out;
  for (const Sample& s : samples) {
    out.push_back(s.service_ns());
  }
  return out;
}

// Requests intended in [from, to) after the start: the steady state before
// the stall, away from the first requests.
std::vector<Sample> intended_between(const StalledRun& run, int64_t from, int64_t to) {
  std::vector<Sample> out;
  for (const Sample& s : run.result.samples) {
    if (s.intended_ns >= run.start + from && s.intended_ns < run.start + to) {
      out.push_back(s);
    }
  }
  return out;
}

// Whether the run itself saw the machine quiet: the probe before it said so,
// and the generator woke on time for the requests before the stall (its
// send lateness measures how late this machine wakes threads).
bool quiet_during(const StalledRun& run, const std::vector<Sample>& steady) {
  std::vector<int64_t> lateness;
  for (const Sample& s : steady) {
    lateness.push_back(s.sent_ns - s.intended_ns);
  }
  return run.quiet && percentile(lateness, 99) < 300'000;
}

TEST_CASE("corrected p99 shows a 1 s stall that the uncorrected p99 hides", "[load][stall]") {
  const StalledRun run = run_with_stall();
  const auto& samples = run.result.samples;
  REQUIRE(samples.size() == 800);

  CHECK(percentile(corrected(samples), 99) > 900 * ms);
  CHECK(percentile(corrected(samples), 99) < 1100 * ms);
  CHECK(percentile(uncorrected(samples), 99) >= service);
  CHECK(percentile(uncorrected(samples), 99) < 100 * ms);
  if (quiet_during(run, intended_between(run, 100 * ms, stall_from - 20 * ms))) {
    CHECK(percentile(uncorrected(samples), 99) <= service + kTailSlack);
  } else {
    WARN("machine busy or build instrumented: uncorrected p99 not checked to 1 ms");
  }
  // The stall is in the uncorrected maximum, carried by the few requests
  // that were on the wire when it began.
  CHECK(percentile(uncorrected(samples), 100) > 900 * ms);
}

TEST_CASE("in steady state p50 and p90 are within 1 ms of the service time, p99 within 2 ms",
          "[load][stall]") {
  const StalledRun run = run_with_stall();
  REQUIRE(run.result.samples.size() == 800);
  const auto steady = intended_between(run, 100 * ms, stall_from - 20 * ms);
  REQUIRE(steady.size() > 250);

  CHECK(percentile(corrected(steady), 50) >= service);
  CHECK(percentile(corrected(steady), 50) <= service + 1 * ms);
  CHECK(percentile(uncorrected(steady), 50) >= service);
  CHECK(percentile(uncorrected(steady), 50) <= service + 1 * ms);
  if (!quiet_during(run, steady)) {
    WARN("machine busy or build instrumented: p90 and p99 not checked to 1 ms");
    return;
  }
  CHECK(percentile(corrected(steady), 90) >= service);
  CHECK(percentile(corrected(steady), 90) <= service + 1 * ms);
  CHECK(percentile(uncorrected(steady), 90) >= service);
  CHECK(percentile(uncorrected(steady), 90) <= service + 1 * ms);
  // p99 of ~300 requests is the third slowest: one late timer wake-up of
  // the in-process test server (sharing 2 cores with the generator) moves
  // it by ~1 ms even on a quiet machine, as CI showed (11.1 ms for 10 ms).
  CHECK(percentile(corrected(steady), 99) >= service);
  CHECK(percentile(corrected(steady), 99) <= service + kTailSlack);
  CHECK(percentile(uncorrected(steady), 99) >= service);
  CHECK(percentile(uncorrected(steady), 99) <= service + kTailSlack);
}

TEST_CASE("the generator holds the requested rate through a stall", "[load][stall]") {
  const StalledRun run = run_with_stall();
  const auto& samples = run.result.samples;

  // rate x duration, every one answered: the stall delays requests, it does
  // not thin the schedule out.
  REQUIRE(samples.size() == 800);
  CHECK(run.result.not_sent == 0);
  CHECK(run.result.expired_unsent == 0);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    INFO("request " << i);
    REQUIRE(samples[i].status == 200);
    REQUIRE(samples[i].intended_ns == run.start + static_cast<int64_t>(i) * 5 * ms);
  }
  // Sent per second of the run, by intended time: 200 each.
  const auto during_stall = intended_between(run, stall_from, stall_to);
  CHECK(during_stall.size() == 200);
}

TEST_CASE("late sends are counted while every connection is stalled", "[load][stall]") {
  const StalledRun run = run_with_stall();
  const LoadResult& result = run.result;
  REQUIRE(result.samples.size() == 800);

  uint64_t late = 0;
  for (const Sample& s : result.samples) {
    late += s.sent_ns - s.intended_ns > 1 * ms ? 1 : 0;
  }
  CHECK(result.late_threshold_ns == 1 * ms);
  CHECK(result.late_sends == late);
  CHECK(run.progress_late == late);
  // All 200 requests due during the stall but the 5 that found a free
  // connection went out late, and so did those due while the queue drained.
  CHECK(result.late_sends >= 195);
  CHECK(result.send_lateness_max_ns > 900 * ms);
  CHECK(result.send_lateness_max_ns < 1100 * ms);
  CHECK(result.send_lateness_p99_ns > 500 * ms);
  // Every request written late waited because the pool was at its limit.
  CHECK(result.max_connections == 5);
  CHECK(result.peak_connections == 5);
  CHECK(result.connection_limit_waits >= 195);
  // Before the stall the generator kept its schedule.
  const auto steady = intended_between(run, 100 * ms, stall_from - 20 * ms);
  uint64_t late_before = 0;
  for (const Sample& s : steady) {
    late_before += s.sent_ns - s.intended_ns > 1 * ms ? 1 : 0;
  }
  // Before the stall the generator kept its schedule, but for the odd late
  // wake-up: on a machine busy with other work (a parallel build) a few
  // percent of wake-ups come more than 1 ms late, and those are rightly
  // counted.
  CHECK(late_before <= steady.size() / 10);
}

TEST_CASE("an unhurried load has no late sends", "[load][stall]") {
  const bool quiet = testing::machine_is_quiet();
  testing::TestHttpServer server(testing::ServerMode::answer, 2ms);
  RunClock clock;
  LoadGenerator generator(testing::loopback_spec(server.port(), 500, 1s, 8), clock);
  const LoadResult result = generator.run(testing::start_soon(clock));

  REQUIRE(result.samples.size() == 500);
  CHECK(result.expired_unsent == 0);
  uint64_t late = 0;
  for (const Sample& s : result.samples) {
    late += s.sent_ns - s.intended_ns > 1 * ms ? 1 : 0;
  }
  CHECK(result.late_sends == late);
  // A few wake-ups may come late on a busy machine (see above).
  CHECK(result.late_sends <= 50);
  if (quiet) {
    CHECK(result.send_lateness_p99_ns < 5 * ms);
  }
}

}  // namespace
}  // namespace faultline::load
