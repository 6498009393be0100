#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace faultline::reporters {

// A reporter renders one output format from the journal alone, so that
// `faultline report journal.json` can redo any format without running.
struct Reporter {
  std::string format;     // "md", "json", ...
  std::string file_name;  // default output file name, e.g. "postmortem.md"
  std::string summary;
  // Returns the rendered document. `template_path` replaces the built-in
  // template where the format has one (empty = built-in).
  std::string (*render)(const nlohmann::ordered_json& journal, const std::string& template_path);
  // Whether `template_path` means anything to it (a Mustache layout).
  bool takes_template = false;
};

class ReporterRegistry {
 public:
  static ReporterRegistry& instance();
  void add(Reporter r);
  const Reporter* find(const std::string& format) const;
  const std::vector<Reporter>& all() const { return reporters_; }

 private:
  std::vector<Reporter> reporters_;
};

struct ReporterRegistration {
  explicit ReporterRegistration(Reporter r) { ReporterRegistry::instance().add(std::move(r)); }
};

}  // namespace faultline::reporters
