#include "harness/verify/window.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>

namespace faultline::verify {
namespace {

using namespace std::chrono_literals;
using load::ErrorClass;
using load::Sample;

constexpr int64_t ms = 1'000'000;

// A request intended at `at_ms` that took `latency_ms`.
Sample sample(double at_ms, double latency_ms, uint16_t status = 200, uint16_t backend = 1,
              ErrorClass error = ErrorClass::none) {
  Sample s;
  s.intended_ns = static_cast<int64_t>(at_ms * 1e6);
  s.sent_ns = s.intended_ns;
  s.done_ns = s.intended_ns + static_cast<int64_t>(latency_ms * 1e6);
  s.status = error == ErrorClass::none ? status : 0;
  s.error = error;
  s.backend = error == ErrorClass::none ? backend : 0;
  return s;
}

load::LoadResult result_with(std::vector<Sample> samples) {
  load::LoadResult result;
  result.backends = {"", "web1", "web2"};
  result.samples = std::move(samples);
  return result;
}

TEST_CASE("samples fall into the window of their intended time", "[verify]") {
  const auto result = result_with({sample(-1, 1), sample(100, 1), sample(999.9, 1), sample(1000, 1),
                                   sample(2500, 1), sample(2999, 1), sample(3000, 1)});
  const auto windows = build_windows(result, 1s, 0, 3000 * ms);

  REQUIRE(windows.size() == 3);
  CHECK(windows[0].requests == 2);
  CHECK(windows[1].requests == 1);
  CHECK(windows[2].requests == 2);
  for (int i = 0; i < 3; ++i) {
    CHECK(windows[i].index == i);
    CHECK(windows[i].start_ns == i * 1000 * ms);
    CHECK(windows[i].end_ns == (i + 1) * 1000 * ms);
  }
}

TEST_CASE("a slow request counts in the window it was intended in, not where it ended", "[verify]") {
  const auto windows = build_windows(result_with({sample(900, 2500)}), 1s, 0, 3000 * ms);
  REQUIRE(windows.size() == 3);
  CHECK(windows[0].requests == 1);
  CHECK(windows[0].max_ms == Approx(2500));
  CHECK(windows[1].requests == 0);
  CHECK(windows[2].requests == 0);
}

TEST_CASE("windows start at from_ns", "[verify]") {
  const auto windows =
      build_windows(result_with({sample(5400, 1), sample(5600, 1)}), 500ms, 5000 * ms, 6000 * ms);
  REQUIRE(windows.size() == 2);
  CHECK(windows[0].start_ns == 5000 * ms);
  CHECK(windows[0].requests == 1);
  CHECK(windows[1].requests == 1);
}

TEST_CASE("a final partial window is kept only when it spans at least half the width", "[verify]") {
  const auto result = result_with({sample(100, 1), sample(1100, 1), sample(2100, 1), sample(2450, 1)});

  const auto kept = build_windows(result, 1s, 0, 2500 * ms);
  REQUIRE(kept.size() == 3);
  CHECK(kept[2].start_ns == 2000 * ms);
  CHECK(kept[2].end_ns == 2500 * ms);
  CHECK(kept[2].requests == 2);
  CHECK(kept[2].offered_rate() == Approx(4.0));  // 2 requests in half a second
  CHECK(kept[2].throughput() == Approx(4.0));    // both answered within it

  const auto dropped = build_windows(result, 1s, 0, 2400 * ms);
  REQUIRE(dropped.size() == 2);
  CHECK(dropped[1].requests == 1);
}

TEST_CASE("no windows are built for an empty span or a zero width", "[verify]") {
  const auto result = result_with({sample(100, 1)});
  CHECK(build_windows(result, 1s, 1000 * ms, 1000 * ms).empty());
  CHECK(build_windows(result, 0s, 0, 1000 * ms).empty());
  CHECK(build_windows(result, 1s, 0, 400 * ms).empty());
}

TEST_CASE("errors are transport errors and 5xx responses, not 4xx", "[verify]") {
  const auto result = result_with({sample(1, 1, 200), sample(2, 1, 404), sample(3, 1, 503), sample(4, 1, 500),
                                   sample(5, 1, 0, 0, ErrorClass::connect_refused),
                                   sample(6, 1, 0, 0, ErrorClass::response_timeout),
                                   sample(7, 1, 0, 0, ErrorClass::response_timeout)});
  const auto windows = build_windows(result, 1s, 0, 1000 * ms);
  REQUIRE(windows.size() == 1);
  const WindowStats& w = windows[0];
  CHECK(w.requests == 7);
  CHECK(w.errors == 5);
  CHECK(w.transport_errors == 3);
  CHECK(w.error_rate() == Approx(5.0 / 7.0));
  CHECK(w.status_counts == std::map<int, uint64_t>{{200, 1}, {404, 1}, {500, 1}, {503, 1}});
  CHECK(w.error_classes == std::map<std::string, uint64_t>{{"connect_refused", 1}, {"response_timeout", 2}});
}

TEST_CASE("latency statistics of a window are nearest-rank over all its requests", "[verify]") {
  std::vector<Sample> samples;
  for (int i = 100; i >= 1; --i) {
    samples.push_back(sample(i, i * 0.05));  // latencies 0.05..5 ms in steps of 50 us, out of order
  }
  const auto windows = build_windows(result_with(samples), 1s, 0, 1000 * ms);
  REQUIRE(windows.size() == 1);
  const WindowStats& w = windows[0];
  // Below 10 ms the histogram is exact to 5 us, well under the 50 us steps.
  const double close = 0.006;
  CHECK(w.mean_ms == Approx(2.525));
  CHECK(w.p50_ms == Approx(2.5).margin(close));
  CHECK(w.p90_ms == Approx(4.5).margin(close));
  CHECK(w.p99_ms == Approx(4.95).margin(close));
  CHECK(w.p999_ms == Approx(5));
  CHECK(w.max_ms == Approx(5));
  CHECK(w.percentile_ms(25) == Approx(1.25).margin(close));
  CHECK(w.percentile_ms(1) == Approx(0.05));
  CHECK(w.latency.count() == 100);
  CHECK(w.service_p50_ms == Approx(2.5).margin(close));
  CHECK(w.service_p90_ms == Approx(4.5).margin(close));
  CHECK(w.service_p99_ms == Approx(4.95).margin(close));
}

TEST_CASE("latency counts from the intended time, waiting included", "[verify]") {
  Sample waited = sample(10, 0);
  waited.sent_ns = 300 * ms;
  waited.done_ns = 305 * ms;
  const auto windows = build_windows(result_with({waited}), 1s, 0, 1000 * ms);
  CHECK(windows[0].max_ms == Approx(295));
}

TEST_CASE("percentile is the nearest rank of sorted values", "[verify]") {
  const std::vector<double> four{10, 20, 30, 40};
  CHECK(percentile(four, 50) == 20);
  CHECK(percentile(four, 51) == 30);
  CHECK(percentile(four, 75) == 30);
  CHECK(percentile(four, 100) == 40);
  CHECK(percentile(four, 1) == 10);
  CHECK(percentile(four, 0) == 10);
  CHECK(percentile({}, 50) == 0);

  std::vector<double> thousand;
  for (int i = 1; i <= 1000; ++i) {
    thousand.push_back(i);
  }
  CHECK(percentile(thousand, 99.9) == 999);
  CHECK(percentile(thousand, 99) == 990);
}

TEST_CASE("backend shares leave requests without a backend out of the denominator", "[verify]") {
  std::vector<Sample> samples;
  for (int i = 0; i < 6; ++i) {
    samples.push_back(sample(i, 1, 200, 1));
  }
  samples.push_back(sample(10, 1, 200, 2));
  samples.push_back(sample(11, 1, 200, 2));
  samples.push_back(sample(12, 1, 503, 0));
  samples.push_back(sample(13, 1, 0, 0, ErrorClass::reset));
  const auto windows = build_windows(result_with(samples), 1s, 0, 1000 * ms);
  const WindowStats& w = windows[0];

  CHECK(w.backend_counts == std::map<std::string, uint64_t>{{"", 2}, {"web1", 6}, {"web2", 2}});
  CHECK(w.backend_share("web1") == Approx(0.75));
  CHECK(w.backend_share("web2") == Approx(0.25));
  CHECK(w.backend_share("web3") == 0);
  CHECK(w.backend_share("") == 0);
  CHECK(w.max_backend_share() == Approx(0.75));
}

TEST_CASE("the rates are per second of the window's own length", "[verify]") {
  std::vector<Sample> samples;
  for (int i = 0; i < 500; ++i) {
    samples.push_back(sample(i * 2, 1));
  }
  // The last request (998 ms + 1 ms) is answered inside the second.
  const auto one_second = build_windows(result_with(samples), 1s, 0, 1000 * ms);
  CHECK(one_second[0].offered_rate() == Approx(500));
  CHECK(one_second[0].throughput() == Approx(500));
  CHECK(one_second[0].goodput() == Approx(500));
  const auto halves = build_windows(result_with(samples), 500ms, 0, 1000 * ms);
  CHECK(halves[0].offered_rate() == Approx(500));
  CHECK(halves[0].requests == 250);
  CHECK(halves[0].responses == 250);
  CHECK(halves[1].throughput() == Approx(500));
}

TEST_CASE("a window whose requests all time out has no throughput", "[verify]") {
  std::vector<Sample> samples;
  for (int i = 0; i < 200; ++i) {
    // Timed out after 400 ms, inside the window they were sent in.
    samples.push_back(sample(i * 2, 400, 0, 0, ErrorClass::response_timeout));
  }
  const auto windows = build_windows(result_with(samples), 1s, 0, 1000 * ms);
  REQUIRE(windows.size() == 1);
  const WindowStats& w = windows[0];
  CHECK(w.requests == 200);
  CHECK(w.offered_rate() == Approx(200));
  CHECK(w.responses == 0);
  CHECK(w.good_responses == 0);
  CHECK(w.throughput() == 0);
  CHECK(w.goodput() == 0);
  CHECK(w.error_rate() == Approx(1.0));
}

TEST_CASE("refused and reset connections are no responses either", "[verify]") {
  const auto result =
      result_with({sample(1, 1, 0, 0, ErrorClass::connect_refused), sample(2, 1, 0, 0, ErrorClass::reset),
                   sample(3, 1, 0, 0, ErrorClass::connect_timeout), sample(4, 1, 0, 0, ErrorClass::other),
                   sample(5, 1, 200)});
  const auto windows = build_windows(result, 1s, 0, 1000 * ms);
  CHECK(windows[0].requests == 5);
  CHECK(windows[0].responses == 1);
  CHECK(windows[0].good_responses == 1);
}

TEST_CASE("a window whose responses half fail has the full throughput and half the goodput", "[verify]") {
  std::vector<Sample> samples;
  for (int i = 0; i < 300; ++i) {
    samples.push_back(sample(i * 2, 1, i % 2 == 0 ? 200 : 503));
  }
  const auto windows = build_windows(result_with(samples), 600ms, 0, 600 * ms);
  REQUIRE(windows.size() == 1);
  const WindowStats& w = windows[0];
  CHECK(w.offered_rate() == Approx(500));
  CHECK(w.responses == 300);
  CHECK(w.throughput() == Approx(500));
  CHECK(w.good_responses == 150);
  CHECK(w.goodput() == Approx(250));
  CHECK(w.error_rate() == Approx(0.5));
}

TEST_CASE("4xx responses are good responses, as they are not errors", "[verify]") {
  const auto windows =
      build_windows(result_with({sample(1, 1, 404), sample(2, 1, 429), sample(3, 1, 500)}), 1s, 0, 1000 * ms);
  CHECK(windows[0].responses == 3);
  CHECK(windows[0].good_responses == 2);
}

TEST_CASE("a response counts in the window it arrived in, its request in the one it was intended in",
          "[verify]") {
  const auto result = result_with({
      sample(900, 300),                                       // intended in 0, answered in 1
      sample(950, 1200, 503),                                 // intended in 0, answered in 2
      sample(1500, 1),                                        // intended and answered in 1
      sample(-200, 400),                                      // intended before the span, answered in 0
      sample(2800, 400),                                      // answered after the span: nowhere
      sample(2900, 200, 0, 0, ErrorClass::response_timeout),  // no response at all
  });
  const auto windows = build_windows(result, 1s, 0, 3000 * ms);
  REQUIRE(windows.size() == 3);
  CHECK(windows[0].requests == 2);
  CHECK(windows[0].responses == 1);
  CHECK(windows[0].good_responses == 1);
  CHECK(windows[1].requests == 1);
  CHECK(windows[1].responses == 2);
  CHECK(windows[1].good_responses == 2);
  CHECK(windows[2].requests == 2);
  CHECK(windows[2].responses == 1);
  CHECK(windows[2].good_responses == 0);
  CHECK(windows[2].throughput() == Approx(1));
  CHECK(windows[2].goodput() == 0);
}

// One request every ms for 3 s, each answered `latency_ms` later.
std::vector<Sample> steady_run(double latency_ms) {
  std::vector<Sample> samples;
  for (int at = 0; at < 3000; ++at) {
    samples.push_back(sample(at, latency_ms));
  }
  return samples;
}

TEST_CASE(
    "at a steady rate the last window's throughput is the rate: the answers after the end are the "
    "next window's, and only the first window misses its fill",
    "[verify]") {
  // 300 ms of latency: each window gets the last 300 ms of its
  // predecessor's answers in place of its own last 300 ms.
  const auto windows = build_windows(result_with(steady_run(300)), 1s, 0, 3000 * ms);
  REQUIRE(windows.size() == 3);
  CHECK(windows[0].throughput() == Approx(700));
  CHECK(windows[1].throughput() == Approx(1000));
  CHECK(windows[2].throughput() == Approx(1000));
  for (const auto& w : windows) {
    CHECK(w.offered_rate() == Approx(1000));
  }
  // A short final window: the same.
  const auto partial = build_windows(result_with(steady_run(300)), 1s, 0, 2600 * ms);
  REQUIRE(partial.size() == 3);
  CHECK(partial[2].end_ns == 2600 * ms);
  CHECK(partial[2].throughput() == Approx(1000));
}

TEST_CASE("windows built in parts count the same responses as windows built at once", "[verify]") {
  // As the live monitor builds them: a few windows at a time, over samples
  // that include requests intended before each part.
  const auto result = result_with(steady_run(300));
  const auto whole = build_windows(result, 500ms, 0, 3000 * ms);
  auto first = build_windows(result, 500ms, 0, 1500 * ms);
  const auto second = build_windows(result, 500ms, 1500 * ms, 3000 * ms);
  first.insert(first.end(), second.begin(), second.end());
  REQUIRE(first.size() == whole.size());
  for (std::size_t i = 0; i < whole.size(); ++i) {
    INFO("window " << i);
    CHECK(first[i].requests == whole[i].requests);
    CHECK(first[i].responses == whole[i].responses);
    CHECK(first[i].good_responses == whole[i].good_responses);
  }
}

TEST_CASE("a window without requests reads as zero everywhere", "[verify]") {
  const auto windows = build_windows(result_with({}), 1s, 0, 1000 * ms);
  REQUIRE(windows.size() == 1);
  const WindowStats& w = windows[0];
  CHECK(w.requests == 0);
  CHECK(w.error_rate() == 0);
  CHECK(w.responses == 0);
  CHECK(w.offered_rate() == 0);
  CHECK(w.throughput() == 0);
  CHECK(w.goodput() == 0);
  CHECK(w.max_backend_share() == 0);
  CHECK(w.p99_ms == 0);
  CHECK(w.p999_ms == 0);
  CHECK(w.service_p99_ms == 0);
  CHECK(w.latency.empty());
  CHECK(w.backend_counts.empty());
}

// A constant-rate run (one request every ms) against a server with a fixed
// service time of 2 ms that stalls for 1 s in the middle: the requests
// meant for the stall wait for it to end. wrk2's test of coordinated
// omission.
std::vector<Sample> stalled_run(int total_ms, int stall_from_ms, int stall_ms) {
  std::vector<Sample> samples;
  for (int at = 0; at < total_ms; ++at) {
    Sample s = sample(at, 2);
    if (at >= stall_from_ms && at < stall_from_ms + stall_ms) {
      s.sent_ns = int64_t{stall_from_ms + stall_ms} * ms;
      s.done_ns = s.sent_ns + 2 * ms;
    }
    samples.push_back(s);
  }
  return samples;
}

TEST_CASE("a stall shows in the corrected latency and not in the uncorrected one", "[verify]") {
  const auto windows = build_windows(result_with(stalled_run(10'000, 4'500, 1'000)), 10s, 0, 10'000 * ms);
  REQUIRE(windows.size() == 1);
  const WindowStats& w = windows[0];
  // 1000 of 10000 requests waited from 1000 ms down to 1 ms, plus 2 ms of
  // service: the slowest 1% waited 900 ms or more.
  CHECK(w.p99_ms == Approx(902).margin(1));
  CHECK(w.p999_ms == Approx(992).margin(1));
  CHECK(w.max_ms == Approx(1002));
  CHECK(w.p90_ms == Approx(2).margin(1));
  CHECK(w.service_p50_ms == Approx(2).margin(1));
  CHECK(w.service_p90_ms == Approx(2).margin(1));
  CHECK(w.service_p99_ms == Approx(2).margin(1));
  CHECK(w.service_percentile_ms(100) == Approx(2));
}

TEST_CASE("the window percentiles are within 1 ms of the exact ones", "[verify]") {
  const auto samples = stalled_run(6'000, 2'000, 1'000);
  const auto windows = build_windows(result_with(samples), 1s, 0, 6'000 * ms);
  REQUIRE(windows.size() == 6);
  for (const WindowStats& w : windows) {
    std::vector<double> exact;
    for (const Sample& s : samples) {
      if (s.intended_ns >= w.start_ns && s.intended_ns < w.end_ns) {
        exact.push_back(static_cast<double>(s.latency_ns()) / 1e6);
      }
    }
    std::sort(exact.begin(), exact.end());
    CHECK(w.p50_ms == Approx(percentile(exact, 50)).margin(1));
    CHECK(w.p90_ms == Approx(percentile(exact, 90)).margin(1));
    CHECK(w.p99_ms == Approx(percentile(exact, 99)).margin(1));
    CHECK(w.p999_ms == Approx(percentile(exact, 99.9)).margin(1));
    CHECK(w.max_ms == exact.back());
  }
  // The stall's window: latencies run from 1002 ms down to 3 ms.
  CHECK(windows[2].p50_ms == Approx(502).margin(1));
}

TEST_CASE("requests that were never written have no service time", "[verify]") {
  Sample refused = sample(10, 0, 0, 0, ErrorClass::connect_refused);
  refused.sent_ns = refused.done_ns = 400 * ms;  // waited for a connection that was refused
  Sample timed_out = sample(20, 30, 0, 0, ErrorClass::response_timeout);
  timed_out.sent_ns = 25 * ms;  // written, then no answer
  const auto windows = build_windows(result_with({refused, timed_out, sample(30, 4)}), 1s, 0, 1000 * ms);
  const WindowStats& w = windows[0];
  CHECK(w.latency.count() == 3);
  CHECK(w.max_ms == Approx(390));
  CHECK(w.service_latency.count() == 2);
  CHECK(w.service_p99_ms == Approx(25));
  CHECK(w.service_p50_ms == Approx(4));
}

}  // namespace
}  // namespace faultline::verify
