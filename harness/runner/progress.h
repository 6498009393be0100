#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace faultline::runner {

// One status line's figures. Rates, errors and p99 are over the interval
// since the previous line, which says more about "now" than running totals.
struct StatusFigures {
  int64_t elapsed_ns = 0;
  int64_t total_ns = 0;
  double rate = 0;                         // requests completed per second
  uint64_t completed = 0;                  // requests completed in the interval
  uint64_t failed = 0;                     // of which failed
  std::optional<double> p99_ms;            // latency (from the intended send); nullopt when not known
  std::vector<std::string> active_faults;  // "lb_weight(lb)"
};

// "[ 12.0s / 60s]  598/s  errors 3 (0.5%)  p99 41.2 ms  fault: lb_weight(lb)"
std::string format_status(const StatusFigures& figures);

// What a person watching a run sees on stderr: one line per event
// (fault injected, reverted, note) and, on a terminal, a status line that is
// rewritten in place every second; off a terminal (CI logs) the status is
// printed as a plain line every 5 seconds instead, so logs stay readable.
class Progress {
 public:
  explicit Progress(bool enabled);

  void message(const std::string& text);
  void status(const StatusFigures& figures);
  void done();

 private:
  void clear_status();

  bool enabled_;
  bool tty_;
  bool status_shown_ = false;
  int64_t last_plain_ns_ = -1;
};

}  // namespace faultline::runner
