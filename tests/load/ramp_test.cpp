#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>

#include "harness/load/generator.h"
#include "harness/load/plan.h"
#include "tests/load/test_http_server.h"
#include "tests/load/test_specs.h"

namespace faultline::load {
namespace {

using namespace std::chrono_literals;
using testing::ms;

LoadSpec ramp_spec(double rate, Duration ramp, Duration duration) {
  LoadSpec spec;
  spec.host = "127.0.0.1";
  spec.rate = rate;
  spec.ramp = ramp;
  spec.duration = duration;
  return spec;
}

// Requests the plan intends strictly before `t_ns` after its start.
uint64_t due_before(const LoadPlan& plan, int64_t t_ns) {
  uint64_t n = 0;
  while (n < plan.count && plan.intended_ns(n) < plan.start_ns + t_ns) {
    ++n;
  }
  return n;
}

TEST_CASE("a ramp schedules the integral of a linearly growing rate", "[load][ramp]") {
  // 1000/s reached after 1 s: rate * t^2 / 2 requests by t, then 1000/s.
  const LoadPlan plan = make_plan(ramp_spec(1000, 1s, 2s), 7 * ms);

  CHECK(plan.count == 1500);
  CHECK(plan.intended_ns(0) == 7 * ms);
  CHECK(plan.intended_ns(500) == 7 * ms + 1000 * ms);
  CHECK(due_before(plan, 100 * ms) == 5);     // 1000 * 0.1^2 / 2
  CHECK(due_before(plan, 500 * ms) == 125);   // 1000 * 0.5^2 / 2
  CHECK(due_before(plan, 1000 * ms) == 500);  // the ramp carries rate * ramp / 2
  CHECK(due_before(plan, 1500 * ms) == 1000);
  CHECK(due_before(plan, 2000 * ms) == 1500);
  for (uint64_t i = 1; i < plan.count; ++i) {
    REQUIRE(plan.intended_ns(i) > plan.intended_ns(i - 1));
  }
  // Halfway up the ramp the rate is 500/s: one request every 2 ms.
  const auto gap = static_cast<double>(plan.intended_ns(126) - plan.intended_ns(125));
  CHECK(gap == Approx(2.0 * ms).epsilon(0.01));
  // Past the ramp, exactly the full rate.
  for (uint64_t i = 501; i < plan.count; ++i) {
    REQUIRE(std::llabs(plan.intended_ns(i) - plan.intended_ns(i - 1) - ms) <= 1);
  }
}

TEST_CASE("the count of ramped requests matches the integrated rate at every instant", "[load][ramp]") {
  const LoadPlan plan = make_plan(ramp_spec(3000, 2s, 3s), 0);
  const double rate_per_ns = 3000 / 1e9;
  const double ramp_ns = 2e9;
  for (int64_t t = 1 * ms; t <= 3000 * ms; t += 7 * ms) {
    const auto x = static_cast<double>(t);
    const double expected =
        x < ramp_ns ? rate_per_ns * x * x / (2 * ramp_ns) : rate_per_ns * (x - ramp_ns / 2);
    INFO("t = " << t / ms << " ms");
    // Request i is due once the count reaches i, so ceil(count) are due
    // before t; truncation to whole nanoseconds may add one at the edge.
    const auto due = static_cast<double>(due_before(plan, t));
    REQUIRE(due >= std::ceil(expected) - 1);
    REQUIRE(due <= std::ceil(expected) + 1);
  }
  // 3000 * 2 / 2 + 3000 * 1, give or take the one at the very end that
  // rounding may put just before it.
  CHECK(plan.count >= 6000);
  CHECK(plan.count <= 6001);
  CHECK(plan.intended_ns(plan.count - 1) < plan.end_ns);
  CHECK(plan.intended_ns(plan.count) >= plan.end_ns);
}

TEST_CASE("a ramp longer than the load never reaches the full rate", "[load][ramp]") {
  const LoadPlan plan = make_plan(ramp_spec(1000, 4s, 2s), 0);
  // 1000 * 2^2 / (2 * 4) = 500 requests by the end.
  CHECK(plan.count >= 499);
  CHECK(plan.count <= 500);
  CHECK(plan.intended_ns(plan.count - 1) < plan.end_ns);
  CHECK(plan.intended_ns(plan.count) >= plan.end_ns);
}

TEST_CASE("without a ramp every request is due at i / rate", "[load][ramp]") {
  const LoadPlan plan = make_plan(ramp_spec(300, 0s, 1s), 5);
  REQUIRE(plan.count == 300);
  for (uint64_t i = 0; i < plan.count; ++i) {
    REQUIRE(plan.intended_ns(i) == 5 + static_cast<int64_t>(static_cast<double>(i) * (1e9 / 300)));
  }
}

TEST_CASE("the generator sends a ramped load on its schedule", "[load][ramp]") {
  testing::TestHttpServer server(testing::ServerMode::answer, 1ms);
  RunClock clock;
  LoadSpec spec = testing::loopback_spec(server.port(), 400, 1500ms, 8);
  spec.ramp = 1s;
  LoadGenerator generator(spec, clock);
  const int64_t start = testing::start_soon(clock);
  const LoadResult result = generator.run(start);
  const LoadPlan plan = make_plan(spec, start);

  // 400 * 1 / 2 during the ramp, 400 * 0.5 after.
  REQUIRE(result.samples.size() == 400);
  CHECK(server.requests() == 400);
  CHECK(result.not_sent == 0);
  uint64_t first_half_second = 0;
  for (std::size_t i = 0; i < result.samples.size(); ++i) {
    const Sample& s = result.samples[i];
    INFO("request " << i);
    REQUIRE(s.status == 200);
    REQUIRE(s.intended_ns == plan.intended_ns(i));
    REQUIRE(s.sent_ns >= s.intended_ns);
    if (s.intended_ns < start + 500 * ms) {
      ++first_half_second;
    }
  }
  CHECK(first_half_second == 50);  // 400 * 0.5^2 / 2
}

}  // namespace
}  // namespace faultline::load
