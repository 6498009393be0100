#pragma once

#include <atomic>
#include <functional>
#include <thread>

#include "harness/common/units.h"

namespace faultline::runner {

// Calls a function every `interval` on a thread of its own, from start()
// until stop() or destruction. What a load balancer is asked (a paused
// HAProxy answers nothing until the deadline of its runtime API) then
// delays only the next poll, never the runner's timeline. stop() returns
// within about 10 ms once the poll under way has returned.
class Poller {
 public:
  explicit Poller(Duration interval) : interval_(interval) {}
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // Starts polling with `poll`, the first call at once. Once only.
  void start(std::function<void()> poll);
  // Waits for the poll under way, and calls `poll` no more. Idempotent.
  void stop();

  Duration interval() const { return interval_; }

 private:
  Duration interval_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace faultline::runner
