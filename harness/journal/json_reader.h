#pragma once

// Reads one JSON object of a journal field by field, never throwing: a
// value that is missing or of another type reads as the default (or
// nullopt). Any value that is not an object reads as an empty object, so a
// journal with a whole section broken still reads, with that section empty.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/journal/journal.h"

namespace faultline::journal {

class JsonReader {
 public:
  explicit JsonReader(const json& j) : j_(j.is_object() ? &j : nullptr) {}

  // The value at `key`, or null when absent.
  const json* at(const char* key) const;

  double number(const char* key, double fallback = 0) const;
  std::optional<double> opt_number(const char* key) const;
  // A count (requests, answers): integers exactly, negatives as 0, doubles
  // saturated (number_cast.h).
  uint64_t count(const char* key) const;
  std::optional<uint64_t> opt_count(const char* key) const;
  // A signed setting (a port, a weight): saturated the same way.
  int64_t integer(const char* key, int64_t fallback = 0) const;
  std::optional<int64_t> opt_integer(const char* key) const;
  std::string text(const char* key) const;
  std::optional<std::string> opt_text(const char* key) const;
  bool flag(const char* key, bool fallback = false) const;
  std::optional<bool> opt_flag(const char* key) const;
  // The strings of an array; other elements are left out.
  std::vector<std::string> texts(const char* key) const;
  // An object of counts, in the journal's order; non-numbers left out.
  Counts counts(const char* key) const;
  // The value as written (null when absent), for the free-form fields.
  json raw(const char* key) const;

  // A nested object (empty when absent or not an object).
  JsonReader object(const char* key) const;
  bool has_object(const char* key) const;

  // Each element of an array read by `read` (elements of any type are
  // passed on: the reader decides what an odd one is worth).
  template <class T, class Read>
  std::vector<T> list(const char* key, Read read) const {
    std::vector<T> out;
    const json* a = at(key);
    if (a != nullptr && a->is_array()) {
      out.reserve(a->size());
      for (const auto& item : *a) {
        out.push_back(read(item));
      }
    }
    return out;
  }

 private:
  const json* j_;
};

}  // namespace faultline::journal
