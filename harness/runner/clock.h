#pragma once

#include <chrono>

namespace faultline::runner {

// The time the runner's own schedule reads and waits on: when the load
// starts, when each fault is injected and reverted, when it wakes up to
// look again. Injected through RunOptions so a test can run the method
// timeline on a clock it moves itself. The load generator keeps the real
// clock (RunRecord::clock) for its measurements, whatever this one says.
class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  virtual time_point now() const = 0;
  // Returns once now() has reached `at` (at once when it already has).
  virtual void sleep_until(time_point at) = 0;
};

// std::chrono::steady_clock, the clock of every real run.
Clock& steady_clock();

}  // namespace faultline::runner
