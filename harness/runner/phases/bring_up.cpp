#include "harness/runner/phases/bring_up.h"

#include <fmt/format.h>

#include "harness/runner/preflight.h"

namespace faultline::runner {

std::optional<StackInUse> bring_up(RunContext& run, stack::StackRuntime* given,
                                   const std::string& registry_dir) {
  const auto& exp = run.v.exp;
  // The runtime `stack.runtime` names; a test hands in its own. Validation
  // admits the runtimes the file format knows, and the preflight refuses
  // those not built yet, so a miss here is a caller that skipped it.
  stack::StackRuntime* runtime = given != nullptr ? given : stack::runtime_named(exp.stack.runtime);
  if (runtime == nullptr) {
    run.fail("bring-up", "",
             fmt::format("stack.runtime '{}': {}", exp.stack.runtime, runtime_not_built(exp.stack)));
    return std::nullopt;
  }
  auto identity = runtime->create_run(registry_dir);
  if (!identity) {
    run.fail("bring-up", "", identity.error().message);
    return std::nullopt;
  }
  run.rec.run_id = identity->run_id;

  run.progress.message(
      fmt::format("run {}: bringing up the stack ({} services)", run.rec.run_id, exp.stack.services.size()));
  auto up = runtime->bring_up(exp, *identity, [&](const std::string& m) { run.progress.message(m); });
  if (!up) {
    // bring_up removed whatever it had made before it returned.
    run.fail("bring-up", "", up.error().message);
    runtime->release_run(*identity);
    return std::nullopt;
  }
  StackInUse in_use{runtime, std::move(*identity), std::move(*up)};
  run.rec.plan = in_use.stack->plan();
  for (const auto& svc : in_use.stack->services()) {
    if (!svc.team_config.empty()) {
      run.rec.config_changes[svc.planned.name] = svc.config_changes;
    }
  }
  return in_use;
}

}  // namespace faultline::runner
