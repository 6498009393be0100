#include "faults/common/request_sample.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string_view>

namespace faultline::faults {

std::string step_tag(const experiment::MethodStep& step) {
  return fmt::format("L{}", step.pos.line);
}

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

bool is_path_prefix(const std::string& prefix) {
  static constexpr std::string_view kSymbols = "/._~:@,=+-";
  return !prefix.empty() && prefix.front() == '/' && std::all_of(prefix.begin(), prefix.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           kSymbols.find(c) != std::string_view::npos;
  });
}

std::string haproxy_request_condition(double fraction, const std::string& prefix) {
  if (prefix.empty()) {
    return haproxy_sample_condition(fraction);
  }
  std::string sample = haproxy_sample_condition(fraction);
  // " if { rand(10000) lt N }" -> " { rand(10000) lt N }" after the path's.
  if (!sample.empty()) {
    sample.erase(0, 3);
  }
  return fmt::format(" if {{ path_beg {} }}{}", prefix, sample);
}

std::string nginx_request_block(const std::string& var, double fraction, const std::string& prefix) {
  if (prefix.empty()) {
    return nginx_sample_block(var, fraction);
  }
  // A regular expression of the prefix: its only special characters (. and
  // +) each in a class of its own, so no escaping rule of nginx's quoted
  // strings is involved.
  std::string pattern;
  for (char c : prefix) {
    if (c == '.' || c == '+') {
      pattern += '[';
      pattern += c;
      pattern += ']';
    } else {
      pattern += c;
    }
  }
  return fmt::format("{}\nmap \"${}_share:$uri\" ${} {{\n    \"~^1:{}\" 1;\n    default \"\";\n}}",
                     nginx_sample_block(var + "_share", fraction), var, var, pattern);
}

void check_path_prefix(const std::optional<std::string>& path, ParamReader& params) {
  if (!path || is_path_prefix(*path)) {
    return;
  }
  params.error_at("path", fmt::format("'path' must be a path prefix starting with '/', not '{}'", *path),
                  "'/' then letters, digits and / . _ ~ : @ , = + - only, e.g. /checkout or /api/v2/");
}

std::string path_text(const std::string& prefix) {
  return prefix.empty() ? std::string() : fmt::format(" on paths starting with {}", prefix);
}

}  // namespace faultline::faults
