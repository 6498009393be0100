#pragma once

#include <memory>

#include "faults/common/param_table.h"
#include "faults/common/params.h"
#include "faults/fault.h"
#include "faults/registry.h"

namespace faultline::faults {

// The FaultType of the fault class F, for the one registration line at the
// end of F's file:
//
//   const Registration registration{fault_type<Latency>()};
//
// F declares itself with static members:
//   kName, kSummary    its name in experiments and its one-line summary;
//   needs()            what it needs from the machine and the stack (Needs);
//   Params, params()   its parameters: a struct of std::optional members and
//                      the ParamTable that reads a step's `params:` into it;
//   make(values, params, exp)
//                      the fault, after the checks the table cannot make
//                      (between parameters, against the stack), which it
//                      reports through `params`; null when any failed.
template <class F>
FaultType fault_type() {
  return FaultType{
      .name = F::kName,
      .summary = F::kSummary,
      .params = F::params().docs(),
      .needs = F::needs(),
      .parse = [](const experiment::MethodStep& step, const experiment::Experiment& exp,
                  experiment::Diagnostics& diags) -> std::unique_ptr<Fault> {
        const auto& table = F::params();
        ParamReader params(step, F::kName, table.names(), diags);
        const typename F::Params values = table.read(params);
        auto fault = F::make(values, params, exp);
        // Bound only from parameters without a problem, whatever make() did.
        if (!params.ok()) {
          return nullptr;
        }
        return fault;
      },
  };
}

}  // namespace faultline::faults
