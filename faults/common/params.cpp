#include "faults/common/params.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace faultline::faults {

ParamReader::ParamReader(const experiment::MethodStep& step, const FaultType& type,
                         experiment::Diagnostics& diags)
    : step_(step), type_(type), diags_(diags) {
  const YAML::Node& params = step_.params;
  if (!params || params.IsNull()) {
    return;
  }
  if (!params.IsMap()) {
    diags_.error(params.Mark(), fmt::format("params of fault '{}' must be a map", type_.name),
                 "write e.g. params: { name: value }");
    ok_ = false;
    return;
  }
  std::vector<std::string> known;
  for (const auto& spec : type_.params) {
    known.push_back(spec.name);
  }
  for (const auto& kv : params) {
    const auto key = kv.first.as<std::string>();
    bool found = false;
    for (const auto& k : known) {
      found = found || k == key;
    }
    if (!found) {
      std::string hint;
      const auto near = experiment::nearest(key, known);
      if (!near.empty()) {
        hint = fmt::format("did you mean '{}'?", near);
      } else {
        hint = fmt::format("'{}' takes: {}", type_.name, fmt::join(known, ", "));
      }
      diags_.error(kv.first.Mark(), fmt::format("unknown parameter '{}' for fault '{}'", key, type_.name),
                   hint);
      ok_ = false;
    }
  }
}

std::optional<YAML::Node> ParamReader::find(const std::string& name) const {
  if (!step_.params || !step_.params.IsMap()) {
    return std::nullopt;
  }
  for (const auto& kv : step_.params) {
    if (kv.first.as<std::string>() == name) {
      return kv.second;
    }
  }
  return std::nullopt;
}

void ParamReader::missing(const std::string& name) {
  diags_.error(step_.pos, fmt::format("fault '{}' needs parameter '{}'", type_.name, name),
               fmt::format("add it under params:, e.g. params: {{ {}: ... }}", name));
  ok_ = false;
}

experiment::SourcePos ParamReader::pos_of(const std::string& name) const {
  const auto node = find(name);
  return node ? diags_.pos_of(*node) : step_.pos;
}

void ParamReader::error_at(const std::string& name, std::string message, std::string hint) {
  diags_.error(pos_of(name), std::move(message), std::move(hint));
  ok_ = false;
}

std::optional<std::string> ParamReader::text(const std::string& name, bool required) {
  const auto node = find(name);
  if (!node) {
    if (required) {
      missing(name);
    }
    return std::nullopt;
  }
  if (!node->IsScalar()) {
    error_at(name, fmt::format("parameter '{}' must be a single value", name));
    return std::nullopt;
  }
  return node->Scalar();
}

std::optional<int> ParamReader::integer(const std::string& name, int min, int max, bool required) {
  auto value = text(name, required);
  if (!value) {
    return std::nullopt;
  }
  try {
    size_t used = 0;
    const int n = std::stoi(*value, &used);
    if (used != value->size()) {
      throw std::invalid_argument("trailing text");
    }
    if (n < min || n > max) {
      error_at(name, fmt::format("parameter '{}' is {}, outside {}..{}", name, n, min, max));
      return std::nullopt;
    }
    return n;
  } catch (const std::exception&) {
    error_at(name, fmt::format("parameter '{}' must be a whole number, not '{}'", name, *value));
    return std::nullopt;
  }
}

}  // namespace faultline::faults

namespace faultline::faults {

std::optional<double> ParamReader::number(const std::string& name, double min, double max, bool required) {
  auto value = text(name, required);
  if (!value) {
    return std::nullopt;
  }
  try {
    size_t used = 0;
    const double n = std::stod(*value, &used);
    if (used != value->size()) {
      throw std::invalid_argument("trailing text");
    }
    if (n < min || n > max) {
      error_at(name, fmt::format("parameter '{}' is {}, outside {}..{}", name, *value, min, max));
      return std::nullopt;
    }
    return n;
  } catch (const std::exception&) {
    error_at(name, fmt::format("parameter '{}' must be a number, not '{}'", name, *value));
    return std::nullopt;
  }
}

std::optional<Duration> ParamReader::duration(const std::string& name, Duration min, Duration max,
                                              bool required) {
  auto value = text(name, required);
  if (!value) {
    return std::nullopt;
  }
  const auto d = parse_duration(*value);
  if (!d) {
    error_at(name, fmt::format("parameter '{}' must be a duration, not '{}'", name, *value),
             "write it with a unit, e.g. 100ms, 1.5s, 2m");
    return std::nullopt;
  }
  if (*d < min || *d > max) {
    error_at(name, fmt::format("parameter '{}' is {}, outside {}..{}", name, *value, format_duration(min),
                               format_duration(max)));
    return std::nullopt;
  }
  return d;
}

std::optional<double> ParamReader::percent(const std::string& name, bool required) {
  auto value = text(name, required);
  if (!value) {
    return std::nullopt;
  }
  const auto p = parse_percent(*value);
  if (!p || *p < 0 || *p > 1) {
    error_at(name, fmt::format("parameter '{}' must be a percentage from 0% to 100%, not '{}'", name, *value),
             "write it with a % sign, e.g. 20%");
    return std::nullopt;
  }
  return p;
}

std::optional<bool> ParamReader::boolean(const std::string& name, bool required) {
  auto value = text(name, required);
  if (!value) {
    return std::nullopt;
  }
  if (*value == "true") {
    return true;
  }
  if (*value == "false") {
    return false;
  }
  error_at(name, fmt::format("parameter '{}' must be true or false, not '{}'", name, *value));
  return std::nullopt;
}

std::optional<std::string> ParamReader::choice(const std::string& name,
                                               const std::vector<std::string>& choices, bool required) {
  auto value = text(name, required);
  if (!value) {
    return std::nullopt;
  }
  for (const auto& c : choices) {
    if (c == *value) {
      return value;
    }
  }
  const auto near = experiment::nearest(*value, choices);
  error_at(name, fmt::format("parameter '{}' cannot be '{}'", name, *value),
           near.empty() ? fmt::format("choose one of: {}", fmt::join(choices, ", "))
                        : fmt::format("did you mean '{}'?", near));
  return std::nullopt;
}

std::optional<std::vector<std::string>> ParamReader::text_list(const std::string& name, bool required) {
  const auto node = find(name);
  if (!node) {
    if (required) {
      missing(name);
    }
    return std::nullopt;
  }
  std::vector<std::string> out;
  if (node->IsScalar()) {
    out.push_back(node->Scalar());
    return out;
  }
  if (!node->IsSequence()) {
    error_at(name, fmt::format("parameter '{}' must be a name or a list of names", name));
    return std::nullopt;
  }
  for (const auto& item : *node) {
    if (!item.IsScalar()) {
      error_at(name, fmt::format("parameter '{}' must be a list of names", name));
      return std::nullopt;
    }
    out.push_back(item.Scalar());
  }
  return out;
}

}  // namespace faultline::faults
