#include "faults/common/param_wording.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace faultline::faults {

using experiment::Phrase;
using experiment::SourceNode;

const ParamWording& ParamWording::instance() {
  static const ParamWording wording;
  return wording;
}

Phrase ParamWording::unknown_key(const std::string& key, const std::vector<std::string>& known,
                                 const std::string& where) const {
  const auto near = experiment::nearest(key, known);
  return {fmt::format("unknown parameter '{}' for fault '{}'", key, where),
          near.empty() ? fmt::format("'{}' takes: {}", where, fmt::join(known, ", "))
                       : fmt::format("did you mean '{}'?", near)};
}

Phrase ParamWording::duplicate_key(const std::string& key, const std::string& /*where*/,
                                   int first_line) const {
  return {fmt::format("parameter '{}' is given twice", key),
          first_line > 0 ? fmt::format("it is already set on line {}", first_line) : std::string()};
}

Phrase ParamWording::missing(const std::string& key, const std::string& where) const {
  return {fmt::format("fault '{}' needs parameter '{}'", where, key),
          fmt::format("add it under params:, e.g. params: {{ {}: ... }}", key)};
}

Phrase ParamWording::not_map(const SourceNode& /*node*/, const std::string& what) const {
  return {fmt::format("params of fault '{}' must be a map", what), "write e.g. params: { name: value }"};
}

Phrase ParamWording::not_single(const SourceNode& /*node*/, const std::string& what) const {
  return {fmt::format("parameter '{}' must be a single value", what), {}};
}

Phrase ParamWording::not_whole_number(const std::string& what, const std::string& text) const {
  return {fmt::format("parameter '{}' must be a whole number, not '{}'", what, text), {}};
}

Phrase ParamWording::integer_out_of_range(const std::string& what, int64_t value, int64_t min,
                                          int64_t max) const {
  return {fmt::format("parameter '{}' is {}, outside {}..{}", what, value, min, max), {}};
}

Phrase ParamWording::not_number(const std::string& what, const std::string& text) const {
  return {fmt::format("parameter '{}' must be a number, not '{}'", what, text), {}};
}

Phrase ParamWording::number_out_of_range(const std::string& what, const std::string& text, double min,
                                         double max) const {
  return {fmt::format("parameter '{}' is {}, outside {}..{}", what, text, min, max), {}};
}

Phrase ParamWording::not_duration(const std::string& what, const std::string& text) const {
  return {fmt::format("parameter '{}' must be a duration, not '{}'", what, text),
          "write it with a unit, e.g. 100ms, 1.5s, 2m"};
}

Phrase ParamWording::duration_out_of_range(const std::string& what, const std::string& text,
                                           Duration /*value*/, Duration min, Duration max) const {
  return {fmt::format("parameter '{}' is {}, outside {}..{}", what, text, format_duration(min),
                      format_duration(max)),
          {}};
}

Phrase ParamWording::not_percent(const std::string& what, const std::string& text) const {
  return {fmt::format("parameter '{}' must be a percentage from 0% to 100%, not '{}'", what, text),
          "write it with a % sign, e.g. 20%"};
}

Phrase ParamWording::not_boolean(const std::string& what, const std::string& text) const {
  return {fmt::format("parameter '{}' must be true or false, not '{}'", what, text), {}};
}

Phrase ParamWording::not_choice(const std::string& what, const std::string& text,
                                const std::vector<std::string>& choices) const {
  const auto near = experiment::nearest(text, choices);
  return {fmt::format("parameter '{}' cannot be '{}'", what, text),
          near.empty() ? fmt::format("choose one of: {}", fmt::join(choices, ", "))
                       : fmt::format("did you mean '{}'?", near)};
}

Phrase ParamWording::not_one_or_list(const SourceNode& /*node*/, const std::string& what) const {
  return {fmt::format("parameter '{}' must be a name or a list of names", what), {}};
}

Phrase ParamWording::not_single_item(const SourceNode& /*item*/, const std::string& what) const {
  return {fmt::format("parameter '{}' must be a list of names", what), {}};
}

}  // namespace faultline::faults
