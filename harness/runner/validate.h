#pragma once

#include <optional>
#include <string>
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
};

// Loads and checks everything; every problem goes to `diags`. Returns nullopt
// when there was any.
std::optional<ValidatedExperiment> validate(const std::string& path,
                                            const std::vector<experiment::Override>& overrides,
                                            experiment::Diagnostics& diags);

}  // namespace faultline::runner
