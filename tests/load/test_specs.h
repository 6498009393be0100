#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <thread>
#include <vector>

#include "harness/common/clock.h"
#include "harness/load/generator.h"

namespace faultline::load::testing {

inline constexpr int64_t ms = 1'000'000;

// Whether this test binary is instrumented by AddressSanitizer (GCC defines
// __SANITIZE_ADDRESS__; clang before 17 only answers __has_feature).
// Instrumented code runs several times slower, so figures of time and rate
// say nothing about the generator there; the code paths still run.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

inline LoadSpec loopback_spec(uint16_t port, double rate, Duration duration, int connections) {
  LoadSpec spec;
  spec.host = "127.0.0.1";
  spec.port = port;
  spec.rate = rate;
  spec.duration = duration;
  spec.connections = connections;
  spec.users = 50;
  spec.timeout = std::chrono::seconds(1);
  return spec;
}

// A little ahead, so the warm-up connects are done by the first request.
inline int64_t start_soon(const RunClock& clock) {
  return clock.now_ns() + 50 * ms;
}

// Nearest-rank percentile of unsorted values.
inline int64_t percentile(std::vector<int64_t> values, double p) {
  if (values.empty()) {
    return 0;
  }
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  rank = std::clamp<std::size_t>(rank, 1, values.size());
  const auto it = values.begin() + static_cast<std::ptrdiff_t>(rank - 1);
  std::nth_element(values.begin(), it, values.end());
  return *it;
}

// Whether this machine wakes a sleeping thread within a fraction of a
// millisecond. Checks of sub-millisecond tails only mean something then:
// on a machine whose cores are busy with other work (a parallel build),
// every thread, the test server's included, wakes milliseconds late.
inline bool machine_is_quiet() {
  if (kSanitized) {
    return false;  // its tails say nothing about the generator's accuracy
  }
  // More runnable threads than cores, and wake-ups wait for a time slice:
  // a sleep probe may not catch that, the load average does.
  double load = 0;
  if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &load) != 1) {
      load = 0;
    }
    std::fclose(f);
  }
  if (load >= static_cast<double>(std::thread::hardware_concurrency())) {
    return false;
  }
  std::vector<int64_t> overshoot;
  for (int i = 0; i < 100; ++i) {
    const auto before = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::microseconds(500));
    const auto slept = std::chrono::steady_clock::now() - before;
    overshoot.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(slept).count() - 500'000);
  }
  return percentile(overshoot, 95) < 250'000;
}

}  // namespace faultline::load::testing
