#pragma once

#include <string>
#include <vector>

#include "faults/common/params.h"
#include "harness/common/result.h"
#include "harness/experiment/blast_radius.h"
#include "harness/stack/stack.h"

// The blast-radius check as faults use it: every parameter that names an
// address (lb_wrong_backend's `address`, addresses inside lb_config's
// fragment) goes through these two, so one rule holds for all of them.
// See harness/experiment/blast_radius.h for the rule itself.
namespace faultline::faults {

// Validation: reports a refused or invalid `address` at parameter `name`
// (`what` names it in the message: "address", "the fragment's address").
// True when it is acceptable.
bool check_address_param(ParamReader& params, const std::string& name, const std::string& what,
                         const experiment::Experiment& exp, const std::string& address);

// The external targets a fault bound for `exp` may reach when injected:
// the listed ones when the run allows them, none otherwise.
std::vector<experiment::ExternalTarget> reachable_external(const experiment::Experiment& exp);

// Inject time: `address` must be in the running stack's subnet, loopback or
// one of `external` (from reachable_external at parse time).
Status check_address_at_inject(const stack::RunningStack& stack, const std::string& address,
                               const std::vector<experiment::ExternalTarget>& external);

// Every dotted-quad address written in `text` (a config fragment), except
// 0.0.0.0 (a listening wildcard, not a destination).
std::vector<std::string> addresses_in(const std::string& text);

}  // namespace faultline::faults
