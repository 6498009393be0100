#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace faultline::reporters {

// Renders a Mustache template with a JSON view. `builtin_name` names a
// template compiled into the binary (reporters/templates/); a non-empty
// `template_path` replaces it with a file of the user's. `escape_html`
// selects HTML escaping of {{values}} (off for Markdown).
std::string render_mustache(const std::string& builtin_name, const std::string& template_path,
                            const nlohmann::ordered_json& view, bool escape_html);

}  // namespace faultline::reporters
