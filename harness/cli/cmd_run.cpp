// faultline run FILE: the main job. Validates, runs, writes the reports and
// exits with a code a pipeline can act on.

#include <fmt/format.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "harness/cli/command.h"
#include "harness/cli/common_options.h"
#include "harness/runner/analysis.h"
#include "harness/runner/journal.h"
#include "harness/runner/preflight.h"
#include "harness/runner/runner.h"
#include "harness/runner/samples_csv.h"
#include "harness/runner/summary.h"
#include "reporters/reporter.h"

namespace faultline::cli {
namespace {

namespace fs = std::filesystem;

std::string default_out_dir(const std::string& file) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  return fmt::format("faultline-out/{}-{}", fs::path(file).stem().string(), stamp);
}

struct RunCommandOptions {
  ExperimentOptions exp;
  std::string out;
  std::string registry = "/run/faultline";
  bool quiet = false;
  bool samples = false;
  bool allow_external = false;
  std::vector<std::string> templates;  // FORMAT=FILE
};

// --template md=ours.mustache: checked before anything runs, so a typo does
// not surface only after a game day's stack has come and gone.
bool read_templates(const std::vector<std::string>& specs, std::map<std::string, std::string>& out) {
  for (const auto& spec : specs) {
    const auto eq = spec.find('=');
    const std::string format = spec.substr(0, eq);
    const auto* reporter = reporters::ReporterRegistry::instance().find(format);
    if (eq == std::string::npos || reporter == nullptr || !reporter->takes_template) {
      std::string formats;
      for (const auto& r : reporters::ReporterRegistry::instance().all()) {
        if (r.takes_template) {
          formats += (formats.empty() ? "" : ", ") + r.format;
        }
      }
      std::cerr << fmt::format(
          "faultline run: --template '{}': expected FORMAT=FILE with a format that has a template ({})\n",
          spec, formats);
      return false;
    }
    const std::string file = spec.substr(eq + 1);
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) {
      std::cerr << fmt::format("faultline run: --template {}: no such file '{}'\n", format, file);
      return false;
    }
    out[format] = file;
  }
  return true;
}

int run_command(const RunCommandOptions& opts) {
  experiment::Diagnostics diags(opts.exp.file);
  auto v = runner::validate(opts.exp.file, opts.exp.overrides(), diags, opts.allow_external);
  // Errors refuse the run; warnings (also with -q) are said before anything
  // starts, so nobody waits for a run to learn what its file already told.
  std::cerr << diags.format();
  if (!v) {
    return 2;
  }
  // Blast radius: hosts outside the stack only with the user's consent,
  // refused like a validation error, before anything is made.
  if (const std::string refusal = runner::external_targets_refusal(*v, opts.allow_external);
      !refusal.empty()) {
    std::cerr << refusal;
    return 2;
  }
  std::map<std::string, std::string> templates;
  if (!read_templates(opts.templates, templates)) {
    return 2;
  }
  // Before anything is created: one message per missing item.
  if (const std::string failures = runner::format_failures(
          runner::preflight(&*v, runner::system_probes(opts.registry, /*may_pull=*/true)),
          "faultline run: preflight");
      !failures.empty()) {
    std::cerr << failures << "nothing was changed; 'faultline doctor' checks the whole machine\n";
    return runner::kPreflightExitCode;
  }
  const std::string out_dir = opts.out.empty() ? default_out_dir(opts.exp.file) : opts.out;
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) {
    std::cerr << fmt::format("faultline run: cannot create output folder {}: {}\n", out_dir, ec.message());
    return 3;
  }

  if (!opts.quiet && !v->exp.stack.external_targets.empty()) {
    std::cerr << fmt::format(
        "faultline run: --allow-external: faults may send traffic outside the stack to {}\n",
        runner::describe_external_targets(v->exp.stack));
  }

  runner::RunOptions ropts;
  ropts.out_dir = out_dir;
  ropts.registry_dir = opts.registry;
  ropts.live_progress = !opts.quiet;
  const auto record = runner::run_experiment(*v, ropts);
  // Typed for the terminal summary, as JSON for the reporters and the file.
  const journal::Journal typed = runner::make_journal(*v, record);
  const auto journal = journal::to_json(typed);

  for (const auto& reporter : reporters::ReporterRegistry::instance().all()) {
    const fs::path path = fs::path(out_dir) / reporter.file_name;
    const auto custom = templates.find(reporter.format);
    std::string text;
    try {
      text = reporter.render(journal, custom == templates.end() ? "" : custom->second);
    } catch (const std::exception& e) {
      // One broken report must not cost the others (or the journal).
      std::cerr << fmt::format("faultline run: cannot render {}: {}\n", reporter.file_name, e.what());
      continue;
    }
    std::ofstream out(path);
    out << text;
    if (!out) {
      std::cerr << fmt::format("faultline run: cannot write {}\n", path.string());
    }
  }
  if (opts.samples) {
    const fs::path path = fs::path(out_dir) / "requests.csv";
    std::ofstream out(path);
    runner::write_samples_csv(record, out);
    if (!out) {
      std::cerr << fmt::format("faultline run: cannot write {}\n", path.string());
    }
  }
  std::cout << runner::render_summary(typed);
  std::cout << fmt::format("reports: {}/\n", out_dir);
  // Also with -q, which silences the progress line that said it: a script
  // reading stderr must see why the run failed.
  if (record.status == runner::RunStatus::failed || record.status == runner::RunStatus::not_proven) {
    std::cerr << fmt::format("faultline run: {}\n", record.error.empty() ? "the run failed" : record.error);
  }
  return runner::exit_code(record, *v);
}

const CommandRegistration registration{Command{
    "run", 20, [](CLI::App& app) -> std::function<int()> {
      app.description(
          "Run an experiment: bring the stack up in network namespaces, drive the load,\n"
          "inject and revert the faults, judge the SLOs, tear everything down and write\n"
          "postmortem.md, postmortem.html, journal.json and junit.xml into the output folder.\n"
          "Needs root.\n"
          "Ctrl-C or SIGTERM stops the run early; faults are reverted and the stack removed.");
      auto opts = std::make_shared<RunCommandOptions>();
      add_experiment_options(app, opts->exp);
      app.add_option("-o,--out", opts->out,
                     "output folder for the reports (default: faultline-out/<experiment>-<timestamp>)");
      app.add_option("--registry", opts->registry, "run registry folder (what 'faultline cleanup' reads)")
          ->capture_default_str();
      app.add_flag("-q,--quiet", opts->quiet, "no progress lines on stderr, only the summary");
      app.add_option("--template", opts->templates,
                     "FORMAT=FILE: a Mustache template replacing the built-in one for that report, e.g.\n"
                     "--template md=our-postmortem.md.mustache (repeatable; the built-in ones are in\n"
                     "reporters/templates/, installed in share/faultline/templates/)");
      app.add_flag("--allow-external", opts->allow_external,
                   "let faults reach the hosts the experiment lists under stack.external_targets\n"
                   "(without it such a run is refused; other addresses outside the stack always are)");
      app.add_flag("--samples", opts->samples,
                   "also write requests.csv: every request's times, latency, status, error, backend, user");
      return [opts] { return run_command(*opts); };
    }}};

}  // namespace
}  // namespace faultline::cli
