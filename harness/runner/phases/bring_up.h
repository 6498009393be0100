#pragma once

#include <memory>
#include <optional>
#include <string>

#include "harness/runner/phases/run_context.h"
#include "harness/stack/runtime.h"

namespace faultline::runner {

// A stack that is up, with what it takes to put it away again.
struct StackInUse {
  stack::StackRuntime* runtime = nullptr;
  stack::RunIdentity identity;
  std::unique_ptr<stack::RunningStack> stack;
};

// Registers the run with the runtime (`given`, or else the one the
// experiment's stack.runtime names) and brings the stack up; the record
// gets the run id and the plan. nullopt when any of it failed: the record
// says why (failed, stage "bring-up"), and nothing is left behind, because
// bring_up removes what it made and the run is released here.
std::optional<StackInUse> bring_up(RunContext& run, stack::StackRuntime* given,
                                   const std::string& registry_dir);

}  // namespace faultline::runner
