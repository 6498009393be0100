#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace faultline::reporters {

// A file that cannot be one side of a comparison. It carries the file and
// a hint apart from the message, so the command can print them in its own
// error format and tests can check each part.
class JournalError : public std::runtime_error {
 public:
  JournalError(std::string file, const std::string& what, std::string hint)
      : std::runtime_error(what), file_(std::move(file)), hint_(std::move(hint)) {}
  const std::string& file() const { return file_; }
  const std::string& hint() const { return hint_; }
  // "faultline <command>: error: <file>: <what>\n  hint: <hint>\n"
  std::string message(const std::string& command) const;

 private:
  std::string file_;
  std::string hint_;
};

// The schema a journal must declare to be compared.
inline constexpr const char* kJournalSchema = "faultline.journal/1";

// Reads and checks a journal file: it must exist, parse as JSON and declare
// `schema: faultline.journal/1`. Throws JournalError otherwise.
nlohmann::ordered_json load_journal_file(const std::string& path);

// The same check on JSON already read (`file` only names it in the error).
void check_journal(const nlohmann::ordered_json& journal, const std::string& file);

// The comparison of two runs, typically an incident drill (`expect: breach`)
// and its fixed variant (`expect: hold`): per-run facts (numbers, null when
// the journal has none) under "before"/"after", and the same facts as ready
// table rows for the template, so the template holds no arithmetic. Every
// figure comes from the two journals.
nlohmann::ordered_json compare_view(const nlohmann::ordered_json& before, const nlohmann::ordered_json& after,
                                    const std::string& before_file = "", const std::string& after_file = "");

// The comparison as Markdown (built-in compare.md.mustache, or the template
// at `template_path` when not empty).
std::string render_compare_md(const nlohmann::ordered_json& view, const std::string& template_path = "");

}  // namespace faultline::reporters
