#include "harness/experiment/source_tree.h"

namespace faultline::experiment {

namespace {

// Limits that only a recursive alias or an alias bomb (an anchor used many
// times inside an anchor used many times ...) can reach.
constexpr int kMaxDepth = 64;
constexpr size_t kMaxNodes = 200'000;

class TreeBuilder {
 public:
  TreeBuilder(const std::string& file, Diagnostics& diags) : file_(file), diags_(diags) {}

  SourceNode build(const YAML::Node& node, int depth) {
    SourceNode out;
    out.pos = pos_of(node.Mark());
    out.origin = YamlHandle(node);
    if (depth > kMaxDepth || nodes_left_ == 0) {
      if (!too_big_) {
        diags_.error(out.pos, "the document nests too deeply or expands too much",
                     "is an alias used inside the node it refers to?");
        too_big_ = true;
      }
      return out;
    }
    --nodes_left_;
    switch (node.Type()) {
      case YAML::NodeType::Scalar:
        out.kind = SourceNode::Kind::scalar;
        out.scalar = node.Scalar();
        out.quoted = node.Tag() == "!";
        break;
      case YAML::NodeType::Sequence:
        out.kind = SourceNode::Kind::sequence;
        for (const auto& item : node) {
          out.items.push_back(build(item, depth + 1));
          out.changed = out.changed || out.items.back().changed;
        }
        break;
      case YAML::NodeType::Map:
        out.kind = SourceNode::Kind::map;
        build_map(node, depth, out);
        break;
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        break;
    }
    return out;
  }

 private:
  SourcePos pos_of(const YAML::Mark& mark) const {
    if (mark.is_null() || mark.line < 0) {
      return SourcePos{file_, 0, 0};
    }
    return SourcePos{file_, mark.line + 1, mark.column + 1};
  }

  void build_map(const YAML::Node& node, int depth, SourceNode& out) {
    std::vector<SourceNode> merges;
    for (const auto& pair : node) {
      // Copies: the iterator's pair is a temporary, references into it dangle.
      const YAML::Node key = pair.first;
      const YAML::Node value = pair.second;
      const SourcePos key_pos = pos_of(key.Mark());
      if (!key.IsScalar()) {
        diags_.error(key_pos, "a key must be a plain name", key.IsNull() ? "the key is empty" : "");
        continue;
      }
      // yaml-cpp 0.7 does not apply YAML merge keys; users who write anchors
      // expect `<<: *web` to work, so the tree applies them.
      if (key.Scalar() == "<<" && key.Tag() == "?") {
        merges.push_back(build(value, depth + 1));
        continue;
      }
      SourceEntry entry{key.Scalar(), key_pos, build(value, depth + 1)};
      // An empty value has no place of its own (yaml-cpp marks the start of
      // the next line): point at its key instead.
      if (entry.value.is_null()) {
        entry.value.pos = key_pos;
      }
      out.changed = out.changed || entry.value.changed;
      out.entries.push_back(std::move(entry));
    }
    for (const auto& merge : merges) {
      out.changed = true;  // differs from the yaml-cpp node, which keeps `<<`
      if (merge.is_map()) {
        merge_into(out, merge);
      } else if (merge.is_sequence()) {
        for (const auto& item : merge.items) {
          if (item.is_map()) {
            merge_into(out, item);
          } else {
            diags_.error(item.pos, "a merge key ('<<') takes a map or a list of maps");
          }
        }
      } else {
        diags_.error(merge.pos, "a merge key ('<<') takes a map or a list of maps");
      }
    }
  }

  // Keys written in the map win over merged ones; among merged maps the
  // first one listed wins, as YAML specifies.
  static void merge_into(SourceNode& map, const SourceNode& from) {
    for (const auto& entry : from.entries) {
      if (map.find_entry(entry.key) == nullptr) {
        map.entries.push_back(entry);
      }
    }
  }

  const std::string& file_;
  Diagnostics& diags_;
  size_t nodes_left_ = kMaxNodes;
  bool too_big_ = false;
};

}  // namespace

const SourceNode* SourceNode::find(std::string_view key) const {
  const SourceEntry* entry = find_entry(key);
  return entry == nullptr ? nullptr : &entry->value;
}

const SourceEntry* SourceNode::find_entry(std::string_view key) const {
  for (const auto& entry : entries) {
    if (entry.key == key) {
      return &entry;
    }
  }
  return nullptr;
}

SourceNode to_source_tree(const YAML::Node& node, const std::string& file, Diagnostics& diags) {
  TreeBuilder builder(file, diags);
  return builder.build(node, 0);
}

YAML::Node to_yaml(const SourceNode& node) {
  if (!node.changed) {
    return node.origin.get();
  }
  switch (node.kind) {
    case SourceNode::Kind::null:
      return YAML::Node(YAML::NodeType::Null);
    case SourceNode::Kind::scalar: {
      YAML::Node out(node.scalar);
      // yaml-cpp's tag for a non-plain scalar; readers of the document (the
      // journal) rely on it to keep "80" text rather than a number.
      if (node.quoted) {
        out.SetTag("!");
      }
      return out;
    }
    case SourceNode::Kind::sequence: {
      YAML::Node out(YAML::NodeType::Sequence);
      for (const auto& item : node.items) {
        out.push_back(to_yaml(item));
      }
      return out;
    }
    case SourceNode::Kind::map: {
      YAML::Node out(YAML::NodeType::Map);
      for (const auto& entry : node.entries) {
        out.force_insert(entry.key, to_yaml(entry.value));
      }
      return out;
    }
  }
  return {};
}

std::string describe(const SourceNode& node) {
  switch (node.kind) {
    case SourceNode::Kind::null:
      return "empty";
    case SourceNode::Kind::scalar:
      return "a single value ('" + node.scalar + "')";
    case SourceNode::Kind::sequence:
      return "a list";
    case SourceNode::Kind::map:
      return "a map";
  }
  return "unknown";
}

}  // namespace faultline::experiment
