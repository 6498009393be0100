#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/experiment/diagnostics.h"
#include "harness/experiment/model.h"

namespace faultline::experiment {

// One `--set path=value` override, e.g. `stack.services.lb.retries=3`.
struct Override {
  std::string path;
  std::string value;
};

// Parses "path=value"; nullopt when there is no '=' or the path is empty.
std::optional<Override> parse_override(const std::string& text);

// Loads and validates an experiment file. Every problem is added to `diags`
// (all of them, not just the first); the returned experiment is meaningful
// only when `diags.has_errors()` is false. Fault parameters are not checked
// here: each fault type checks its own (see faults/registry.h).
Experiment load_file(const std::string& path, const std::vector<Override>& overrides, Diagnostics& diags);

// Same, from text (tests). `name` is used as the file name in diagnostics.
Experiment load_string(const std::string& yaml, const std::string& name,
                       const std::vector<Override>& overrides, Diagnostics& diags);

}  // namespace faultline::experiment
