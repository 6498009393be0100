// faultline cleanup: removes what a killed run (SIGKILL, power loss) left.

#include <fmt/format.h>
#include <unistd.h>

#include <iostream>

#include "harness/cli/command.h"
#include "harness/stack/cleanup.h"

namespace faultline::cli {
namespace {

struct CleanupOptions {
  std::string registry = "/run/faultline";
};

int cleanup(const CleanupOptions& opts) {
  if (geteuid() != 0) {
    std::cerr << "faultline cleanup: needs root to remove namespaces and links\n";
    return 3;
  }
  const auto report = stack::cleanup_stale_runs(opts.registry);
  for (const auto& r : report.removed) {
    std::cout << "removed " << r << "\n";
  }
  for (const auto& e : report.errors) {
    std::cerr << "error: " << e << "\n";
  }
  if (report.removed.empty() && report.errors.empty()) {
    std::cout << "nothing to clean up\n";
  }
  return report.errors.empty() ? 0 : 3;
}

const CommandRegistration registration{Command{
    "cleanup", 40, [](CLI::App& app) -> std::function<int()> {
      app.description(
          "Remove what runs that were killed without a chance to clean up (SIGKILL) left behind:\n"
          "their processes, namespaces, links and files. Runs whose faultline process is still\n"
          "alive are never touched.");
      auto opts = std::make_shared<CleanupOptions>();
      app.add_option("--registry", opts->registry, "run registry folder")->capture_default_str();
      return [opts] { return cleanup(*opts); };
    }}};

}  // namespace
}  // namespace faultline::cli
