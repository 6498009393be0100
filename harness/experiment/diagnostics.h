#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <utility>
#include <vector>

namespace faultline::experiment {

// A position in a source file, 1-based (yaml-cpp's marks are 0-based).
struct SourcePos {
  std::string file;
  int line = 0;
  int col = 0;
};

// One problem found in user input, with an optional hint for the fix.
struct Diagnostic {
  SourcePos pos;
  std::string message;
  std::string hint;
};

// Collects every problem of an input so they can be reported together as
// `file:line:col: error: message` lines (plus `hint:` lines), like a compiler.
class Diagnostics {
 public:
  explicit Diagnostics(std::string file = {}) : file_(std::move(file)) {}

  void error(const YAML::Mark& mark, std::string message, std::string hint = {});
  void error(const SourcePos& pos, std::string message, std::string hint = {});
  // For a whole-file problem (unreadable file, empty document).
  void error(std::string message, std::string hint = {});

  SourcePos pos_of(const YAML::Node& node) const;
  SourcePos pos_of(const YAML::Mark& mark) const;
  const std::string& file() const { return file_; }
  // The loader names the file when the caller has not, so that later checks
  // (fault parameters) report positions in the same file.
  void set_file(std::string file) { file_ = std::move(file); }

  // Orders the diagnostics by file, line and column, as a reader scans the
  // file (checks run section by section, not in file order).
  void sort_by_position();

  bool has_errors() const { return !items_.empty(); }
  const std::vector<Diagnostic>& items() const { return items_; }

  // All diagnostics, one `file:line:col: error: ...` line each, followed by
  // a `  hint: ...` line where there is a hint.
  std::string format() const;

 private:
  std::string file_;
  std::vector<Diagnostic> items_;
};

// The known word closest to `word` (by edit distance), or empty when none is
// close enough to be a plausible typo. Used for "did you mean" hints.
std::string nearest(const std::string& word, const std::vector<std::string>& known);

}  // namespace faultline::experiment
