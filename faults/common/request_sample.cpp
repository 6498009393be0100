#include "faults/common/request_sample.h"

#include <fmt/format.h>

#include <cmath>

namespace faultline::faults {

std::string step_tag(const experiment::MethodStep& step) { return fmt::format("L{}", step.pos.line); }

std::string haproxy_sample_condition(double fraction) {
  const long long n = std::llround(fraction * 10000);
  if (n >= 10000) {
    return "";
  }
  return fmt::format(" if {{ rand(10000) lt {} }}", n);
}

std::string nginx_sample_block(const std::string& var, double fraction) {
  const long long n = std::llround(fraction * 10000);
  std::string share;
  if (n >= 10000) {
    share = "* 1;";
  } else if (n <= 0) {
    share = "* \"\";";
  } else {
    // nginx reads at most two decimals of a percentage.
    share = fmt::format("{}.{:02d}% 1; * \"\";", n / 100, n % 100);
  }
  return fmt::format("split_clients \"${{request_id}}\" ${} {{ {} }}", var, share);
}

std::string percent_text(double fraction) {
  const double p = fraction * 100;
  if (std::fabs(p - std::round(p)) < 1e-9) {
    return fmt::format("{}%", static_cast<long long>(std::llround(p)));
  }
  std::string text = fmt::format("{:.2f}", p);
  while (text.back() == '0') {
    text.pop_back();
  }
  return text + "%";
}

}  // namespace faultline::faults
