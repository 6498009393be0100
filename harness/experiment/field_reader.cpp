#include "harness/experiment/field_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

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

void FieldReader::check_keys(const SourceNode& map, const std::vector<std::string>& known,
                             const std::string& where) {
  const std::string in = where.empty() ? "at the top level" : "in " + where;
  for (size_t i = 0; i < map.entries.size(); ++i) {
    const SourceEntry& entry = map.entries[i];
    if (std::find(known.begin(), known.end(), entry.key) == known.end()) {
      diags_.error(entry.key_pos, fmt::format("unknown key '{}' {}", entry.key, in),
                   suggestion(entry.key, known, "known keys are"));
      continue;
    }
    for (size_t j = 0; j < i; ++j) {
      if (map.entries[j].key == entry.key) {
        diags_.error(entry.key_pos, fmt::format("duplicate key '{}' {}", entry.key, in),
                     map.entries[j].key_pos.line > 0
                         ? fmt::format("it is already set on line {}", map.entries[j].key_pos.line)
                         : std::string());
        break;
      }
    }
  }
}

bool FieldReader::expect_map(const SourceNode& node, const std::string& what) {
  if (node.is_map() || node.is_null()) {
    return true;
  }
  diags_.error(node.pos, fmt::format("'{}' must be a map of keys, not {}", what, describe(node)));
  return false;
}

bool FieldReader::expect_list(const SourceNode& node, const std::string& what) {
  if (node.is_sequence() || node.is_null()) {
    return true;
  }
  diags_.error(node.pos, fmt::format("'{}' must be a list, not {}", what, describe(node)),
               "write a list as [a, b] or as lines starting with '- '");
  return false;
}

void FieldReader::missing(const SourcePos& at, const std::string& key, const std::string& where) {
  diags_.error(at, where.empty() ? fmt::format("missing required key '{}'", key)
                                 : fmt::format("missing required key '{}' in {}", key, where));
}

bool FieldReader::expect_scalar(const SourceNode& node, const std::string& what) {
  if (node.is_scalar()) {
    return true;
  }
  if (node.is_null()) {
    diags_.error(node.pos, fmt::format("'{}' has no value", what));
  } else {
    diags_.error(node.pos, fmt::format("'{}' must be a single value, not {}", what, describe(node)));
  }
  return false;
}

std::optional<std::string> FieldReader::text(const SourceNode& node, const std::string& what) {
  if (!expect_scalar(node, what)) {
    return std::nullopt;
  }
  return node.scalar;
}

std::optional<std::string> FieldReader::non_empty_text(const SourceNode& node, const std::string& what) {
  auto value = text(node, what);
  if (value && value->find_first_not_of(" \t\n") == std::string::npos) {
    diags_.error(node.pos, fmt::format("'{}' must not be empty", what));
    return std::nullopt;
  }
  return value;
}

std::optional<int64_t> FieldReader::integer(const SourceNode& node, const std::string& what, int64_t min,
                                            int64_t max) {
  if (!expect_scalar(node, what)) {
    return std::nullopt;
  }
  const std::string& s = node.scalar;
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) {
    diags_.error(node.pos, fmt::format("'{}' must be a whole number, not '{}'", what, s));
    return std::nullopt;
  }
  if (value < min || value > max) {
    if (max == std::numeric_limits<int>::max()) {
      diags_.error(node.pos, fmt::format("'{}' must be at least {}, not {}", what, min, value));
    } else {
      diags_.error(node.pos, fmt::format("'{}' must be between {} and {}, not {}", what, min, max, value));
    }
    return std::nullopt;
  }
  return value;
}

std::optional<bool> FieldReader::boolean(const SourceNode& node, const std::string& what) {
  if (!expect_scalar(node, what)) {
    return std::nullopt;
  }
  // The YAML 1.2 spellings only: `yes`/`no`/`on` are the classic source of
  // surprises ("Norway problem"), and the format is new enough to be strict.
  static const std::vector<std::string> kTrue = {"true", "True", "TRUE"};
  static const std::vector<std::string> kFalse = {"false", "False", "FALSE"};
  if (std::find(kTrue.begin(), kTrue.end(), node.scalar) != kTrue.end()) {
    return true;
  }
  if (std::find(kFalse.begin(), kFalse.end(), node.scalar) != kFalse.end()) {
    return false;
  }
  diags_.error(node.pos, fmt::format("'{}' must be true or false, not '{}'", what, node.scalar));
  return std::nullopt;
}

std::optional<Duration> FieldReader::duration(const SourceNode& node, const std::string& what, Duration min,
                                              bool positive) {
  if (!expect_scalar(node, what)) {
    return std::nullopt;
  }
  const auto value = parse_duration(node.scalar);
  if (!value) {
    diags_.error(node.pos, fmt::format("'{}' must be a duration, not '{}'", what, node.scalar),
                 is_bare_number(node.scalar)
                     ? fmt::format("a unit is required, e.g. {0}s or {0}ms", node.scalar)
                     : std::string(kDurationHint));
    return std::nullopt;
  }
  if (positive && value->count() == 0) {
    diags_.error(node.pos, fmt::format("'{}' must be longer than 0s", what));
    return std::nullopt;
  }
  if (*value < min) {
    diags_.error(node.pos, fmt::format("'{}' must be at least {}, not {}", what, format_duration(min),
                                       format_duration(*value)));
    return std::nullopt;
  }
  return value;
}

std::optional<double> FieldReader::rate(const SourceNode& node, const std::string& what) {
  if (!expect_scalar(node, what)) {
    return std::nullopt;
  }
  const auto value = parse_rate(node.scalar);
  if (!value) {
    diags_.error(node.pos, fmt::format("'{}' must be a rate, not '{}'", what, node.scalar),
                 is_bare_number(node.scalar)
                     ? fmt::format("a time unit is required, e.g. {}/s", node.scalar)
                     : std::string("expected requests per time unit, e.g. 600/s, 30/m, 1.5k/s"));
    return std::nullopt;
  }
  if (*value <= 0) {
    diags_.error(node.pos, fmt::format("'{}' must be more than 0/s", what));
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> FieldReader::choice(const SourceNode& node, const std::string& what,
                                               const std::vector<std::string>& choices) {
  auto value = text(node, what);
  if (!value) {
    return std::nullopt;
  }
  if (std::find(choices.begin(), choices.end(), *value) == choices.end()) {
    diags_.error(node.pos, fmt::format("unknown {} '{}'", what, *value), suggestion(*value, choices));
    return std::nullopt;
  }
  return value;
}

std::optional<std::vector<std::string>> FieldReader::text_list(const SourceNode& node,
                                                               const std::string& what) {
  if (!expect_list(node, what)) {
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (const auto& item : node.items) {
    if (item.is_scalar()) {
      out.push_back(item.scalar);
    } else {
      diags_.error(item.pos,
                   fmt::format("each item of '{}' must be a single value, not {}", what, describe(item)));
      ok = false;
    }
  }
  if (!ok) {
    return std::nullopt;
  }
  return out;
}

}  // namespace faultline::experiment
