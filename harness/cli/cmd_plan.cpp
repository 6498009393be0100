// faultline plan FILE: what a run would do, told without doing it, after
// the checks `faultline validate` makes.

#include <fmt/format.h>

#include <iostream>

#include "harness/cli/command.h"
#include "harness/cli/common_options.h"
#include "harness/runner/plan_view.h"
#include "harness/runner/preflight.h"
#include "harness/runner/validate.h"

namespace faultline::cli {
namespace {

struct PlanCommandOptions {
  ExperimentOptions exp;
  std::string registry = stack::kDefaultRegistryDir;
  bool configs = false;
};

int plan_command(const PlanCommandOptions& opts) {
  experiment::Diagnostics diags(opts.exp.file);
  auto v = runner::validate(opts.exp.file, opts.exp.overrides(), diags);
  // As validate prints them: errors refuse the plan as they would the run,
  // warnings are said and the plan goes on.
  std::cerr << diags.format();
  if (!v) {
    const size_t errors = diags.count(experiment::Severity::error);
    std::cerr << fmt::format("{}: {} error{}\n", opts.exp.file, errors, errors == 1 ? "" : "s");
    return 2;
  }
  if (const std::string missing = runner::runtime_not_built(v->exp.stack); !missing.empty()) {
    // The plan this build could print is the netns runtime's (addresses
    // on a bridge of its own, configs rendered for this machine's servers),
    // which is not what the experiment's runtime will do.
    std::cerr << fmt::format("{}: {}, so there is no plan of its run to show; 'faultline run' refuses it\n",
                             opts.exp.file, missing);
    return runner::kPreflightExitCode;
  }
  if (v->exp.stack.runtime == experiment::kRuntimeCompose) {
    // gather_plan plans a bridge and configs of faultline's own; on compose
    // the addresses and configs are those of the project as it runs, which
    // the plan would only pretend to know.
    std::cerr << fmt::format(
        "{}: runtime compose attaches to project '{}' as it runs: its addresses and configs are the "
        "project's, which 'faultline plan' does not read yet ('faultline run' prints them as it attaches)\n",
        opts.exp.file, v->exp.stack.project);
    return runner::kPreflightExitCode;
  }
  runner::PlanOptions options;
  options.registry_dir = opts.registry;
  options.render_configs = opts.configs;
  std::cout << runner::format_plan(runner::gather_plan(*v, options));
  return 0;
}

const CommandRegistration registration{
    Command{"plan", 15, [](CLI::App& app) -> std::function<int()> {
              app.description(
                  "Show what 'faultline run' would do with an experiment, without doing it:\n"
                  "  - the stack: each service's kind, the address and port a run started now would\n"
                  "    get, its backends, and how it starts (a kind: process's command line, workdir,\n"
                  "    env and readiness);\n"
                  "  - each config of the team's (config:) as the run's copy, line by line beside the\n"
                  "    team file's line numbers, every line faultline adds (+) or changes (~) marked\n"
                  "    with why; with --configs, the configs faultline renders too;\n"
                  "  - the load, the method's timeline (each fault's parameters, when it is injected\n"
                  "    and reverted, what it does) and notes, the objectives and abort conditions.\n"
                  "Makes the checks 'faultline validate' makes first: errors are printed as it prints\n"
                  "them and exit 2, warnings are printed on stderr and the plan goes on. An\n"
                  "experiment on runtime compose has no plan yet (its addresses and configs are the\n"
                  "running project's): exit 6, as its run's preflight. On runtime docker it also\n"
                  "names the containers, images (as the daemon has them; nothing is pulled), config\n"
                  "paths, mounts and network. Starts nothing and creates nothing but a scratch\n"
                  "folder it removes; no root needed.");
              auto opts = std::make_shared<PlanCommandOptions>();
              add_experiment_options(app, opts->exp);
              app.add_flag("--configs", opts->configs,
                           "also print the configs faultline renders from the experiment (HAProxy, nginx)");
              app.add_option("--registry", opts->registry,
                             "the run registry a run would use: subnets its live runs hold are not picked")
                  ->capture_default_str();
              return [opts] { return plan_command(*opts); };
            }}};

}  // namespace
}  // namespace faultline::cli
