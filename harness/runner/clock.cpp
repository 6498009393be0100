#include "harness/runner/clock.h"

#include <thread>

namespace faultline::runner {

namespace {

class SteadyClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
  void sleep_until(time_point at) override { std::this_thread::sleep_until(at); }
};

}  // namespace

Clock& steady_clock() {
  // Stateless, so one instance serves every run and thread.
  static SteadyClock clock;
  return clock;
}

}  // namespace faultline::runner
