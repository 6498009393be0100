#include "reporters/journal_file.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "harness/journal/journal.h"

namespace faultline::reporters {

using json = nlohmann::ordered_json;

std::string JournalError::message(const std::string& command) const {
  return fmt::format("faultline {}: error: {}: {}\n  hint: {}\n", command, file_, what(), hint_);
}

void check_journal(const json& journal, const std::string& file) {
  const std::string hint =
      fmt::format("pass the journal.json that 'faultline run' wrote (schema {})", journal::kSchema);
  if (!journal.is_object()) {
    throw JournalError(file, "not a faultline journal (the JSON is not an object)", hint);
  }
  if (!journal.contains("schema") || !journal["schema"].is_string()) {
    throw JournalError(file, "not a faultline journal (no \"schema\" field)", hint);
  }
  const std::string schema = journal["schema"].get<std::string>();
  if (schema != journal::kSchema) {
    throw JournalError(
        file,
        fmt::format("not a faultline journal (schema is '{}', expected '{}')", schema, journal::kSchema),
        schema.rfind("faultline.journal/", 0) == 0
            ? "it was written by another faultline version; compare journals of one version"
            : hint);
  }
}

json load_journal_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw JournalError(path, "no such file",
                       "check the path; 'faultline run' writes journal.json into its output folder");
  }
  if (std::filesystem::is_directory(path, ec)) {
    throw JournalError(path, "is a folder, not a file", fmt::format("did you mean {}/journal.json?", path));
  }
  std::ifstream in(path);
  if (!in) {
    throw JournalError(path, "cannot read the file", "check its permissions");
  }
  json j;
  try {
    j = json::parse(in);
  } catch (const json::parse_error& e) {
    throw JournalError(path, fmt::format("not JSON (parse error at byte {})", e.byte),
                       "pass the journal.json that 'faultline run' wrote, not the experiment or a report");
  }
  check_journal(j, path);
  return j;
}

}  // namespace faultline::reporters
