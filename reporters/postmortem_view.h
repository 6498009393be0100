#pragma once

#include <nlohmann/json.hpp>

namespace faultline::reporters {

// The postmortem's content, worked out from the journal: sentences and
// figures ready to drop into a template (Markdown or HTML), so templates
// hold layout and wording only, never arithmetic. Every figure comes from
// the journal; nothing is invented.
nlohmann::ordered_json postmortem_view(const nlohmann::ordered_json& journal);

}  // namespace faultline::reporters
