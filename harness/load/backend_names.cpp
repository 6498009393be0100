#include "harness/load/backend_names.h"

#include <limits>

namespace faultline::load {

BackendNames::BackendNames() : names_{""} {}

uint16_t BackendNames::intern(std::string_view name) {
  if (name.empty()) {
    return 0;
  }
  if (auto it = index_.find(name); it != index_.end()) {
    return it->second;
  }
  if (names_.size() > std::numeric_limits<uint16_t>::max()) {
    return 0;
  }
  const auto index = static_cast<uint16_t>(names_.size());
  names_.emplace_back(name);
  index_.emplace(names_.back(), index);
  return index;
}

}  // namespace faultline::load
