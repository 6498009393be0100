// faultline report JOURNAL: re-renders a report from a journal, running nothing.

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "harness/cli/command.h"
#include "reporters/reporter.h"

namespace faultline::cli {
namespace {

// Formats come from the registry, so a new reporter file shows up in the
// help text and in the error message without touching this command.
std::string format_list(const char* separator) {
  std::vector<std::string> formats;
  for (const auto& r : reporters::ReporterRegistry::instance().all()) {
    formats.push_back(r.format);
  }
  return fmt::format("{}", fmt::join(formats, separator));
}

struct ReportOptions {
  std::string journal;
  std::string format = "md";
  std::string out;
  std::string template_path;
};

int report(const ReportOptions& opts) {
  const auto* reporter = reporters::ReporterRegistry::instance().find(opts.format);
  if (reporter == nullptr) {
    std::cerr << fmt::format("faultline report: unknown format '{}' (valid formats: {})\n", opts.format,
                             format_list(", "));
    return 2;
  }
  nlohmann::ordered_json journal;
  try {
    std::ifstream in(opts.journal);
    journal = nlohmann::ordered_json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    std::cerr << fmt::format("{}: error: not a faultline journal: {}\n", opts.journal, e.what());
    return 2;
  }
  std::string text;
  try {
    text = reporter->render(journal, opts.template_path);
  } catch (const std::exception& e) {
    std::cerr << fmt::format("{}: error: cannot render {}: {}\n", opts.journal, opts.format, e.what());
    return 2;
  }
  if (opts.out.empty() || opts.out == "-") {
    std::cout << text;
    return 0;
  }
  std::ofstream out(opts.out);
  out << text;
  return out ? 0 : 3;
}

const CommandRegistration registration{Command{
    "report", 50, [](CLI::App& app) -> std::function<int()> {
      app.description("Render a report from a journal.json without running anything.");
      auto opts = std::make_shared<ReportOptions>();
      app.add_option("journal", opts->journal, "journal.json written by 'faultline run'")
          ->required()
          ->check(CLI::ExistingFile);
      app.add_option("-f,--format", opts->format, "output format: " + format_list(" | "))
          ->capture_default_str();
      app.add_option("-o,--out", opts->out, "output file (default: standard output)");
      app.add_option("--template", opts->template_path, "a Mustache template replacing the built-in one");
      return [opts] { return report(*opts); };
    }}};

}  // namespace
}  // namespace faultline::cli
