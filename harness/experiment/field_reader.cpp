#include "harness/experiment/field_reader.h"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace faultline::experiment {

void FieldReader::report(const SourcePos& pos, Phrase phrase) {
  diags_.error(pos, std::move(phrase.message), std::move(phrase.hint));
  ok_ = false;
}

void FieldReader::check_keys(const SourceNode& map, const std::vector<std::string>& known,
                             const std::string& where) {
  for (size_t i = 0; i < map.entries.size(); ++i) {
    const SourceEntry& entry = map.entries[i];
    if (std::find(known.begin(), known.end(), entry.key) == known.end()) {
      report(entry.key_pos, wording_.unknown_key(entry.key, known, where));
      continue;
    }
    for (size_t j = 0; j < i; ++j) {
      if (map.entries[j].key == entry.key) {
        report(entry.key_pos, wording_.duplicate_key(entry.key, where, map.entries[j].key_pos.line));
        break;
      }
    }
  }
}

bool FieldReader::expect_map(const SourceNode& node, const std::string& what) {
  if (node.is_map() || node.is_null()) {
    return true;
  }
  report(node.pos, wording_.not_map(node, what));
  return false;
}

bool FieldReader::expect_list(const SourceNode& node, const std::string& what) {
  if (node.is_sequence() || node.is_null()) {
    return true;
  }
  report(node.pos, wording_.not_list(node, what));
  return false;
}

void FieldReader::missing(const SourcePos& at, const std::string& key, const std::string& where) {
  report(at, wording_.missing(key, where));
}

bool FieldReader::expect_scalar(const SourceNode& node, const std::string& what) {
  if (node.is_scalar()) {
    return true;
  }
  report(node.pos, wording_.not_single(node, what));
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
    report(node.pos, wording_.empty_text(what));
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
  // A YAML integer may carry a plus sign ("+80"), which from_chars refuses.
  const char* first = s.data();
  if (s.size() > 1 && s[0] == '+' && s[1] >= '0' && s[1] <= '9') {
    ++first;
  }
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(first, s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) {
    report(node.pos, wording_.not_whole_number(what, s));
    return std::nullopt;
  }
  if (value < min || value > max) {
    report(node.pos, wording_.integer_out_of_range(what, value, min, max));
    return std::nullopt;
  }
  return value;
}

std::optional<double> FieldReader::number(const SourceNode& node, const std::string& what, double min,
                                          double max) {
  if (!expect_scalar(node, what)) {
    return std::nullopt;
  }
  const std::string& s = node.scalar;
  double value = 0;
  try {
    size_t used = 0;
    value = std::stod(s, &used);
    if (used != s.size()) {
      throw std::invalid_argument("trailing text");
    }
  } catch (const std::exception&) {
    report(node.pos, wording_.not_number(what, s));
    return std::nullopt;
  }
  if (value < min || value > max) {
    report(node.pos, wording_.number_out_of_range(what, s, min, max));
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
  report(node.pos, wording_.not_boolean(what, node.scalar));
  return std::nullopt;
}

std::optional<Duration> FieldReader::duration(const SourceNode& node, const std::string& what, Duration min,
                                              bool positive) {
  return read_duration(node, what, min, Duration::max(), positive);
}

std::optional<Duration> FieldReader::duration_within(const SourceNode& node, const std::string& what,
                                                     Duration min, Duration max) {
  return read_duration(node, what, min, max, false);
}

std::optional<Duration> FieldReader::read_duration(const SourceNode& node, const std::string& what,
                                                   Duration min, Duration max, bool positive) {
  if (!expect_scalar(node, what)) {
    return std::nullopt;
  }
  const auto value = parse_duration(node.scalar);
  if (!value) {
    report(node.pos, wording_.not_duration(what, node.scalar));
    return std::nullopt;
  }
  if (positive && value->count() == 0) {
    report(node.pos, wording_.zero_duration(what));
    return std::nullopt;
  }
  if (*value < min || *value > max) {
    report(node.pos, wording_.duration_out_of_range(what, node.scalar, *value, min, max));
    return std::nullopt;
  }
  return value;
}

std::optional<double> FieldReader::percent(const SourceNode& node, const std::string& what) {
  if (!expect_scalar(node, what)) {
    return std::nullopt;
  }
  const auto value = parse_percent(node.scalar);
  if (!value || *value < 0 || *value > 1) {
    report(node.pos, wording_.not_percent(what, node.scalar));
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
    report(node.pos, wording_.not_rate(what, node.scalar));
    return std::nullopt;
  }
  if (*value <= 0) {
    report(node.pos, wording_.zero_rate(what));
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
    report(node.pos, wording_.not_choice(what, *value, choices));
    return std::nullopt;
  }
  return value;
}

std::optional<std::vector<std::string>> FieldReader::items(const SourceNode& node, const std::string& what) {
  std::vector<std::string> out;
  bool ok = true;
  for (const auto& item : node.items) {
    if (item.is_scalar()) {
      out.push_back(item.scalar);
    } else {
      report(item.pos, wording_.not_single_item(item, what));
      ok = false;
    }
  }
  if (!ok) {
    return std::nullopt;
  }
  return out;
}

std::optional<std::vector<std::string>> FieldReader::text_list(const SourceNode& node,
                                                               const std::string& what) {
  if (!expect_list(node, what)) {
    return std::nullopt;
  }
  return items(node, what);
}

std::optional<std::vector<std::string>> FieldReader::one_or_list(const SourceNode& node,
                                                                 const std::string& what) {
  if (node.is_scalar()) {
    return std::vector<std::string>{node.scalar};
  }
  if (!node.is_sequence()) {
    report(node.pos, wording_.not_one_or_list(node, what));
    return std::nullopt;
  }
  return items(node, what);
}

}  // namespace faultline::experiment
