#include "faults/common/param_table.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace faultline::faults::kind {

using experiment::FieldReader;
using experiment::SourceNode;

ParamKind<Duration> duration(Duration min, Duration max) {
  return {fmt::format("duration {}..{}", format_duration(min), format_duration(max)),
          [min, max](FieldReader& r, const SourceNode& node, const std::string& name) {
            return r.duration_within(node, name, min, max);
          },
          [](const Duration& d) { return format_duration(d); }};
}

ParamKind<int> integer(int min, int max) {
  return {fmt::format("int {}..{}", min, max),
          [min, max](FieldReader& r, const SourceNode& node, const std::string& name) -> std::optional<int> {
            // Within [min, max], so it fits an int.
            const auto value = r.integer(node, name, min, max);
            return value ? std::optional<int>(static_cast<int>(*value)) : std::nullopt;
          },
          [](const int& n) { return std::to_string(n); }};
}

ParamKind<double> number(double min, double max) {
  return {fmt::format("number {}..{}", min, max),
          [min, max](FieldReader& r, const SourceNode& node, const std::string& name) {
            return r.number(node, name, min, max);
          },
          [](const double& n) { return fmt::format("{}", n); }};
}

ParamKind<double> percent() {
  return {
      "percent",
      [](FieldReader& r, const SourceNode& node, const std::string& name) { return r.percent(node, name); },
      [](const double& fraction) { return fmt::format("{:g}%", fraction * 100); }};
}

ParamKind<std::string> text(std::string type) {
  return {std::move(type),
          [](FieldReader& r, const SourceNode& node, const std::string& name) { return r.text(node, name); },
          [](const std::string& s) { return s; }};
}

ParamKind<std::string> choice(std::vector<std::string> choices) {
  return {fmt::format("{}", fmt::join(choices, "|")),
          [choices](FieldReader& r, const SourceNode& node, const std::string& name) {
            return r.choice(node, name, choices);
          },
          [](const std::string& s) { return s; }};
}

ParamKind<std::vector<std::string>> names(std::string type) {
  return {std::move(type),
          [](FieldReader& r, const SourceNode& node, const std::string& name) {
            return r.one_or_list(node, name);
          },
          [](const std::vector<std::string>& list) { return fmt::format("{}", fmt::join(list, ", ")); }};
}

}  // namespace faultline::faults::kind
