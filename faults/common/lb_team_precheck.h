#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/common/result.h"
#include "harness/experiment/model.h"

// Checking an lb_config fragment for a load balancer run from a team's own
// config before any run (`faultline validate`): the copy a run would make
// of the team's file (harness/stack/own_config.h) is made in a scratch
// folder, the fragment goes into the section the step names, and the
// server's check mode reads the result as the run's server would: from the
// copy's folder, with the stack's service names resolving in a private
// /etc/hosts, which takes root.
namespace faultline::faults {

// One complaint of the check: on a line of the fragment, or elsewhere
// (then named at the team's file and line).
struct TeamFragmentComplaint {
  std::optional<size_t> fragment_line;  // 1-based, in the fragment
  std::string text;
};

struct TeamFragmentCheck {
  std::string checker;  // "haproxy -c" or "nginx -t"
  bool passed = false;
  std::vector<TeamFragmentComplaint> complaints;
};

// The check of `fragment` in `selector` (a selector team_section gave) of
// `lb`'s team config; an error says why it could not be made (no root, the
// server not installed).
Result<TeamFragmentCheck> check_team_fragment(const experiment::Experiment& exp,
                                              const experiment::Service& lb, const std::string& selector,
                                              const std::string& fragment);

}  // namespace faultline::faults
