// Shares counted by a load balancer rather than named in each response:
// counts stamped with a time, binned into the windows that time falls in.

#include "harness/verify/backend_counts.h"

#include <catch2/catch.hpp>
#include <chrono>

namespace faultline::verify {
namespace {

using namespace std::chrono_literals;

constexpr int64_t ms = 1'000'000;

load::LoadResult answered_without_header(int requests) {
  load::LoadResult result;
  for (int i = 0; i < requests; ++i) {
    load::Sample s;
    s.intended_ns = i * 100 * ms;
    s.sent_ns = s.intended_ns;
    s.done_ns = s.intended_ns + ms;
    s.status = 200;
    result.samples.push_back(s);
  }
  return result;
}

TEST_CASE("each count goes to the window its time falls in", "[verify][shares]") {
  auto windows = build_windows(answered_without_header(30), 1s, 0, 3000 * ms);
  REQUIRE(windows.size() == 3);
  // With no header every request is unknown, until the counts replace that.
  CHECK(windows[0].backend_counts == std::map<std::string, uint64_t>{{"", 10}});

  const std::vector<BackendCount> counts{
      {-1, "web1", 50},         // before the first window: nowhere
      {0, "web1", 3},           // a window's start is in it
      {999 * ms, "web2", 2},    //
      {1000 * ms, "web1", 4},   // its end is in the next
      {1500 * ms, "web1", 1},   //
      {1500 * ms, "", 5},       // a server the stack does not know
      {2999 * ms, "web2", 6},   //
      {3000 * ms, "web1", 70},  // the load's end: nowhere
  };
  count_backends_by_time(windows, counts);
  CHECK(windows[0].backend_counts == std::map<std::string, uint64_t>{{"web1", 3}, {"web2", 2}});
  CHECK(windows[1].backend_counts == std::map<std::string, uint64_t>{{"", 5}, {"web1", 5}});
  CHECK(windows[2].backend_counts == std::map<std::string, uint64_t>{{"web2", 6}});
  // Shares leave the unknown out of the denominator, as with the header.
  CHECK(windows[0].max_backend_share() == Approx(0.6));
  CHECK(windows[1].backend_share("web1") == Approx(1.0));
  CHECK(windows[1].backend_share("") == 0.0);
}

TEST_CASE("counts in any order bin the same, and a window without any has none", "[verify][shares]") {
  auto windows = build_windows(answered_without_header(30), 1s, 0, 3000 * ms);
  count_backends_by_time(windows, {{2100 * ms, "web2", 1}, {100 * ms, "web1", 2}, {2000 * ms, "web1", 3}});
  CHECK(windows[0].backend_counts == std::map<std::string, uint64_t>{{"web1", 2}});
  CHECK(windows[1].backend_counts.empty());
  CHECK(windows[1].max_backend_share() == 0.0);
  CHECK(windows[2].backend_counts == std::map<std::string, uint64_t>{{"web1", 3}, {"web2", 1}});
}

TEST_CASE("counts between two times are summed by backend", "[verify][shares]") {
  const std::vector<BackendCount> counts{{10, "web1", 1}, {20, "web2", 2}, {30, "web1", 4}, {40, "web1", 8}};
  CHECK(backend_counts_between(counts, 10, 40) == std::map<std::string, uint64_t>{{"web1", 5}, {"web2", 2}});
  CHECK(backend_counts_between(counts, 41, 100).empty());
}

TEST_CASE("a response header is seen when any sample named its backend", "[verify][shares]") {
  auto result = answered_without_header(3);
  CHECK_FALSE(backend_header_seen(result));
  result.backends = {"", "web1"};
  result.samples[2].backend = 1;
  CHECK(backend_header_seen(result));
}

}  // namespace
}  // namespace faultline::verify
