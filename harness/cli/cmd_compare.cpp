// faultline compare BEFORE AFTER: one report with two runs side by side,
// typically an incident drill and its fixed variant, running nothing.

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "harness/cli/command.h"
#include "reporters/compare_view.h"

namespace faultline::cli {
namespace {

struct CompareOptions {
  std::string before;
  std::string after;
  std::string format = "md";
  std::string out;
};

int compare(const CompareOptions& opts) {
  if (opts.format != "md" && opts.format != "json") {
    std::cerr << fmt::format(
        "faultline compare: error: unknown format '{}'\n  hint: use --format md or json\n", opts.format);
    return 2;
  }
  nlohmann::ordered_json before;
  nlohmann::ordered_json after;
  try {
    before = reporters::load_journal_file(opts.before);
    after = reporters::load_journal_file(opts.after);
  } catch (const reporters::JournalError& e) {
    std::cerr << e.message("compare");
    return 2;
  }
  std::string text;
  try {
    const auto view = reporters::compare_view(before, after, opts.before, opts.after);
    text = opts.format == "json" ? view.dump(2) + "\n" : reporters::render_compare_md(view);
  } catch (const std::exception& e) {
    std::cerr << fmt::format("faultline compare: error: cannot render {}: {}\n", opts.format, e.what());
    return 2;
  }
  if (opts.out.empty() || opts.out == "-") {
    std::cout << text;
    return 0;
  }
  std::ofstream out(opts.out);
  out << text;
  if (!out) {
    std::cerr << fmt::format("faultline compare: error: {}: cannot write\n", opts.out);
    return 3;
  }
  return 0;
}

const CommandRegistration registration{Command{
    "compare", 55, [](CLI::App& app) -> std::function<int()> {
      app.description(
          "Compare two runs side by side from their journals, e.g. an incident drill (expect: breach)\n"
          "and its fixed variant (expect: hold): verdict, impact, time to detect and recover, each\n"
          "objective, each backend's share of traffic per phase, and the faults injected.");
      app.footer(
          "Example:\n"
          "  faultline compare runs/incident/journal.json runs/fixed/journal.json -o compare.md\n"
          "\n"
          "Exit codes: 0 report written; 2 a file is missing, not JSON or not a faultline journal;\n"
          "3 the output file cannot be written. See docs/COMPARE.md.");
      auto opts = std::make_shared<CompareOptions>();
      // Not CLI::ExistingFile: a missing file gets the same error and hint
      // as a file that is not a journal.
      app.add_option("before", opts->before, "journal.json of the first run (e.g. the incident drill)")
          ->required();
      app.add_option("after", opts->after, "journal.json of the second run (e.g. the fixed variant)")
          ->required();
      app.add_option("-f,--format", opts->format, "output format: md (Markdown) | json (the comparison data)")
          ->capture_default_str();
      app.add_option("-o,--out", opts->out, "output file (default: standard output)");
      return [opts] { return compare(*opts); };
    }}};

}  // namespace
}  // namespace faultline::cli
