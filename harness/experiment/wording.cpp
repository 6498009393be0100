#include "harness/experiment/wording.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace faultline::experiment {

namespace {

constexpr const char* kDurationHint = "expected a duration with a unit, e.g. 250ms, 1s, 2m";

bool is_bare_number(const std::string& text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

}  // namespace

std::string suggestion(const std::string& word, const std::vector<std::string>& known,
                       const std::string& list_intro) {
  const std::string near = nearest(word, known);
  if (!near.empty()) {
    return fmt::format("did you mean '{}'?", near);
  }
  return fmt::format("{}: {}", list_intro, fmt::join(known, ", "));
}

const Wording& Wording::keys() {
  static const Wording wording;
  return wording;
}

Phrase Wording::unknown_key(const std::string& key, const std::vector<std::string>& known,
                            const std::string& where) const {
  const std::string in = where.empty() ? "at the top level" : "in " + where;
  return {fmt::format("unknown key '{}' {}", key, in), suggestion(key, known, "known keys are")};
}

Phrase Wording::duplicate_key(const std::string& key, const std::string& where, int first_line) const {
  const std::string in = where.empty() ? "at the top level" : "in " + where;
  return {fmt::format("duplicate key '{}' {}", key, in),
          first_line > 0 ? fmt::format("it is already set on line {}", first_line) : std::string()};
}

Phrase Wording::missing(const std::string& key, const std::string& where) const {
  return {where.empty() ? fmt::format("missing required key '{}'", key)
                        : fmt::format("missing required key '{}' in {}", key, where),
          {}};
}

Phrase Wording::not_map(const SourceNode& node, const std::string& what) const {
  return {fmt::format("'{}' must be a map of keys, not {}", what, describe(node)), {}};
}

Phrase Wording::not_list(const SourceNode& node, const std::string& what) const {
  return {fmt::format("'{}' must be a list, not {}", what, describe(node)),
          "write a list as [a, b] or as lines starting with '- '"};
}

Phrase Wording::not_single(const SourceNode& node, const std::string& what) const {
  if (node.is_null()) {
    return {fmt::format("'{}' has no value", what), {}};
  }
  return {fmt::format("'{}' must be a single value, not {}", what, describe(node)), {}};
}

Phrase Wording::empty_text(const std::string& what) const {
  return {fmt::format("'{}' must not be empty", what), {}};
}

Phrase Wording::not_whole_number(const std::string& what, const std::string& text) const {
  return {fmt::format("'{}' must be a whole number, not '{}'", what, text), {}};
}

Phrase Wording::integer_out_of_range(const std::string& what, int64_t value, int64_t min, int64_t max) const {
  if (max == std::numeric_limits<int>::max()) {
    return {fmt::format("'{}' must be at least {}, not {}", what, min, value), {}};
  }
  return {fmt::format("'{}' must be between {} and {}, not {}", what, min, max, value), {}};
}

Phrase Wording::not_number(const std::string& what, const std::string& text) const {
  return {fmt::format("'{}' must be a number, not '{}'", what, text), {}};
}

Phrase Wording::number_out_of_range(const std::string& what, const std::string& text, double min,
                                    double max) const {
  return {fmt::format("'{}' must be between {} and {}, not {}", what, min, max, text), {}};
}

Phrase Wording::not_duration(const std::string& what, const std::string& text) const {
  return {fmt::format("'{}' must be a duration, not '{}'", what, text),
          is_bare_number(text) ? fmt::format("a unit is required, e.g. {0}s or {0}ms", text)
                               : std::string(kDurationHint)};
}

Phrase Wording::zero_duration(const std::string& what) const {
  return {fmt::format("'{}' must be longer than 0s", what), {}};
}

Phrase Wording::duration_out_of_range(const std::string& what, const std::string& /*text*/, Duration value,
                                      Duration min, Duration max) const {
  if (max == Duration::max()) {
    return {
        fmt::format("'{}' must be at least {}, not {}", what, format_duration(min), format_duration(value)),
        {}};
  }
  return {fmt::format("'{}' must be between {} and {}, not {}", what, format_duration(min),
                      format_duration(max), format_duration(value)),
          {}};
}

Phrase Wording::not_percent(const std::string& what, const std::string& text) const {
  return {fmt::format("'{}' must be a percentage from 0% to 100%, not '{}'", what, text),
          "write it with a % sign, e.g. 20%"};
}

Phrase Wording::not_rate(const std::string& what, const std::string& text) const {
  return {fmt::format("'{}' must be a rate, not '{}'", what, text),
          is_bare_number(text) ? fmt::format("a time unit is required, e.g. {}/s", text)
                               : std::string("expected requests per time unit, e.g. 600/s, 30/m, 1.5k/s")};
}

Phrase Wording::zero_rate(const std::string& what) const {
  return {fmt::format("'{}' must be more than 0/s", what), {}};
}

Phrase Wording::not_boolean(const std::string& what, const std::string& text) const {
  return {fmt::format("'{}' must be true or false, not '{}'", what, text), {}};
}

Phrase Wording::not_choice(const std::string& what, const std::string& text,
                           const std::vector<std::string>& choices) const {
  return {fmt::format("unknown {} '{}'", what, text), suggestion(text, choices)};
}

Phrase Wording::not_one_or_list(const SourceNode& node, const std::string& what) const {
  return {fmt::format("'{}' must be a single value or a list, not {}", what, describe(node)), {}};
}

Phrase Wording::not_single_item(const SourceNode& item, const std::string& what) const {
  return {fmt::format("each item of '{}' must be a single value, not {}", what, describe(item)), {}};
}

}  // namespace faultline::experiment
