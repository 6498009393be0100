#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <vector>

#include "harness/load/connection_limit.h"
#include "harness/load/generator.h"
#include "tests/load/test_http_server.h"
#include "tests/load/test_specs.h"

// A load balancer with one of three backends paused: one request in three
// is held and never answered, the others are answered at once. Each held
// request keeps its connection busy until its timeout. With a fixed pool of
// 16 connections at 300/s the held requests take every connection within a
// fraction of a second, and the requests the healthy backends would answer
// at once queue behind them; with room to open more connections (the
// default limit) they go out on schedule.
namespace faultline::load {
namespace {

using namespace std::chrono_literals;
using testing::ms;
using testing::percentile;

constexpr int64_t service = 2 * ms;
constexpr int64_t timeout = 1000 * ms;
constexpr double rate = 300;
constexpr int connections = 16;
constexpr int64_t duration = 3000 * ms;
constexpr uint64_t scheduled = 900;  // rate x duration
constexpr uint64_t held = scheduled / 3;

struct ShareRun {
  bool quiet = false;  // see testing::machine_is_quiet
  LoadResult result;
  uint64_t server_requests = 0;
};

// max_connections 0 leaves the generator's default.
ShareRun run_with_held_share(int max_connections, int threads = 1) {
  testing::TestHttpServer server(testing::ServerMode::answer, std::chrono::milliseconds(service / ms));
  server.stall_one_in(3);
  RunClock clock;
  LoadSpec spec =
      testing::loopback_spec(server.port(), rate, std::chrono::nanoseconds(duration), connections);
  spec.timeout = std::chrono::nanoseconds(timeout);
  spec.max_connections = max_connections;
  spec.threads = threads;
  LoadGenerator generator(spec, clock);
  ShareRun run;
  run.quiet = testing::machine_is_quiet();
  run.result = generator.run(testing::start_soon(clock));
  run.server_requests = server.requests();
  return run;
}

std::vector<Sample> answered(const LoadResult& result) {
  std::vector<Sample> out;
  std::copy_if(result.samples.begin(), result.samples.end(), std::back_inserter(out),
               [](const Sample& s) { return s.status == 200 && s.error == ErrorClass::none; });
  return out;
}

std::vector<int64_t> lateness(const std::vector<Sample>& samples) {
  std::vector<int64_t> out;
  for (const Sample& s : samples) {
    out.push_back(s.sent_ns - s.intended_ns);
  }
  return out;
}

std::vector<int64_t> latency(const std::vector<Sample>& samples) {
  std::vector<int64_t> out;
  for (const Sample& s : samples) {
    out.push_back(s.latency_ns());
  }
  return out;
}

uint64_t late_count(const std::vector<Sample>& samples) {
  return static_cast<uint64_t>(std::count_if(
      samples.begin(), samples.end(), [](const Sample& s) { return s.sent_ns - s.intended_ns > 1 * ms; }));
}

// Every request not answered timed out `timeout` after its intended time
// (noticed within one 10 ms sweep, plus a busy machine's slack), however
// long it waited for a connection. Returns how many did.
uint64_t check_timeouts_on_time(const LoadResult& result) {
  uint64_t timeouts = 0;
  for (const Sample& s : result.samples) {
    if (s.status == 200) {
      continue;
    }
    ++timeouts;
    INFO("latency " << s.latency_ns() / ms << " ms");
    REQUIRE(s.error == ErrorClass::response_timeout);
    REQUIRE(s.latency_ns() >= timeout);
    REQUIRE(s.latency_ns() < timeout + 100 * ms);
  }
  return timeouts;
}

TEST_CASE("the default limit is the pool plus every request that can be in flight, capped",
          "[load][connections]") {
  CHECK(default_max_connections(16, 300, 2s) == 16 + 600);
  CHECK(default_max_connections(16, 300, 1s) == 16 + 300);
  CHECK(default_max_connections(16, 0.5, 1s) == 17);  // a part of a request rounds up
  CHECK(default_max_connections(16, 10000, 2s) == kDefaultConnectionLimitCap);
  CHECK(default_max_connections(5000, 10000, 2s) == 5000);  // never below the pool
  CHECK(default_max_connections(0, 0, 2s) == 1);
}

TEST_CASE("with the default limit, requests a stalled backend holds do not delay the others",
          "[load][connections]") {
  const ShareRun run = run_with_held_share(0);
  const LoadResult& result = run.result;

  REQUIRE(result.samples.size() == scheduled);
  CHECK(run.server_requests == scheduled);
  CHECK(result.not_sent == 0);
  CHECK(result.expired_unsent == 0);
  CHECK(result.max_connections ==
        default_max_connections(connections, rate, std::chrono::nanoseconds(timeout)));
  CHECK(result.connection_limit_waits == 0);
  // A second's worth of held requests (about 100) is in flight at once,
  // each on its own connection; the pool grew for them and no further.
  CHECK(result.peak_connections > 80);
  CHECK(result.peak_connections <= result.max_connections);
  CHECK(check_timeouts_on_time(result) == held);

  const auto healthy = answered(result);
  REQUIRE(healthy.size() == scheduled - held);
  // Sent on schedule but for the odd late wake-up and a handshake where a
  // request needed a new connection. A machine busy with a parallel build
  // (load 9 on 2 cores) made about 10% of them more than 1 ms late; with a
  // fixed pool nearly all of them are (see the next test).
  CHECK(late_count(healthy) <= healthy.size() / 4);
  CHECK(percentile(lateness(healthy), 50) < 1 * ms);
  // With a fixed pool the median alone is most of a timeout.
  CHECK(percentile(lateness(healthy), 99) < 100 * ms);
  CHECK(percentile(latency(healthy), 50) >= service);
  CHECK(percentile(latency(healthy), 50) <= service + 1 * ms);
  if (run.quiet) {
    CHECK(percentile(latency(healthy), 90) <= service + 2 * ms);
  } else {
    WARN("machine busy or build instrumented: p90 of the healthy requests not checked");
  }
}

TEST_CASE("with max_connections == connections a stalled backend delays every request, counted as waits",
          "[load][connections]") {
  const ShareRun run = run_with_held_share(connections);
  const LoadResult& result = run.result;

  REQUIRE(result.samples.size() == scheduled);
  CHECK(result.not_sent == 0);
  CHECK(result.max_connections == connections);
  CHECK(result.peak_connections == connections);
  // Within a fraction of a second every connection carries a held request;
  // from then on almost every request waits for one of them to time out.
  CHECK(result.connection_limit_waits > scheduled / 2);
  CHECK(result.late_sends > scheduled / 2);
  CHECK(result.send_lateness_max_ns > timeout / 2);
  // Requests that waited out their whole timeout in the queue are among
  // the timeouts too (expired_unsent).
  CHECK(check_timeouts_on_time(result) >= result.expired_unsent);

  const auto healthy = answered(result);
  CHECK(late_count(healthy) > healthy.size() / 2);
  CHECK(percentile(latency(healthy), 50) > 100 * ms);
  // The service time itself stayed short: the delay was the generator's.
  std::vector<int64_t> service_times;
  for (const Sample& s : healthy) {
    service_times.push_back(s.service_ns());
  }
  CHECK(percentile(service_times, 50) < 50 * ms);
}

TEST_CASE("the connection limit holds over all threads together", "[load][connections]") {
  testing::TestHttpServer server(testing::ServerMode::answer, 2ms);
  server.stall_one_in(3);
  RunClock clock;
  LoadSpec spec = testing::loopback_spec(server.port(), 300, 1500ms, 8);
  spec.timeout = 1s;
  spec.threads = 2;
  spec.max_connections = 24;
  LoadGenerator generator(spec, clock);
  const LoadResult result = generator.run(testing::start_soon(clock));

  REQUIRE(result.samples.size() == 450);
  // About 100 requests are held at once: both threads grow until the
  // shared limit is spent, and not one connection further.
  CHECK(result.max_connections == 24);
  CHECK(result.peak_connections == 24);
  CHECK(result.connection_limit_waits > 0);
}

TEST_CASE("a limit below connections counts as connections", "[load][connections]") {
  testing::TestHttpServer server(testing::ServerMode::answer, 1ms);
  RunClock clock;
  LoadSpec spec = testing::loopback_spec(server.port(), 100, 200ms, 4);
  spec.max_connections = 2;
  LoadGenerator generator(spec, clock);
  const LoadResult result = generator.run(testing::start_soon(clock));

  REQUIRE(result.samples.size() == 20);
  CHECK(result.max_connections == 4);
  CHECK(result.peak_connections == 4);
}

TEST_CASE("maximum-rate mode keeps its fixed pool even when requests are held",
          "[load][connections][max-rate]") {
  testing::TestHttpServer server(testing::ServerMode::answer, 1ms);
  server.stall_one_in(3);
  RunClock clock;
  LoadSpec spec = testing::loopback_spec(server.port(), 1, 500ms, 4);
  spec.max_rate = true;
  spec.timeout = 200ms;
  LoadGenerator generator(spec, clock);
  const LoadResult result = generator.run(testing::start_soon(clock));

  REQUIRE_FALSE(result.samples.empty());
  CHECK(result.max_connections == 4);
  CHECK(result.peak_connections == 4);
  CHECK(result.connection_limit_waits == 0);
  CHECK(result.late_sends == 0);
}

TEST_CASE("a request resent after the server closed its idle keep-alive connection counts as retried",
          "[load][connections][retry]") {
  // The server closes each connection right after answering on it, though
  // the answer said keep-alive: every request written on a connection that
  // has answered before finds it closed, and is retried on a fresh one.
  testing::TestHttpServer server(testing::ServerMode::close_after_each, 1ms);
  RunClock clock;
  LoadGenerator generator(testing::loopback_spec(server.port(), 50, 1s, 2), clock);
  const LoadResult result = generator.run(testing::start_soon(clock));

  REQUIRE(result.samples.size() == 50);
  CHECK(std::all_of(result.samples.begin(), result.samples.end(),
                    [](const Sample& s) { return s.status == 200 && s.error == ErrorClass::none; }));
  // Only each connection's first request was written on a connection that
  // had not answered before.
  CHECK(result.retried > 0);
  CHECK(result.retried == result.samples.size() - static_cast<uint64_t>(result.peak_connections));
  // The first write of a retried request went into a connection the server
  // had closed: the server read every request once.
  CHECK(server.requests() == result.samples.size());
}

TEST_CASE("a server that keeps its connections causes no retry", "[load][connections][retry]") {
  testing::TestHttpServer server(testing::ServerMode::answer, 1ms);
  RunClock clock;
  LoadGenerator generator(testing::loopback_spec(server.port(), 100, 500ms, 2), clock);
  const LoadResult result = generator.run(testing::start_soon(clock));

  REQUIRE(result.samples.size() == 50);
  CHECK(result.retried == 0);
}

// The measurement behind the report: 300/s for 10 s over 16 connections
// with a 2 s timeout, one request in three held; with the default limit and
// with a fixed pool. Run with `test_load "[.growth-figure]"`.
TEST_CASE("connection growth figure", "[.growth-figure]") {
  for (const int limit : {0, connections}) {
    testing::TestHttpServer server(testing::ServerMode::answer, std::chrono::milliseconds(service / ms));
    server.stall_one_in(3);
    RunClock clock;
    LoadSpec spec = testing::loopback_spec(server.port(), rate, 10s, connections);
    spec.timeout = 2s;
    spec.max_connections = limit;
    LoadGenerator generator(spec, clock);
    const LoadResult r = generator.run(testing::start_soon(clock));
    const auto healthy = answered(r);
    std::printf(
        "max_connections %d (peak %d, limit waits %llu): %zu requests, late sends %llu (%.1f%%), "
        "lateness max %.1f ms; healthy %zu: late %llu, lateness p50 %.2f / p99 %.2f ms, "
        "latency p50 %.2f / p99 %.2f / max %.2f ms\n",
        r.max_connections, r.peak_connections, static_cast<unsigned long long>(r.connection_limit_waits),
        r.samples.size(), static_cast<unsigned long long>(r.late_sends),
        100.0 * static_cast<double>(r.late_sends) / static_cast<double>(r.samples.size()),
        static_cast<double>(r.send_lateness_max_ns) / 1e6, healthy.size(),
        static_cast<unsigned long long>(late_count(healthy)),
        static_cast<double>(percentile(lateness(healthy), 50)) / 1e6,
        static_cast<double>(percentile(lateness(healthy), 99)) / 1e6,
        static_cast<double>(percentile(latency(healthy), 50)) / 1e6,
        static_cast<double>(percentile(latency(healthy), 99)) / 1e6,
        static_cast<double>(percentile(latency(healthy), 100)) / 1e6);
    CHECK(r.samples.size() == 3000);
  }
}

}  // namespace
}  // namespace faultline::load
