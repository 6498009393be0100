#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace faultline::load {

// Interns the backend names read from responses into small indices, so a
// Sample carries a uint16_t instead of a string. Index 0 is "" (unknown or
// absent). Looking up a name already seen allocates nothing.
class BackendNames {
 public:
  BackendNames();

  // The index of `name`, adding it on first sight. "" maps to 0, and so does
  // any new name once 65535 distinct names have been seen: a header that
  // varies per request is not a backend identity, and counting it as unknown
  // keeps the sample small.
  uint16_t intern(std::string_view name);

  const std::vector<std::string>& names() const { return names_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  std::vector<std::string> names_;
  std::unordered_map<std::string, uint16_t, Hash, std::equal_to<>> index_;
};

}  // namespace faultline::load
