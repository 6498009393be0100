#pragma once

#include <chrono>
#include <cstdint>

namespace faultline {

// The time base of one run. Everything measured during a run is kept as
// nanoseconds since `origin` on the monotonic clock (immune to wall-clock
// steps); `wall_origin` is the wall-clock time of that same instant, so any
// offset can be turned into a timestamp for the reports.
class RunClock {
 public:
  RunClock() : origin_(std::chrono::steady_clock::now()), wall_origin_(std::chrono::system_clock::now()) {}

  // Nanoseconds since the origin.
  int64_t now_ns() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - origin_)
        .count();
  }
  std::chrono::steady_clock::time_point origin() const { return origin_; }
  std::chrono::system_clock::time_point wall_origin() const { return wall_origin_; }
  std::chrono::steady_clock::time_point at(int64_t ns) const {
    return origin_ + std::chrono::nanoseconds(ns);
  }

 private:
  std::chrono::steady_clock::time_point origin_;
  std::chrono::system_clock::time_point wall_origin_;
};

}  // namespace faultline
