#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "reporters/journal_file.h"

namespace faultline::reporters {

// The comparison of two runs, typically an incident drill (`expect: breach`)
// and its fixed variant (`expect: hold`): per-run facts (numbers, null when
// the journal has none) under "before"/"after", and the same facts as ready
// table rows for the template, so the template holds no arithmetic. Every
// figure comes from the two journals.
nlohmann::ordered_json compare_view(const nlohmann::ordered_json& before, const nlohmann::ordered_json& after,
                                    const std::string& before_file = "", const std::string& after_file = "");

// The comparison as Markdown (built-in compare.md.mustache, or the template
// at `template_path` when not empty).
std::string render_compare_md(const nlohmann::ordered_json& view, const std::string& template_path = "");

}  // namespace faultline::reporters
