#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

#include "harness/experiment/diagnostics.h"

namespace faultline::experiment {

struct SourceEntry;

// A yaml-cpp node handle that assigns like a pointer. YAML::Node's own
// assignment writes through to the node it refers to, and so to every alias
// of it (`a = b` turns web1's port into web2's); SourceNodes are assigned
// freely (by --set), so their handles must only ever be rebound.
class YamlHandle {
 public:
  YamlHandle() = default;
  explicit YamlHandle(const YAML::Node& node) : node_(node) {}
  YamlHandle(const YamlHandle& other) = default;
  YamlHandle& operator=(const YamlHandle& other) {
    node_.reset(other.node_);
    return *this;
  }
  ~YamlHandle() = default;

  const YAML::Node& get() const { return node_; }

 private:
  YAML::Node node_;
};

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
  bool quoted = false;               // a quoted or block scalar: text, never a number or boolean
  std::vector<SourceNode> items;     // sequence
  std::vector<SourceEntry> entries;  // map, in file order, duplicates kept
  SourcePos pos;
  YamlHandle origin;  // the parsed node, handed on raw (fault parameters)
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

// What a node is, for messages: "a map", "a list", "a single value ('3')", "empty".
std::string describe(const SourceNode& node);

}  // namespace faultline::experiment
