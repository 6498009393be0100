// faultline doctor: the checks `faultline run` makes before touching
// anything, printed for the whole machine or for one experiment.

#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "harness/cli/command.h"
#include "harness/cli/common_options.h"
#include "harness/runner/preflight.h"

namespace faultline::cli {
namespace {

struct DoctorOptions {
  std::string file;
  std::vector<std::string> sets;
  std::string registry = "/run/faultline";
};

int doctor(const DoctorOptions& opts) {
  std::optional<runner::ValidatedExperiment> v;
  if (!opts.file.empty()) {
    ExperimentOptions exp{opts.file, opts.sets};
    experiment::Diagnostics diags(opts.file);
    v = runner::validate(opts.file, exp.overrides(), diags);
    if (!v) {
      std::cerr << diags.format();
      return 2;
    }
  }
  const auto checks = runner::preflight(v ? &*v : nullptr, runner::system_probes(opts.registry));
  // The names' column as wide as the longest name (the fault paths' are long).
  size_t width = 30;
  for (const auto& c : checks) {
    width = std::max(width, c.name.size());
  }
  size_t failed = 0;
  for (const auto& c : checks) {
    std::cout << fmt::format("{} {:<{}} {}\n", c.ok ? "ok  " : "FAIL", c.name, width, c.found);
    if (!c.ok) {
      std::cout << fmt::format("     {:<{}} fix: {}\n", "", width, c.fix);
      ++failed;
    }
  }
  std::cout << (failed == 0 ? fmt::format("\nall {} checks passed{}\n", checks.size(),
                                          v ? ": this machine can run " + opts.file : "")
                            : fmt::format("\n{} of {} checks failed\n", failed, checks.size()));
  return failed == 0 ? 0 : runner::kPreflightExitCode;
}

const CommandRegistration registration{Command{
    "doctor", 70, [](CLI::App& app) -> std::function<int()> {
      app.description(
          "Check what faultline needs from this machine: root, nginx and HAProxy and their versions,\n"
          "iproute2, the kernel features the faults use (netem or NFQUEUE, tbf, nftables, cgroup\n"
          "controllers), the open-files limit and, for an experiment, a free subnet. `faultline run`\n"
          "makes the same checks for its experiment before touching anything.\n\n"
          "The `path:` lines say which kernel mechanism each fault takes on this machine: a netem\n"
          "qdisc or faultline's NFQUEUE delayer for latency, reorder and duplicate; cgroup v2\n"
          "(cpu.max, memory.max) or v1 (cpu.cfs_quota_us, memory.limit_in_bytes) for cpu_limit and\n"
          "memory_limit; tbf; nftables. With an experiment, one line per fault, for its own target\n"
          "(ingress or chosen peers need the NFQUEUE delayer even where netem exists). The journal\n"
          "records the path each fault took (activities[].kernel_path).\n\n"
          "Exit codes: 0 every check passed, 6 some failed (each with its fix), 2 bad experiment file.\n\n"
          "Examples:\n"
          "  faultline doctor                                   # the whole machine, every fault type\n"
          "  faultline doctor experiments/haproxy-weight-skew.yaml  # what this experiment needs");
      auto opts = std::make_shared<DoctorOptions>();
      app.add_option("file", opts->file, "experiment file (YAML); without it, every check")
          ->check(CLI::ExistingFile);
      app.add_option("--set", opts->sets, "override one field of the experiment, as for run");
      app.add_option("--registry", opts->registry, "run registry folder (for the subnets live runs hold)")
          ->capture_default_str();
      return [opts] { return doctor(*opts); };
    }}};

}  // namespace
}  // namespace faultline::cli
