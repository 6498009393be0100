#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "harness/common/clock.h"
#include "harness/common/units.h"
#include "harness/load/sample.h"

namespace faultline::load {

struct LoadSpec {
  std::string host;  // dotted quad
  int port = 80;
  std::string path = "/";
  double rate = 100;  // requests per second
  int connections = 16;
  int users = 100;
  Duration timeout = std::chrono::seconds(2);
  Duration duration = std::chrono::seconds(30);
  std::string backend_header = "X-Backend";
};

// Live counters, readable from another thread while the load runs.
struct LoadProgress {
  std::atomic<uint64_t> sent{0};
  std::atomic<uint64_t> completed{0};
  std::atomic<uint64_t> failed{0};
};

// Open-model HTTP/1.1 load: requests are scheduled at a constant arrival
// rate regardless of how fast responses come back, over a pool of keep-alive
// connections; a request that finds no free connection waits, and its
// latency still counts from its scheduled time. Reconnects after errors.
// The load always ends by itself after `duration`.
class LoadGenerator {
 public:
  LoadGenerator(LoadSpec spec, const RunClock& clock);

  // Blocks until the duration has elapsed (measured from `start_ns`) or
  // stop() is called, then waits at most `timeout` for requests in flight.
  LoadResult run(int64_t start_ns);

  // Ends the load early; safe from any thread.
  void stop() { stop_.store(true); }

  const LoadProgress& progress() const { return progress_; }

 private:
  LoadSpec spec_;
  const RunClock& clock_;
  std::atomic<bool> stop_{false};
  LoadProgress progress_;
};

}  // namespace faultline::load
