#include "faults/registry.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace faultline::faults {

Registry& Registry::instance() {
  static Registry registry;
  return registry;
}

void Registry::add(FaultType type) {
  if (find(type.name) != nullptr) {
    std::fprintf(stderr, "faultline: fault type '%s' registered twice\n", type.name.c_str());
    std::abort();
  }
  types_.push_back(std::move(type));
}

const FaultType* Registry::find(const std::string& name) const {
  for (const auto& t : types_) {
    if (t.name == name) {
      return &t;
    }
  }
  return nullptr;
}

std::vector<const FaultType*> Registry::all() const {
  std::vector<const FaultType*> out;
  for (const auto& t : types_) {
    out.push_back(&t);
  }
  std::sort(out.begin(), out.end(), [](const FaultType* a, const FaultType* b) { return a->name < b->name; });
  return out;
}

std::vector<std::string> Registry::names() const {
  std::vector<std::string> out;
  for (const auto* t : all()) {
    out.push_back(t->name);
  }
  return out;
}

}  // namespace faultline::faults
