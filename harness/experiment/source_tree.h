#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

#include "harness/experiment/diagnostics.h"

namespace faultline::experiment {

struct SourceEntry;

// One node of an experiment document as the loader checks it: the YAML value
// with the position every diagnostic about it points to.
//
// yaml-cpp's own tree is not edited in place because an alias (`web2: *web`)
// is the very same node as its anchor: a `--set` on web2 would change web1
// too, and a rebuilt yaml-cpp node loses its marks. This tree copies each use
// of an alias, so an override changes exactly one place, and it keeps
// positions for the nodes that `--set` made (they point at the override).
struct SourceNode {
  enum class Kind { null, scalar, sequence, map };

  Kind kind = Kind::null;
  std::string scalar;
  std::vector<SourceNode> items;     // sequence
  std::vector<SourceEntry> entries;  // map, in file order, duplicates kept
  SourcePos pos;
  YAML::Node origin;     // the parsed node, handed on raw (fault parameters)
  // Differs from `origin`: an override or a merge key changed this node or
  // something below it.
  bool changed = false;

  bool is_null() const { return kind == Kind::null; }
  bool is_scalar() const { return kind == Kind::scalar; }
  bool is_sequence() const { return kind == Kind::sequence; }
  bool is_map() const { return kind == Kind::map; }

  // The value of the first entry named `key`, or nullptr (also for non-maps).
  const SourceNode* find(std::string_view key) const;
  const SourceEntry* find_entry(std::string_view key) const;
};

struct SourceEntry {
  std::string key;
  SourcePos key_pos;
  SourceNode value;
};

// Copies a parsed document into a SourceNode tree, positions in `file`.
// Aliases are expanded; YAML merge keys (`<<: *web`) are applied. Non-scalar
// keys, recursive aliases and absurdly large expansions are reported.
SourceNode to_source_tree(const YAML::Node& node, const std::string& file, Diagnostics& diags);

// The tree as a yaml-cpp node: parts no override touched are the original
// nodes (marks intact), the rest is rebuilt.
YAML::Node to_yaml(const SourceNode& node);

// What a node is, for messages: "a map", "a list", "a value ('3')", "empty".
std::string describe(const SourceNode& node);

}  // namespace faultline::experiment
