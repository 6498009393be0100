#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "harness/load/generator.h"
#include "tests/load/test_http_server.h"
#include "tests/load/test_specs.h"

namespace faultline::load {
namespace {

using namespace std::chrono_literals;
using testing::ms;
using testing::ServerMode;
using testing::TestHttpServer;

LoadSpec max_rate_spec(uint16_t port, Duration duration, int connections, int threads) {
  LoadSpec spec = testing::loopback_spec(port, 1, duration, connections);
  spec.max_rate = true;
  spec.threads = threads;
  return spec;
}

// The most requests on the wire at once, from the samples' send and done
// times.
int max_in_flight(const LoadResult& result) {
  std::vector<std::pair<int64_t, int>> events;
  for (const Sample& s : result.samples) {
    events.emplace_back(s.sent_ns, 1);
    events.emplace_back(s.done_ns, -1);
  }
  std::sort(events.begin(), events.end());  // a -1 sorts before a +1 at the same instant
  int now = 0;
  int most = 0;
  for (const auto& [t, d] : events) {
    now += d;
    most = std::max(most, now);
  }
  return most;
}

bool in_send_order(const LoadResult& result) {
  return std::is_sorted(result.samples.begin(), result.samples.end(),
                        [](const Sample& a, const Sample& b) { return a.intended_ns < b.intended_ns; });
}

TEST_CASE("maximum-rate mode sends again on each connection as soon as the answer is in",
          "[load][max-rate]") {
  // 4 connections and a 10 ms service time: at most 400 requests in 1 s.
  TestHttpServer server(ServerMode::answer, 10ms);
  RunClock clock;
  LoadGenerator generator(max_rate_spec(server.port(), 1s, 4, 1), clock);
  const int64_t start = testing::start_soon(clock);
  const LoadResult result = generator.run(start);

  // Promptness (within 15% of the bound) is a figure of the optimised
  // build; under ASan the floor only shows that requests are not paced.
  CHECK(result.samples.size() >= (testing::kSanitized ? 200u : 340u));
  CHECK(result.samples.size() <= 404);
  CHECK(server.requests() == result.samples.size());
  CHECK(max_in_flight(result) == 4);
  CHECK(in_send_order(result));
  CHECK(result.end_ns == start + 1000 * ms);
  CHECK(result.not_sent == 0);
  CHECK(result.late_sends == 0);
  CHECK(generator.progress().sent.load() == result.samples.size());
  CHECK(generator.progress().completed.load() == result.samples.size());
  for (const Sample& s : result.samples) {
    REQUIRE(s.status == 200);
    REQUIRE(s.intended_ns == s.sent_ns);  // latency counts from the send
    REQUIRE(s.intended_ns >= start);
    REQUIRE(s.intended_ns < start + 1000 * ms);
    REQUIRE(s.service_ns() >= 10 * ms);
    REQUIRE(s.service_ns() < 30 * ms);
  }
}

TEST_CASE("maximum-rate mode on two threads records every request once, in send order", "[load][max-rate]") {
  TestHttpServer server(ServerMode::answer, 1ms);
  RunClock clock;
  LoadGenerator generator(max_rate_spec(server.port(), 500ms, 6, 2), clock);
  const LoadResult result = generator.run(testing::start_soon(clock));

  // 6 connections of about 1 ms each could make ~3000; the floor only
  // shows that it is not paced, and holds in an unoptimised sanitizer
  // build (the rate itself is measured in bench/load_vs_wrk).
  CHECK(result.samples.size() > 400);
  CHECK(server.requests() == result.samples.size());
  CHECK(max_in_flight(result) <= 6);
  CHECK(in_send_order(result));
  CHECK(result.backends.size() == 3);
  std::set<uint32_t> users;
  for (const Sample& s : result.samples) {
    REQUIRE(s.status == 200);
    REQUIRE(result.backends[s.backend].size() == 1);
    users.insert(s.user);
  }
  CHECK(users.size() == 50);
}

TEST_CASE("maximum-rate mode against a refused port fails fast and still ends on time", "[load][max-rate]") {
  RunClock clock;
  LoadGenerator generator(max_rate_spec(testing::unused_port(), 300ms, 2, 1), clock);
  const int64_t start = testing::start_soon(clock);
  const LoadResult result = generator.run(start);

  CHECK(clock.now_ns() - start < 800 * ms);
  REQUIRE(!result.samples.empty());
  CHECK(std::all_of(result.samples.begin(), result.samples.end(), [](const Sample& s) {
    return s.error == ErrorClass::connect_refused && s.sent_ns == s.done_ns;
  }));
  CHECK(generator.progress().failed.load() == result.samples.size());
}

TEST_CASE("maximum-rate mode stops early on stop()", "[load][max-rate]") {
  TestHttpServer server(ServerMode::answer, 1ms);
  RunClock clock;
  LoadGenerator generator(max_rate_spec(server.port(), 10s, 4, 2), clock);
  const int64_t start = testing::start_soon(clock);
  std::jthread stopper([&] {
    std::this_thread::sleep_until(clock.at(start + 200 * ms));
    generator.stop();
  });
  const LoadResult result = generator.run(start);

  CHECK(clock.now_ns() - start < 1000 * ms);
  CHECK(result.end_ns - start >= 200 * ms);
  CHECK(result.end_ns - start < 400 * ms);
  CHECK(!result.samples.empty());
  CHECK(server.requests() == result.samples.size());
}

// A rough figure, not a check: run with `test_load "[.max-rate-figure]"`.
// Against the test server (Beast's own parser and one timer per request)
// the server is the limit; FAULTLINE_LOAD_FIGURE_PORT=<port> points it at a
// server of one's own on 127.0.0.1 instead (e.g. nginx).
TEST_CASE("maximum-rate figure", "[.max-rate-figure]") {
  const char* port_env = std::getenv("FAULTLINE_LOAD_FIGURE_PORT");
  for (const int threads : {1, 2}) {
    TestHttpServer server(ServerMode::answer, 0ms);
    const auto port = port_env != nullptr ? static_cast<uint16_t>(std::atoi(port_env)) : server.port();
    RunClock clock;
    LoadGenerator generator(max_rate_spec(port, 5s, 16, threads), clock);
    const LoadResult result = generator.run(testing::start_soon(clock));
    const auto ok = std::count_if(result.samples.begin(), result.samples.end(),
                                  [](const Sample& s) { return s.status == 200; });
    std::printf("threads %d: %zu requests (%td answered 200) in 5 s: %.0f req/s\n", threads,
                result.samples.size(), ok, static_cast<double>(result.samples.size()) / 5.0);
    CHECK(ok == static_cast<std::ptrdiff_t>(result.samples.size()));
  }
}

}  // namespace
}  // namespace faultline::load
