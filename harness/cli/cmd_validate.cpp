// faultline validate FILE: every check a run would make before touching
// anything, with every problem reported at once.

#include <fmt/format.h>

#include <iostream>

#include "harness/cli/command.h"
#include "harness/cli/common_options.h"
#include "harness/runner/preflight.h"
#include "harness/runner/validate.h"

namespace faultline::cli {
namespace {

const CommandRegistration registration{Command{
    "validate", 10, [](CLI::App& app) -> std::function<int()> {
      app.description(
          "Check an experiment file without running it: structure, unknown keys, services,\n"
          "fault names and parameters, SLO expressions, and what faults can check ahead\n"
          "(an lb_config fragment through haproxy -c / nginx -t). Prints every problem as\n"
          "file:line:col: error: ... and exits 2 if there is any. Warnings (file:line:col:\n"
          "warning: ..., e.g. a load too short after the last revert to judge recovery)\n"
          "are printed too but leave the file valid.");
      auto opts = std::make_shared<ExperimentOptions>();
      add_experiment_options(app, *opts);
      return [opts] {
        experiment::Diagnostics diags(opts->file);
        auto v = runner::validate(opts->file, opts->overrides(), diags);
        std::cerr << diags.format();
        const size_t warnings = diags.count(experiment::Severity::warning);
        const std::string warned =
            warnings == 0 ? "" : fmt::format(", {} warning{}", warnings, warnings == 1 ? "" : "s");
        if (!v) {
          const size_t errors = diags.count(experiment::Severity::error);
          std::cerr << fmt::format("{}: {} error{}{}\n", opts->file, errors, errors == 1 ? "" : "s", warned);
          return 2;
        }
        std::cout << fmt::format("{}: ok ({} services, {} faults, {} objectives, expect {}){}\n", opts->file,
                                 v->exp.stack.services.size(), v->faults.size(), v->objectives.size(),
                                 experiment::to_string(v->exp.expect), warned);
        for (const auto& [service, changes] : v->config_changes) {
          if (changes.empty()) {
            continue;
          }
          std::cout << fmt::format("{}: faultline runs a copy of the team's config, changed in {} place{}:\n",
                                   service, changes.size(), changes.size() == 1 ? "" : "s");
          for (const auto& c : changes) {
            std::cout << "  " << c << "\n";
          }
        }
        if (const std::string missing = runner::runtime_not_built(v->exp.stack); !missing.empty()) {
          // A valid file all the same: said so that nobody learns it from
          // the run.
          std::cout << fmt::format("note: {}; 'faultline run' refuses it until then\n", missing);
        }
        if (!v->exp.stack.external_targets.empty()) {
          std::cout << fmt::format(
              "note: the experiment names external targets ({}); 'faultline run' needs "
              "--allow-external to reach them\n",
              runner::describe_external_targets(v->exp.stack));
        }
        return 0;
      };
    }}};

}  // namespace
}  // namespace faultline::cli
