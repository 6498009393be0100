#include "harness/experiment/overrides.h"

#include <optional>

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

// A list item's index as written on the path (`method.0`), or nothing for
// a key that is not a plain decimal number.
std::optional<size_t> index_of(const std::string& key) {
  if (key.empty() || key.size() > 9 || key.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return static_cast<size_t>(std::stoul(key));
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
    if (probe->is_sequence()) {
      // A list is walked by index only, and only to an item it has: adding
      // an item from the command line would make a fault or a request the
      // file does not describe.
      const auto index = index_of(key);
      if (!index) {
        diags.error(where, parent + " is a list, not a map",
                    "a list's items are named by their index from 0, e.g. method.0.duration");
        return;
      }
      if (*index >= probe->items.size()) {
        diags.error(where,
                    parent + " has " + std::to_string(probe->items.size()) + " item" +
                        (probe->items.size() == 1 ? "" : "s") + ", so it has no item " + key,
                    probe->items.empty()
                        ? "--set changes list items, it does not add them"
                        : "write an index from 0 to " + std::to_string(probe->items.size() - 1));
        return;
      }
      probe = &probe->items[*index];
      parent = "item " + key + " of " + parent;
      continue;
    }
    if (!probe->is_map() && !probe->is_null()) {
      diags.error(where, parent + " is " + describe(*probe) + ", not a map",
                  "--set walks maps by key and lists by index");
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
    const bool last = i + 1 == path.size();
    if (node->is_sequence()) {
      // Checked above: an index of an item that exists.
      SourceNode* item = &node->items[*index_of(path[i])];
      if (last) {
        *item = value;
      }
      node = item;
      continue;
    }
    SourceNode* child = find_value(*node, path[i]);
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
