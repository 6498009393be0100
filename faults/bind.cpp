#include <fmt/format.h>

#include <algorithm>

#include "faults/registry.h"

namespace faultline::faults {

std::vector<BoundFault> bind_method(const experiment::Experiment& exp, experiment::Diagnostics& diags) {
  std::vector<BoundFault> bound;
  const auto& registry = Registry::instance();
  for (const auto& step : exp.method) {
    if (step.is_note()) {
      continue;
    }
    const FaultType* type = registry.find(step.fault);
    if (type == nullptr) {
      const auto near = experiment::nearest(step.fault, registry.names());
      diags.error(step.fault_pos, fmt::format("unknown fault '{}'", step.fault),
                  near.empty() ? "run 'faultline faults' for the list of fault types"
                               : fmt::format("did you mean '{}'?", near));
      continue;
    }
    const auto* target = exp.stack.find(step.target);
    if (target == nullptr) {
      continue;  // the loader has already reported the unknown target
    }
    const auto& kinds = type->needs.target_kinds;
    if (!kinds.empty() && std::find(kinds.begin(), kinds.end(), target->kind) == kinds.end()) {
      std::vector<std::string> names;
      for (auto k : kinds) {
        names.push_back(experiment::to_string(k));
      }
      diags.error(step.target_pos,
                  fmt::format("fault '{}' cannot target {} (kind {})", step.fault, step.target,
                              experiment::to_string(target->kind)),
                  fmt::format("'{}' works on services of kind: {}", step.fault, fmt::join(names, ", ")));
      continue;
    }
    auto fault = type->parse(step, exp, diags);
    if (fault) {
      bound.push_back(BoundFault{&step, type, std::move(fault)});
    }
  }
  return bound;
}

}  // namespace faultline::faults
