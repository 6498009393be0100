#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace faultline::runner {

// The short text printed at the end of a run: one row per phase (requests,
// errors, p99, backend shares), the objectives, the verdict.
std::string render_summary(const nlohmann::ordered_json& journal);

}  // namespace faultline::runner
