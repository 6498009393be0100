#include "harness/runner/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace faultline::runner {

Progress::Progress(bool enabled) : enabled_(enabled), tty_(isatty(STDERR_FILENO) == 1) {}

void Progress::clear_status() {
  if (status_shown_) {
    std::fputs("\r\033[K", stderr);
    status_shown_ = false;
  }
}

void Progress::message(const std::string& text) {
  if (!enabled_) {
    return;
  }
  clear_status();
  std::fprintf(stderr, "%s\n", text.c_str());
}

void Progress::status(int64_t elapsed_ns, int64_t total_ns, uint64_t sent, uint64_t completed,
                      uint64_t failed, const std::vector<std::string>& active_faults) {
  if (!enabled_) {
    return;
  }
  if (!tty_ && last_plain_ns_ >= 0 && elapsed_ns - last_plain_ns_ < 5'000'000'000) {
    return;
  }
  // Errors over the last interval say more about "now" than a running total.
  const uint64_t done_delta = completed - last_completed_;
  const uint64_t fail_delta = failed - last_failed_;
  last_completed_ = completed;
  last_failed_ = failed;
  const double err = done_delta ? 100.0 * double(fail_delta) / double(done_delta) : 0.0;
  const std::string faults =
      active_faults.empty() ? "none" : fmt::format("{}", fmt::join(active_faults, ", "));
  const std::string line =
      fmt::format("[{:5.1f}s / {:.0f}s] sent {}  done {}  errors now {:.1f}%  active fault: {}",
                  elapsed_ns / 1e9, total_ns / 1e9, sent, completed, err, faults);
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    status_shown_ = true;
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
    last_plain_ns_ = elapsed_ns;
  }
}

void Progress::done() {
  if (enabled_) {
    clear_status();
  }
}

}  // namespace faultline::runner
