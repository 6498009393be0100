#pragma once

// Reading a journal file as `faultline compare` does: it must
// exist, parse and declare the schema this build writes; anything else is
// an error naming the file, with a hint.

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace faultline::reporters {

// A file that cannot be read as a journal. It carries the file and
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

// Reads and checks a journal file: it must exist, parse as JSON and declare
// the schema this build writes (journal::kSchema). Throws JournalError
// otherwise.
nlohmann::ordered_json load_journal_file(const std::string& path);

// The same check on JSON already read (`file` only names it in the error).
void check_journal(const nlohmann::ordered_json& journal, const std::string& file);

}  // namespace faultline::reporters
