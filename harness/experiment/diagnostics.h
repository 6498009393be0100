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

// An error makes the input unusable; a warning points at something that
// works but will likely not show what the author wants (a load too short to
// see recovery, a check that could not be made here).
enum class Severity { error, warning };

// One problem found in user input, with an optional hint for the fix.
struct Diagnostic {
  SourcePos pos;
  std::string message;
  std::string hint;
  Severity severity = Severity::error;
};

// Collects every problem of an input so they can be reported together as
// `file:line:col: error: message` lines (plus `hint:` lines), like a compiler.
// Warnings are printed the same way (`warning:`) and never make
// has_errors() true.
class Diagnostics {
 public:
  explicit Diagnostics(std::string file = {}) : file_(std::move(file)) {}

  void error(const YAML::Mark& mark, std::string message, std::string hint = {});
  void error(const SourcePos& pos, std::string message, std::string hint = {});
  // For a whole-file problem (unreadable file, empty document).
  void error(std::string message, std::string hint = {});
  void warning(const SourcePos& pos, std::string message, std::string hint = {});

  SourcePos pos_of(const YAML::Node& node) const;
  SourcePos pos_of(const YAML::Mark& mark) const;
  const std::string& file() const { return file_; }
  // The loader names the file when the caller has not, so that later checks
  // (fault parameters) report positions in the same file.
  void set_file(std::string file) { file_ = std::move(file); }

  // Orders the diagnostics by file, line and column, as a reader scans the
  // file (checks run section by section, not in file order).
  void sort_by_position();

  bool has_errors() const { return count(Severity::error) > 0; }
  bool has_warnings() const { return count(Severity::warning) > 0; }
  size_t count(Severity severity) const;
  // Errors and warnings, in the order they were found (or sorted).
  const std::vector<Diagnostic>& items() const { return items_; }

  // All diagnostics, one `file:line:col: error: ...` (or `warning: ...`)
  // line each, followed by a `  hint: ...` line where there is a hint.
  std::string format() const;

 private:
  void add(const SourcePos& pos, std::string message, std::string hint, Severity severity);

  std::string file_;
  std::vector<Diagnostic> items_;
};

// The known word closest to `word` (by edit distance), or empty when none is
// close enough to be a plausible typo. Used for "did you mean" hints.
std::string nearest(const std::string& word, const std::vector<std::string>& known);

}  // namespace faultline::experiment
