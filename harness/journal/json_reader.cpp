#include "harness/journal/json_reader.h"

#include <limits>

#include "harness/journal/number_cast.h"

namespace faultline::journal {

const json* JsonReader::at(const char* key) const {
  if (j_ == nullptr) {
    return nullptr;
  }
  const auto it = j_->find(key);
  return it == j_->end() ? nullptr : &*it;
}

double JsonReader::number(const char* key, double fallback) const {
  return opt_number(key).value_or(fallback);
}

std::optional<double> JsonReader::opt_number(const char* key) const {
  const json* v = at(key);
  return v != nullptr && v->is_number() ? std::optional<double>(v->get<double>()) : std::nullopt;
}

uint64_t JsonReader::count(const char* key) const {
  return opt_count(key).value_or(0);
}

std::optional<uint64_t> JsonReader::opt_count(const char* key) const {
  const json* v = at(key);
  return v != nullptr && v->is_number() ? std::optional<uint64_t>(journal_count(*v)) : std::nullopt;
}

int64_t JsonReader::integer(const char* key, int64_t fallback) const {
  return opt_integer(key).value_or(fallback);
}

std::optional<int64_t> JsonReader::opt_integer(const char* key) const {
  const json* v = at(key);
  if (v == nullptr || !v->is_number()) {
    return std::nullopt;
  }
  if (v->is_number_integer()) {
    // A uint64_t beyond int64_t reads as unsigned: saturate it too.
    if (v->is_number_unsigned()) {
      const auto u = v->get<uint64_t>();
      return u <= uint64_t(std::numeric_limits<int64_t>::max()) ? int64_t(u)
                                                                : std::numeric_limits<int64_t>::max();
    }
    return v->get<int64_t>();
  }
  return saturating_i64(v->get<double>());
}

std::string JsonReader::text(const char* key) const {
  return opt_text(key).value_or(std::string());
}

std::optional<std::string> JsonReader::opt_text(const char* key) const {
  const json* v = at(key);
  return v != nullptr && v->is_string() ? std::optional<std::string>(v->get<std::string>()) : std::nullopt;
}

bool JsonReader::flag(const char* key, bool fallback) const {
  return opt_flag(key).value_or(fallback);
}

std::optional<bool> JsonReader::opt_flag(const char* key) const {
  const json* v = at(key);
  return v != nullptr && v->is_boolean() ? std::optional<bool>(v->get<bool>()) : std::nullopt;
}

std::vector<std::string> JsonReader::texts(const char* key) const {
  std::vector<std::string> out;
  const json* a = at(key);
  if (a != nullptr && a->is_array()) {
    for (const auto& item : *a) {
      if (item.is_string()) {
        out.push_back(item.get<std::string>());
      }
    }
  }
  return out;
}

Counts JsonReader::counts(const char* key) const {
  Counts out;
  const json* o = at(key);
  if (o != nullptr && o->is_object()) {
    for (const auto& [name, value] : o->items()) {
      if (value.is_number()) {
        out.emplace_back(name, journal_count(value));
      }
    }
  }
  return out;
}

json JsonReader::raw(const char* key) const {
  const json* v = at(key);
  return v != nullptr ? *v : json(nullptr);
}

JsonReader JsonReader::object(const char* key) const {
  const json* v = at(key);
  static const json empty = json::object();
  return JsonReader(v != nullptr ? *v : empty);
}

bool JsonReader::has_object(const char* key) const {
  const json* v = at(key);
  return v != nullptr && v->is_object();
}

}  // namespace faultline::journal
