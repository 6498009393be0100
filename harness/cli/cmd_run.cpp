// faultline run FILE: the main job. Validates, runs, writes the reports and
// exits with a code a pipeline can act on.

#include <fmt/format.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "harness/cli/command.h"
#include "harness/cli/common_options.h"
#include "harness/runner/analysis.h"
#include "harness/runner/journal.h"
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
};

int run_command(const RunCommandOptions& opts) {
  experiment::Diagnostics diags(opts.exp.file);
  auto v = runner::validate(opts.exp.file, opts.exp.overrides(), diags);
  if (!v) {
    std::cerr << diags.format();
    return 2;
  }
  if (geteuid() != 0) {
    std::cerr << "faultline run: needs root to create network namespaces, links and servers.\n"
                 "  hint: run it with sudo, or as root in a VM or container\n";
    return 3;
  }
  const std::string out_dir = opts.out.empty() ? default_out_dir(opts.exp.file) : opts.out;
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) {
    std::cerr << fmt::format("faultline run: cannot create output folder {}: {}\n", out_dir, ec.message());
    return 3;
  }

  runner::RunOptions ropts;
  ropts.out_dir = out_dir;
  ropts.registry_dir = opts.registry;
  ropts.live_progress = !opts.quiet;
  const auto record = runner::run_experiment(*v, ropts);
  const auto journal = runner::make_journal(*v, record);

  for (const auto& reporter : reporters::ReporterRegistry::instance().all()) {
    const fs::path path = fs::path(out_dir) / reporter.file_name;
    std::ofstream out(path);
    out << reporter.render(journal, "");
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
  std::cout << runner::render_summary(journal);
  std::cout << fmt::format("reports: {}/\n", out_dir);
  return runner::exit_code(record, runner::expectation_met(record, *v));
}

const CommandRegistration registration{Command{
    "run", 20, [](CLI::App& app) -> std::function<int()> {
      app.description(
          "Run an experiment: bring the stack up in network namespaces, drive the load,\n"
          "inject and revert the faults, judge the SLOs, tear everything down and write\n"
          "postmortem.md and journal.json into the output folder. Needs root.\n"
          "Ctrl-C or SIGTERM stops the run early; faults are reverted and the stack removed.");
      auto opts = std::make_shared<RunCommandOptions>();
      add_experiment_options(app, opts->exp);
      app.add_option("-o,--out", opts->out,
                     "output folder for the reports (default: faultline-out/<experiment>-<timestamp>)");
      app.add_option("--registry", opts->registry, "run registry folder (what 'faultline cleanup' reads)")
          ->capture_default_str();
      app.add_flag("-q,--quiet", opts->quiet, "no progress lines on stderr, only the summary");
      app.add_flag("--samples", opts->samples,
                   "also write requests.csv: every request's times, latency, status, error, backend, user");
      return [opts] { return run_command(*opts); };
    }}};

}  // namespace
}  // namespace faultline::cli
