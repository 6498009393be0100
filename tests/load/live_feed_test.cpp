#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <set>
#include <thread>
#include <tuple>
#include <vector>

#include "harness/load/generator.h"
#include "tests/load/test_http_server.h"
#include "tests/load/test_specs.h"

namespace faultline::load {
namespace {

using namespace std::chrono_literals;
using testing::ServerMode;
using testing::TestHttpServer;

// What identifies a request across the live copy and the final result.
using Key = std::tuple<int64_t, int64_t, uint32_t>;  // intended, done, user

std::map<Key, std::string> by_key(const LoadResult& r) {
  std::map<Key, std::string> out;
  for (const Sample& s : r.samples) {
    out[{s.intended_ns, s.done_ns, s.user}] = r.backends.at(s.backend);
  }
  return out;
}

TEST_CASE("a live generator hands over every sample while the load runs", "[load][live]") {
  TestHttpServer server(ServerMode::answer, 1ms);
  RunClock clock;
  LoadSpec spec = testing::loopback_spec(server.port(), 400, 1500ms, 8);
  spec.threads = GENERATE(1, 2);
  spec.live = true;
  LoadGenerator generator(spec, clock);

  LoadResult live;
  std::vector<size_t> seen_during;  // sizes taken while the load was still on
  std::atomic<bool> done{false};
  bool refused = false;  // Catch's assertions are not for other threads
  std::thread reader([&] {
    while (!done.load()) {
      refused = refused || !generator.take_completed(live);
      seen_during.push_back(live.samples.size());
      std::this_thread::sleep_for(50ms);
    }
  });
  const LoadResult result = generator.run(testing::start_soon(clock));
  done.store(true);
  reader.join();
  REQUIRE_FALSE(refused);
  REQUIRE(generator.take_completed(live));  // what the last flush published

  INFO("threads " << spec.threads);
  REQUIRE(result.samples.size() >= 550);
  // Samples came in while the load ran, not only at its end: by its middle
  // a good share of them had been handed over.
  REQUIRE(seen_during.size() >= 10);
  CHECK(seen_during[seen_during.size() / 2] >= result.samples.size() / 4);
  // The same requests, each once, with the same backend names (each shard
  // numbers backends on its own; the feed must translate).
  REQUIRE(live.samples.size() == result.samples.size());
  const auto expected = by_key(result);
  const auto got = by_key(live);
  CHECK(got == expected);
  std::set<std::string> names;
  for (const auto& [key, name] : got) {
    names.insert(name);
  }
  CHECK(names == std::set<std::string>{"a", "b"});
}

TEST_CASE("a generator made without live hands nothing over", "[load][live]") {
  RunClock clock;
  LoadGenerator generator(testing::loopback_spec(1, 10, 1s, 1), clock);
  LoadResult into;
  CHECK_FALSE(generator.take_completed(into));
  CHECK(into.samples.empty());
}

}  // namespace
}  // namespace faultline::load
