#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "faults/registry.h"
#include "harness/experiment/loader.h"
#include "harness/runner/abort_rule.h"
#include "harness/verify/verdict.h"

namespace faultline::runner {

// An experiment that passed every check: structure (loader), fault names and
// parameters (fault registry) and SLO expressions (grammar). Holds the bound
// fault instances, ready to run.
struct ValidatedExperiment {
  experiment::Experiment exp;
  std::vector<faults::BoundFault> faults;
  std::vector<verify::NamedObjective> objectives;
  std::vector<AbortRule> abort_rules;  // slo.abort_when, in file order
  // Per service run from the team's own config: what faultline changes in
  // the copy it runs, one line each with its reason.
  std::vector<std::pair<std::string, std::vector<std::string>>> config_changes;
};

// The request names the objectives and abort conditions filter on
// ({name:...}), each once: the windows are broken down by these.
std::vector<std::string> filtered_requests(const ValidatedExperiment& v);
std::vector<std::string> filtered_requests(const std::vector<verify::NamedObjective>& objectives,
                                           const std::vector<AbortRule>& rules);

struct ValidateOptions {
  // `faultline run --allow-external`: the bound faults may reach the
  // experiment's stack.external_targets when they are injected; validation
  // accepts listed targets either way.
  bool allow_external = false;
  // Faults' own checks before the run (Fault::check_before_run: an
  // lb_config fragment through `haproxy -c` / `nginx -t`). Off only for a
  // test that wants a rejected fragment to reach inject().
  bool check_faults_before_run = true;
};

// Loads and checks everything; every problem goes to `diags`. Returns nullopt
// when there was any error. Warnings (diags.has_warnings(): a load too short
// after the last revert to judge recovery, a fault check this machine cannot
// make) leave the experiment valid; the caller prints them.
std::optional<ValidatedExperiment> validate(const std::string& path,
                                            const std::vector<experiment::Override>& overrides,
                                            experiment::Diagnostics& diags, const ValidateOptions& options);
std::optional<ValidatedExperiment> validate(const std::string& path,
                                            const std::vector<experiment::Override>& overrides,
                                            experiment::Diagnostics& diags, bool allow_external = false);

// Why a run of `v` must not start: it names external targets and the user
// did not pass --allow-external. One line per target plus the fix; empty
// when the run may go ahead.
std::string external_targets_refusal(const ValidatedExperiment& v, bool allow_external);

// "name (address)" for each external target, comma-separated.
std::string describe_external_targets(const experiment::Stack& stack);

}  // namespace faultline::runner
