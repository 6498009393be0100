#include "harness/experiment/loader.h"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/experiment/overrides.h"
#include "harness/experiment/sections.h"
#include "harness/experiment/source_tree.h"

namespace faultline::experiment {

namespace {

const std::vector<std::string> kTopLevelKeys = {"version", "title", "description", "tags",   "stack",
                                                "load",    "slo",   "method",      "expect", "postmortem"};
const std::vector<std::string> kExpectations = {"breach", "hold"};
constexpr int kFormatVersion = 1;

SourcePos position(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0) {
    return SourcePos{file, 0, 0};
  }
  return SourcePos{file, mark.line + 1, mark.column + 1};
}

// yaml-cpp 0.7 (Debian 12) never returns from LoadAll, allocating without
// bound, when a document starts with a token its parser does not consume, such
// as a lone ',' (jbeder/yaml-cpp#1040, found by tests/fuzz). A first pass
// that builds nothing finds where the parser stops advancing: there two
// documents in a row start at the same position.
std::optional<YAML::Mark> yaml_parser_stuck_at(const std::string& yaml) {
  struct Events : YAML::EventHandler {
    std::optional<YAML::Mark> previous, stuck;
    void OnDocumentStart(const YAML::Mark& m) override {
      stuck = previous && previous->pos == m.pos ? std::optional(m) : std::nullopt;
      previous = m;
    }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
  } events;
  try {
    std::istringstream in(yaml);
    YAML::Parser parser(in);
    while (!events.stuck && parser.HandleNextDocument(events)) {
    }
  } catch (const YAML::Exception&) {
    return std::nullopt;  // LoadAll reports it
  }
  return events.stuck;
}

// Parses the text into a SourceNode tree; a syntax error ends the load (the
// parser cannot go on after one), and is reported where it happened.
std::optional<SourceNode> parse(const std::string& yaml, const std::string& name, Diagnostics& diags) {
  if (const auto stuck = yaml_parser_stuck_at(yaml)) {
    const auto at = static_cast<size_t>(stuck->pos);
    diags.error(position(name, *stuck),
                at < yaml.size() ? fmt::format("invalid YAML: unexpected '{}'", yaml[at]) : "invalid YAML");
    return std::nullopt;
  }
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(yaml);
  } catch (const YAML::Exception& e) {
    diags.error(position(name, e.mark), "invalid YAML: " + e.msg);
    return std::nullopt;
  }
  if (documents.size() > 1) {
    diags.error(position(name, documents[1].Mark()), "an experiment file holds one document",
                "remove the '---' line, or put the second experiment in a file of its own");
  }
  if (documents.empty()) {
    SourceNode empty;
    empty.pos = SourcePos{name, 0, 0};
    return empty;
  }
  return to_source_tree(documents.front(), name, diags);
}

void read_top_level(const SourceNode& root, FieldReader& r, Experiment& exp) {
  r.check_keys(root, kTopLevelKeys, "");
  // A missing top-level key has no node to point at: it is the file's.
  const SourcePos whole_file{root.pos.file, 0, 0};
  if (const SourceNode* version = root.find("version")) {
    if (auto v = r.integer(*version, "version", 0)) {
      if (*v != kFormatVersion) {
        r.diags().error(version->pos, fmt::format("unsupported version {}", *v),
                        fmt::format("this faultline reads version {}", kFormatVersion));
      } else {
        exp.version = static_cast<int>(*v);
      }
    }
  }
  if (const SourceNode* title = root.find("title")) {
    if (auto t = r.non_empty_text(*title, "title")) {
      exp.title = *t;
    }
  } else {
    r.missing(whole_file, "title", "");
  }
  if (const SourceNode* description = root.find("description")) {
    if (auto d = r.text(*description, "description")) {
      exp.description = *d;
    }
  }
  if (const SourceNode* tags = root.find("tags")) {
    if (auto t = r.text_list(*tags, "tags")) {
      exp.tags = *t;
    }
  }

  // Sections are read in dependency order (services before the references
  // to them, load.duration before the timeline), whatever their order in
  // the file; the diagnostics are sorted by position afterwards.
  SectionContext ctx;
  ctx.steady_state = exp.slo.steady_state;
  ctx.source_file = exp.source_file;
  if (const SourceEntry* stack = root.find_entry("stack")) {
    read_stack(*stack, r, exp);
  } else {
    r.missing(whole_file, "stack", "");
  }
  if (const SourceEntry* load = root.find_entry("load")) {
    read_load(*load, r, exp.stack, exp.load, ctx);
    read_load_tls(*load, r, exp, exp.load);
  } else {
    r.missing(whole_file, "load", "");
  }
  if (const SourceEntry* slo = root.find_entry("slo")) {
    read_slo(*slo, r, exp.slo, ctx);
  }
  if (const SourceEntry* method = root.find_entry("method")) {
    read_method(*method, r, exp.stack, ctx, exp.method);
  }
  if (const SourceNode* expect = root.find("expect")) {
    if (auto e = r.choice(*expect, "expect", kExpectations)) {
      exp.expect = *e == "breach" ? Expectation::breach : Expectation::hold;
    }
  } else {
    r.missing(whole_file, "expect", "");
  }
  if (const SourceEntry* postmortem = root.find_entry("postmortem")) {
    read_postmortem(*postmortem, r, exp.postmortem);
  }
}

// Loads `yaml`, named `name` in diagnostics. `source_file` (absolute, or
// empty for text that came from no file) is set before the sections are read:
// the stack resolves the paths it names (config, workdir) against its folder.
Experiment load_text(const std::string& yaml, const std::string& name, const std::string& source_file,
                     const std::vector<Override>& overrides, Diagnostics& diags) {
  if (diags.file().empty()) {
    diags.set_file(name);
  }
  Experiment exp;
  exp.source_file = source_file;
  auto root = parse(yaml, name, diags);
  if (!root) {
    return exp;
  }
  for (const auto& setting : overrides) {
    apply_override(*root, setting, diags);
  }
  exp.source = to_yaml(*root);

  FieldReader reader(diags);
  if (root->is_null()) {
    diags.error(root->pos, "the experiment is empty",
                "an experiment needs at least title, stack, load and expect");
  } else if (!root->is_map()) {
    diags.error(root->pos, fmt::format("an experiment must be a map of keys, not {}", describe(*root)),
                "start with 'version: 1' and 'title: ...'");
  } else {
    read_top_level(*root, reader, exp);
  }
  diags.sort_by_position();
  return exp;
}

}  // namespace

Experiment load_string(const std::string& yaml, const std::string& name,
                       const std::vector<Override>& overrides, Diagnostics& diags) {
  return load_text(yaml, name, {}, overrides, diags);
}

Experiment load_file(const std::string& path, const std::vector<Override>& overrides, Diagnostics& diags) {
  if (diags.file().empty()) {
    diags.set_file(path);
  }
  const SourcePos whole_file{path, 0, 0};
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    diags.error(whole_file, fmt::format("cannot read experiment file '{}': it is a directory", path));
    return {};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.error(whole_file, fmt::format("cannot read experiment file '{}': {}", path, std::strerror(errno)));
    return {};
  }
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    diags.error(whole_file, fmt::format("cannot read experiment file '{}': {}", path, std::strerror(errno)));
    return {};
  }
  return load_text(text.str(), path, std::filesystem::absolute(path, ec).lexically_normal().string(),
                   overrides, diags);
}

}  // namespace faultline::experiment
