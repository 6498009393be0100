#include "harness/runner/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "harness/common/units.h"

namespace faultline::runner {

std::string format_status(const StatusFigures& f) {
  const double err = f.completed ? 100.0 * double(f.failed) / double(f.completed) : 0.0;
  const std::string p99 = f.p99_ms ? format_ms(*f.p99_ms) : "–";
  const std::string faults =
      f.active_faults.empty() ? "none" : fmt::format("{}", fmt::join(f.active_faults, ", "));
  return fmt::format("[{:5.1f}s / {:.0f}s]  {:.0f}/s  errors {} ({:.1f}%)  p99 {}  fault: {}",
                     double(f.elapsed_ns) / 1e9, double(f.total_ns) / 1e9, f.rate, f.failed, err, p99,
                     faults);
}

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

void Progress::status(const StatusFigures& figures) {
  if (!enabled_) {
    return;
  }
  if (!tty_ && last_plain_ns_ >= 0 && figures.elapsed_ns - last_plain_ns_ < 5'000'000'000) {
    return;
  }
  const std::string line = format_status(figures);
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    status_shown_ = true;
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
    last_plain_ns_ = figures.elapsed_ns;
  }
}

void Progress::done() {
  if (enabled_) {
    clear_status();
  }
}

}  // namespace faultline::runner
