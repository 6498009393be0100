#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace faultline::runner {

// What a person watching a run sees on stderr: one line per event
// (fault injected, reverted, note) and, on a terminal, a status line that is
// rewritten in place every second; off a terminal (CI logs) the status is
// printed as a plain line every 5 seconds instead, so logs stay readable.
class Progress {
 public:
  explicit Progress(bool enabled);

  void message(const std::string& text);
  void status(int64_t elapsed_ns, int64_t total_ns, uint64_t sent, uint64_t completed, uint64_t failed,
              const std::vector<std::string>& active_faults);
  void done();

 private:
  void clear_status();

  bool enabled_;
  bool tty_;
  bool status_shown_ = false;
  int64_t last_plain_ns_ = -1;
  uint64_t last_completed_ = 0;
  uint64_t last_failed_ = 0;
};

}  // namespace faultline::runner
