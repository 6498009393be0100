#pragma once

#include <algorithm>
#include <chrono>
#include <string>

#include "harness/experiment/model.h"

// Small helpers shared by the config renderers (not part of the API).
namespace faultline::stack::detail {

// Whole milliseconds, at least 1: both HAProxy and nginx read "<n>ms", and
// a zero would mean "no timeout" to some directives.
inline std::string ms(Duration d) {
  const auto n = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return std::to_string(std::max<long long>(n, 1)) + "ms";
}

inline int weight_of(const experiment::Service& lb, const std::string& backend) {
  auto it = lb.weights.find(backend);
  return it == lb.weights.end() ? 1 : it->second;
}

}  // namespace faultline::stack::detail
