#include "reporters/number_text.h"

#include <fmt/format.h>

#include <cmath>

namespace faultline::reporters {

std::string percent_text(double fraction, PercentStyle style) {
  const double p = fraction * 100;
  switch (style) {
    case PercentStyle::prose:
      if (p == 0) {
        return "0%";
      }
      // The thresholds compare the value as it will print, so 9.99 reads
      // "10%" like its neighbours, not "10.0%".
      if (std::round(p * 100) / 100 < 0.1) {
        return fmt::format("{:.2f}%", p);
      }
      if (std::round(p * 10) / 10 < 10) {
        return fmt::format("{:.1f}%", p);
      }
      return fmt::format("{:.0f}%", p);
    case PercentStyle::column:
      if (p != 0 && std::abs(p) < 0.05) {
        return fmt::format("{:.2f}%", p);
      }
      return fmt::format("{:.1f}%", p);
    case PercentStyle::label:
      // The test is on the rounded value so that 9.99% does not print as "10.0%".
      return p > 0 && p < 9.95 ? fmt::format("{:.1f}%", p) : fmt::format("{:.0f}%", p);
  }
  return fmt::format("{:.0f}%", p);
}

std::string milliseconds_text(double ms) {
  return ms < 10 ? fmt::format("{:.1f} ms", ms) : fmt::format("{:.0f} ms", ms);
}

}  // namespace faultline::reporters
