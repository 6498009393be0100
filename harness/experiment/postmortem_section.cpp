#include <array>
#include <utility>

#include "harness/experiment/sections.h"

namespace faultline::experiment {

namespace {

const std::vector<std::string> kPostmortemKeys = {"service", "timezone", "detection", "root_cause",
                                                  "corrective_actions"};

}  // namespace

void read_postmortem(const SourceEntry& section, FieldReader& r, Postmortem& postmortem) {
  const SourceNode& node = section.value;
  if (!r.expect_map(node, "postmortem")) {
    return;
  }
  r.check_keys(node, kPostmortemKeys, "postmortem");
  const std::array<std::pair<const char*, std::string*>, 3> texts = {{
      {"service", &postmortem.service},
      {"detection", &postmortem.detection},
      {"root_cause", &postmortem.root_cause},
  }};
  for (const auto& [key, target] : texts) {
    if (const SourceNode* value = node.find(key)) {
      if (auto text = r.text(*value, key)) {
        *target = *text;
      }
    }
  }
  if (const SourceNode* tz = node.find("timezone")) {
    if (auto text = r.non_empty_text(*tz, "timezone")) {
      postmortem.timezone = *text;
    }
  }
  if (const SourceNode* actions = node.find("corrective_actions")) {
    if (auto list = r.text_list(*actions, "corrective_actions")) {
      postmortem.corrective_actions = *list;
    }
  }
}

}  // namespace faultline::experiment
