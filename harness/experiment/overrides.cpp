#include "harness/experiment/overrides.h"

namespace faultline::experiment {

namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    parts.push_back(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) {
      return parts;
    }
    start = dot + 1;
  }
}

void set_position(SourceNode& node, const SourcePos& pos) {
  node.pos = pos;
  node.changed = true;
  // The value was parsed from the command line, not the file: its marks would
  // point into the file at the wrong place, so nothing of it is reused.
  node.origin = YamlHandle();
  for (auto& item : node.items) {
    set_position(item, pos);
  }
  for (auto& entry : node.entries) {
    entry.key_pos = pos;
    set_position(entry.value, pos);
  }
}

SourceNode* find_value(SourceNode& map, const std::string& key) {
  for (auto& entry : map.entries) {
    if (entry.key == key) {
      return &entry.value;
    }
  }
  return nullptr;
}

}  // namespace

std::optional<Override> parse_override(const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return std::nullopt;
  }
  return Override{text.substr(0, eq), text.substr(eq + 1)};
}

SourcePos override_pos(const Override& setting) {
  return SourcePos{"--set " + setting.path, 0, 0};
}

void apply_override(SourceNode& root, const Override& setting, Diagnostics& diags) {
  const SourcePos where = override_pos(setting);
  const std::vector<std::string> path = split_path(setting.path);
  for (const auto& key : path) {
    if (key.empty()) {
      diags.error(where, "the path has an empty key", "write keys separated by single dots, e.g. load.rate");
      return;
    }
  }

  YAML::Node parsed;
  try {
    parsed = YAML::Load(setting.value);
  } catch (const YAML::Exception& e) {
    diags.error(where, "cannot parse the value '" + setting.value + "': " + e.msg,
                "the value is read as YAML; quote text that contains ': ' or '#'");
    return;
  }
  SourceNode value = to_source_tree(parsed, where.file, diags);
  set_position(value, where);

  // Check the whole path before changing anything, so a bad override leaves
  // the document as it was.
  const SourceNode* probe = &root;
  std::string parent = "the experiment";
  for (const auto& key : path) {
    if (!probe->is_map() && !probe->is_null()) {
      diags.error(where, parent + " is " + describe(*probe) + ", not a map",
                  "--set can only walk through maps");
      return;
    }
    probe = probe->find(key);
    if (probe == nullptr) {
      break;
    }
    parent = "'" + key + "'";
  }

  SourceNode* node = &root;
  for (size_t i = 0; i < path.size(); ++i) {
    if (node->is_null()) {
      node->kind = SourceNode::Kind::map;  // e.g. an empty `postmortem:`
    }
    node->changed = true;
    SourceNode* child = find_value(*node, path[i]);
    const bool last = i + 1 == path.size();
    if (child == nullptr) {
      SourceNode fresh;
      fresh.pos = where;
      fresh.changed = true;
      node->entries.push_back(SourceEntry{path[i], where, last ? value : fresh});
      child = &node->entries.back().value;
    } else if (last) {
      *child = value;
    }
    node = child;
  }
}

}  // namespace faultline::experiment
