// The polling thread the load-balancer watch and the share sources run on:
// polls at its interval, never holds up its caller, and polls no more once
// stopped.

#include "harness/runner/poller.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

using namespace faultline;
using namespace faultline::runner;
using namespace std::chrono_literals;

TEST_CASE("a poller calls its function every interval until stopped", "[runner][poller]") {
  std::atomic<int> polls{0};
  Poller poller(20ms);
  poller.start([&] { ++polls; });
  std::this_thread::sleep_for(150ms);
  poller.stop();
  const int seen = polls.load();
  CHECK(seen >= 3);  // at once, then every 20 ms (a busy machine may fall behind)
  CHECK(seen <= 9);
  std::this_thread::sleep_for(60ms);
  CHECK(polls.load() == seen);
  poller.stop();  // again: nothing to do
}

TEST_CASE("a slow poll holds up neither the start nor anything but the next poll", "[runner][poller]") {
  std::atomic<int> polls{0};
  Poller poller(10ms);
  const auto before = std::chrono::steady_clock::now();
  poller.start([&] {
    ++polls;
    std::this_thread::sleep_for(200ms);  // a paused HAProxy, until the deadline
  });
  CHECK(std::chrono::steady_clock::now() - before < 100ms);
  std::this_thread::sleep_for(50ms);
  CHECK(polls.load() == 1);
}
