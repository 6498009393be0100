// faultline cleanup: removes what a killed run (SIGKILL, power loss) left.

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <set>

#include "harness/cli/command.h"
#include "harness/platform/cgroup.h"
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
  auto report = stack::cleanup_stale_runs(opts.registry);
  // Control groups of process faults live outside the namespaces. Once the
  // stale runs are gone, a run is live when its owner is alive or its
  // namespaces are still there (a live run of another registry folder).
  std::set<std::string> live;
  for (const auto& run : stack::list_runs(opts.registry)) {
    if (run.owner_alive) {
      live.insert(run.run_id);
    }
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("fl-", 0) == 0 && name.size() > 9) {
      live.insert(name.substr(3, 6));
    }
  }
  for (auto& line : platform::remove_stale_cgroups([&](const std::string& id) { return live.count(id) == 0; },
                                                   report.errors)) {
    report.removed.push_back(std::move(line));
  }
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

const CommandRegistration registration{
    Command{"cleanup", 40, [](CLI::App& app) -> std::function<int()> {
              app.description(
                  "Remove what runs that were killed without a chance to clean up (SIGKILL) left behind:\n"
                  "their processes, namespaces, links, control groups, firewall rules (the ACCEPT rule\n"
                  "a run adds for its bridge on a host where Docker runs) and files, and the containers\n"
                  "and network of runs on runtime docker (when a Docker daemon answers; found by the\n"
                  "label org.faultline.run). The containers of a Compose project a killed run attached to\n"
                  "are put back as found from the records in its folder (unpaused, started, their\n"
                  "namespaces, limits, configs and HAProxy servers restored), never removed. Runs whose\n"
                  "faultline process is still alive are never touched.");
              auto opts = std::make_shared<CleanupOptions>();
              app.add_option("--registry", opts->registry, "run registry folder")->capture_default_str();
              return [opts] { return cleanup(*opts); };
            }}};

}  // namespace
}  // namespace faultline::cli
