#include <array>
#include <utility>

#include "harness/experiment/sections.h"

namespace faultline::experiment {

namespace {

const std::vector<std::string> kPostmortemKeys = {"service", "timezone", "detection", "root_cause",
                                                  "corrective_actions"};

const std::vector<std::string> kActionKeys = {"action", "type", "priority", "owner"};
const std::vector<std::string> kActionTypes = {"prevent", "mitigate", "detect", "process"};

// Each item is a text, or a map {action, type, priority, owner} for the
// Action Items table's columns; only `action` is required.
void read_corrective_actions(const SourceNode& list, FieldReader& r, std::vector<CorrectiveAction>& out) {
  if (!r.expect_list(list, "corrective_actions")) {
    return;
  }
  for (const SourceNode& item : list.items) {
    CorrectiveAction a;
    if (!item.is_map()) {
      if (auto text = r.non_empty_text(item, "a corrective action")) {
        a.action = *text;
        out.push_back(a);
      }
      continue;
    }
    r.check_keys(item, kActionKeys, "a corrective action");
    const SourceNode* action = item.find("action");
    if (action == nullptr) {
      r.missing(item.pos, "action", "a corrective action");
      continue;
    }
    auto text = r.non_empty_text(*action, "action");
    if (!text) {
      continue;
    }
    a.action = *text;
    if (const SourceNode* type = item.find("type")) {
      if (auto t = r.choice(*type, "type", kActionTypes)) {
        a.type = *t;
      }
    }
    for (const auto& [key, target] : {std::pair<const char*, std::string*>{"priority", &a.priority},
                                      std::pair<const char*, std::string*>{"owner", &a.owner}}) {
      if (const SourceNode* value = item.find(key)) {
        if (auto t = r.text(*value, key)) {
          *target = *t;
        }
      }
    }
    out.push_back(a);
  }
}

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
    read_corrective_actions(*actions, r, postmortem.corrective_actions);
  }
}

}  // namespace faultline::experiment
