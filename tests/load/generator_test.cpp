#include "harness/load/generator.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include "tests/load/test_http_server.h"

namespace faultline::load {
namespace {

using namespace std::chrono_literals;
using testing::ServerMode;
using testing::TestHttpServer;

constexpr int64_t ms = 1'000'000;

LoadSpec spec_for(uint16_t port, double rate, Duration duration, int connections) {
  LoadSpec spec;
  spec.host = "127.0.0.1";
  spec.port = port;
  spec.path = "/";
  spec.rate = rate;
  spec.duration = duration;
  spec.connections = connections;
  spec.users = 50;
  spec.timeout = 1s;
  spec.backend_header = "X-Backend";
  return spec;
}

// Request i of an open-model schedule at `rate` per second.
int64_t plan_time(int64_t start, std::size_t i, double rate) {
  return start + static_cast<int64_t>(static_cast<double>(i) * (1e9 / rate));
}

// Starts a little ahead so the warm-up connects are done by the first request.
int64_t start_soon(const RunClock& clock) {
  return clock.now_ns() + 50 * ms;
}

std::vector<double> sorted_latencies_ms(const LoadResult& result) {
  std::vector<double> out;
  for (const Sample& s : result.samples) {
    out.push_back(static_cast<double>(s.latency_ns()) / 1e6);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool all_of_class(const LoadResult& result, ErrorClass error) {
  return std::all_of(result.samples.begin(), result.samples.end(),
                     [error](const Sample& s) { return s.error == error && s.status == 0; });
}

TEST_CASE("a steady server gets one answered sample per scheduled request", "[load]") {
  TestHttpServer server(ServerMode::answer, 5ms);
  RunClock clock;
  LoadGenerator generator(spec_for(server.port(), 200, 2s, 8), clock);
  const int64_t start = start_soon(clock);
  const LoadResult result = generator.run(start);

  REQUIRE(result.samples.size() == 400);
  CHECK(result.not_sent == 0);
  CHECK(result.start_ns == start);
  CHECK(result.end_ns == start + 2000 * ms);
  CHECK(server.requests() == 400);
  CHECK(generator.progress().sent.load() == 400);
  CHECK(generator.progress().completed.load() == 400);
  CHECK(generator.progress().failed.load() == 0);
  for (std::size_t i = 0; i < result.samples.size(); ++i) {
    const Sample& s = result.samples[i];
    INFO("request " << i);
    REQUIRE(s.status == 200);
    REQUIRE(s.error == ErrorClass::none);
    REQUIRE(s.intended_ns == start + static_cast<int64_t>(i) * 5 * ms);
    REQUIRE(s.sent_ns >= s.intended_ns);
    REQUIRE(s.done_ns > s.sent_ns);
    REQUIRE(s.backend != 0);
  }
}

TEST_CASE("two event-loop threads share the schedule without losing or repeating a request", "[load]") {
  TestHttpServer server(ServerMode::answer, 2ms);
  RunClock clock;
  LoadSpec spec = spec_for(server.port(), 300, 1s, 5);
  spec.threads = 2;
  LoadGenerator generator(spec, clock);
  const int64_t start = start_soon(clock);
  const LoadResult result = generator.run(start);

  REQUIRE(result.samples.size() == 300);
  CHECK(server.requests() == 300);
  CHECK(result.backends.size() == 3);
  for (std::size_t i = 0; i < result.samples.size(); ++i) {
    const Sample& s = result.samples[i];
    INFO("request " << i);
    REQUIRE(s.intended_ns == plan_time(start, i, 300));
    REQUIRE(s.status == 200);
    REQUIRE(result.backends[s.backend].size() == 1);
  }
}

TEST_CASE("the answering backend is read from the configured header", "[load]") {
  TestHttpServer server(ServerMode::answer, 1ms);
  RunClock clock;
  LoadGenerator generator(spec_for(server.port(), 100, 500ms, 4), clock);
  const LoadResult result = generator.run(start_soon(clock));

  REQUIRE(result.backends.size() == 3);
  CHECK(result.backends[0].empty());
  const std::set<std::string> names(result.backends.begin() + 1, result.backends.end());
  CHECK(names == std::set<std::string>{"a", "b"});
  const auto count_of = [&](const std::string& name) {
    const auto index =
        std::find(result.backends.begin(), result.backends.end(), name) - result.backends.begin();
    return std::count_if(result.samples.begin(), result.samples.end(),
                         [index](const Sample& s) { return s.backend == index; });
  };
  CHECK(count_of("a") == 25);
  CHECK(count_of("b") == 25);
}

TEST_CASE("a response without the backend header counts as unknown backend", "[load]") {
  TestHttpServer server(ServerMode::answer, 1ms);
  RunClock clock;
  LoadSpec spec = spec_for(server.port(), 100, 300ms, 2);
  spec.backend_header = "X-Served-By";
  LoadGenerator generator(spec, clock);
  const LoadResult result = generator.run(start_soon(clock));

  REQUIRE(result.samples.size() == 30);
  CHECK(result.backends == std::vector<std::string>{""});
  CHECK(std::all_of(result.samples.begin(), result.samples.end(),
                    [](const Sample& s) { return s.status == 200 && s.backend == 0; }));
}

TEST_CASE("latency of an unhurried server is its service time", "[load]") {
  TestHttpServer server(ServerMode::answer, 5ms);
  RunClock clock;
  LoadGenerator generator(spec_for(server.port(), 200, 1s, 8), clock);
  const LoadResult result = generator.run(start_soon(clock));

  const auto latencies = sorted_latencies_ms(result);
  REQUIRE(latencies.size() == 200);
  const double p50 = latencies[latencies.size() / 2];
  CHECK(p50 >= 5.0);
  CHECK(p50 <= 7.0);
}

TEST_CASE("requests are spread over the virtual users", "[load]") {
  TestHttpServer server(ServerMode::answer, 1ms);
  RunClock clock;
  LoadGenerator generator(spec_for(server.port(), 400, 1s, 8), clock);
  const LoadResult result = generator.run(start_soon(clock));

  REQUIRE(result.samples.size() == 400);
  std::set<uint32_t> users;
  for (const Sample& s : result.samples) {
    REQUIRE(s.user < 50);
    users.insert(s.user);
  }
  CHECK(users.size() >= 45);
}

TEST_CASE("latency of a request that waited for a connection counts from its intended time", "[load]") {
  // One connection and a 20 ms service time can carry 50 requests/s; at
  // 100/s every request waits longer than the one before it (a fixed pool:
  // the limit keeps the generator from opening more).
  TestHttpServer server(ServerMode::answer, 20ms);
  RunClock clock;
  LoadSpec spec = spec_for(server.port(), 100, 300ms, 1);
  spec.max_connections = 1;
  spec.timeout = 2s;
  LoadGenerator generator(spec, clock);
  const LoadResult result = generator.run(start_soon(clock));

  REQUIRE(result.samples.size() == 30);
  for (const Sample& s : result.samples) {
    REQUIRE(s.status == 200);
    REQUIRE(s.latency_ns() >= s.service_ns());
  }
  const Sample& last = result.samples.back();
  CHECK(last.sent_ns - last.intended_ns > 200 * ms);
  CHECK(last.service_ns() < 100 * ms);
  CHECK(last.latency_ns() > 250 * ms);
  CHECK(result.peak_connections == 1);
  CHECK(result.connection_limit_waits >= 29);  // all but (at least) the first
}

TEST_CASE("a refused port yields connect_refused samples at the open-model pace", "[load]") {
  RunClock clock;
  LoadGenerator generator(spec_for(testing::unused_port(), 100, 1s, 4), clock);
  const int64_t start = start_soon(clock);
  const LoadResult result = generator.run(start);

  REQUIRE(result.samples.size() == 100);
  CHECK(all_of_class(result, ErrorClass::connect_refused));
  CHECK(generator.progress().failed.load() == 100);
  for (std::size_t i = 0; i < result.samples.size(); ++i) {
    const Sample& s = result.samples[i];
    REQUIRE(s.intended_ns == start + static_cast<int64_t>(i) * 10 * ms);
    REQUIRE(s.sent_ns == s.done_ns);  // never written
    REQUIRE(s.latency_ns() < 50 * ms);
  }
}

TEST_CASE("a server that never answers yields response_timeout after the timeout", "[load]") {
  TestHttpServer server(ServerMode::stall);
  RunClock clock;
  LoadSpec spec = spec_for(server.port(), 20, 500ms, 4);
  spec.timeout = 300ms;
  LoadGenerator generator(spec, clock);
  const auto began = std::chrono::steady_clock::now();
  const LoadResult result = generator.run(start_soon(clock));
  const auto took = std::chrono::steady_clock::now() - began;

  REQUIRE(result.samples.size() == 10);
  CHECK(all_of_class(result, ErrorClass::response_timeout));
  for (const Sample& s : result.samples) {
    REQUIRE(s.latency_ns() >= 300 * ms);
    REQUIRE(s.latency_ns() < 350 * ms);
  }
  // The last request is intended at 450 ms and gives up 300 ms later.
  CHECK(took < 1500ms);
}

TEST_CASE("connects that are never answered yield connect_timeout after the timeout", "[load]") {
  testing::FullListener listener;
  RunClock clock;
  LoadSpec spec = spec_for(listener.port(), 20, 500ms, 4);
  spec.timeout = 300ms;
  LoadGenerator generator(spec, clock);
  const LoadResult result = generator.run(start_soon(clock));

  REQUIRE(result.samples.size() == 10);
  // The one handshake the kernel completes carries a request nobody reads.
  const auto timed_out_connecting =
      std::count_if(result.samples.begin(), result.samples.end(),
                    [](const Sample& s) { return s.error == ErrorClass::connect_timeout; });
  CHECK(timed_out_connecting >= 5);
  for (const Sample& s : result.samples) {
    REQUIRE((s.error == ErrorClass::connect_timeout || s.error == ErrorClass::response_timeout));
    REQUIRE(s.latency_ns() >= 300 * ms);
    REQUIRE(s.latency_ns() < 350 * ms);
  }
}

TEST_CASE("a server that closes kept-alive connections costs no failed request", "[load]") {
  TestHttpServer server(ServerMode::close_after_each, 1ms);
  RunClock clock;
  LoadGenerator generator(spec_for(server.port(), 50, 1s, 2), clock);
  const LoadResult result = generator.run(start_soon(clock));

  REQUIRE(result.samples.size() == 50);
  CHECK(std::all_of(result.samples.begin(), result.samples.end(),
                    [](const Sample& s) { return s.status == 200 && s.error == ErrorClass::none; }));
}

TEST_CASE("a response that announces Connection: close is answered and the connection replaced", "[load]") {
  TestHttpServer server(ServerMode::close_announced, 1ms);
  RunClock clock;
  LoadGenerator generator(spec_for(server.port(), 100, 500ms, 2), clock);
  const LoadResult result = generator.run(start_soon(clock));

  REQUIRE(result.samples.size() == 50);
  CHECK(server.requests() == 50);
  CHECK(std::all_of(result.samples.begin(), result.samples.end(),
                    [](const Sample& s) { return s.status == 200 && s.error == ErrorClass::none; }));
}

TEST_CASE("stop() ends the load early and from another thread", "[load]") {
  TestHttpServer server(ServerMode::answer, 5ms);
  RunClock clock;
  LoadGenerator generator(spec_for(server.port(), 100, 10s, 4), clock);
  const int64_t start = start_soon(clock);
  std::jthread stopper([&] {
    std::this_thread::sleep_until(clock.at(start + 300 * ms));
    generator.stop();
  });
  const LoadResult result = generator.run(start);

  CHECK(clock.now_ns() - start < 1000 * ms);
  CHECK(result.end_ns - start >= 300 * ms);
  CHECK(result.end_ns - start < 500 * ms);
  CHECK(result.samples.size() >= 30);
  CHECK(result.samples.size() <= 50);
  CHECK(std::all_of(result.samples.begin(), result.samples.end(),
                    [](const Sample& s) { return s.status == 200; }));
}

TEST_CASE("a load whose time is up before it starts sends nothing", "[load]") {
  TestHttpServer server(ServerMode::answer, 1ms);
  RunClock clock;
  LoadGenerator generator(spec_for(server.port(), 100, 0s, 4), clock);
  const LoadResult result = generator.run(clock.now_ns());

  CHECK(result.samples.empty());
  CHECK(result.not_sent == 0);
  CHECK(server.requests() == 0);
}

TEST_CASE("a host that is not an IPv4 address is refused", "[load]") {
  RunClock clock;
  LoadSpec spec = spec_for(80, 10, 1s, 1);
  spec.host = "example.com";
  LoadGenerator generator(spec, clock);
  CHECK_THROWS_AS(generator.run(clock.now_ns()), std::invalid_argument);
}

}  // namespace
}  // namespace faultline::load
