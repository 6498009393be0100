#pragma once

#include <string>
#include <vector>

#include "faults/fault.h"

namespace faultline::faults {

// The catalogue of fault types as `faultline faults` prints it, from what
// each type declares (its summary, needs and parameter table).

// One type: its summary, target, needs and a two-line entry per parameter.
std::string catalogue_text(const FaultType& type);

// All of `types` as Markdown: docs/FAULTS.md is this for every registered
// type (a test compares the two).
std::string catalogue_markdown(const std::vector<const FaultType*>& types);

}  // namespace faultline::faults
