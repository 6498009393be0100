// The docker runtime's part of `faultline cleanup` (see docker_cleanup.h).

#include "harness/stack/docker_cleanup.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <vector>

#include "harness/platform/docker_api.h"
#include "harness/stack/docker_spec.h"
#include "harness/stack/names.h"
#include "harness/stack/run_registry.h"

namespace faultline::stack::docker {
namespace {

// What one run has on the daemon.
struct RunOnDaemon {
  std::vector<platform::ContainerSummary> containers;
  std::vector<platform::NetworkInfo> networks;
  std::vector<std::string> owners;  // kOwnerLabel of each, empty when absent
};

std::string label_of(const platform::Labels& labels, const std::string& key) {
  const auto it = labels.find(key);
  return it == labels.end() ? std::string{} : it->second;
}

// The run a labelled thing belongs to, when cleanup may look at that run:
// a label that is not a run id is not one faultline wrote.
std::string run_in_scope(const platform::Labels& labels, const SweepScope& scope) {
  const std::string id = label_of(labels, kRunLabel);
  if (!is_run_id(id) || (scope.wanted && !scope.wanted(id)) || scope.live.count(id) > 0) {
    return {};
  }
  return id;
}

bool is_stale(const std::string& run_id, const RunOnDaemon& run, const SweepScope& scope) {
  // A live owner wins even over this registry's word: another registry's
  // live run could have drawn the same id.
  if (std::any_of(run.owners.begin(), run.owners.end(),
                  [](const std::string& t) { return !t.empty() && owner_token_alive(t); })) {
    return false;
  }
  if (scope.stale.count(run_id) > 0) {
    return true;
  }
  // Unknown here and no owner named: made by a faultline that wrote no
  // owner label, perhaps still running with another registry folder.
  return std::any_of(run.owners.begin(), run.owners.end(), [](const std::string& t) { return !t.empty(); });
}

void remove_run(const platform::DockerApi& api, const std::string& run_id, const RunOnDaemon& run,
                CleanupReport& report) {
  // Containers first: a network with endpoints attached refuses to go.
  // A 404 is a thing already gone, by its own teardown or another cleanup.
  for (const auto& c : run.containers) {
    const std::string name = c.names.empty() ? c.id.substr(0, 12) : c.names.front();
    if (auto st = api.remove(c.id, true, true); st) {
      report.removed.push_back(fmt::format("run {}: container {}", run_id, name));
    } else if (!st.error().not_found()) {
      report.errors.push_back(fmt::format("run {}: {}", run_id, st.error().describe()));
    }
  }
  for (const auto& n : run.networks) {
    if (auto st = api.remove_network(n.id); st) {
      report.removed.push_back(fmt::format("run {}: Docker network {}", run_id, n.name));
    } else if (!st.error().not_found()) {
      report.errors.push_back(fmt::format("run {}: {}", run_id, st.error().describe()));
    }
  }
}

}  // namespace

void sweep_stale_docker_runs(const std::string& socket, const SweepScope& scope, CleanupReport& report) {
  // The ping on a short bound: a daemon that does not answer it at once is
  // treated as none, so a cleanup on a host without Docker stays quick.
  if (!platform::DockerApi(socket, std::chrono::seconds(2)).ping()) {
    return;
  }
  const platform::DockerApi api(socket, std::chrono::seconds(10));
  // The bare label: every faultline run's things, and nothing else.
  const std::vector<std::string> labelled = {kRunLabel};
  auto containers = api.list_containers(labelled);
  auto networks = api.list_networks(labelled);
  if (!containers || !networks) {
    report.errors.push_back((!containers ? containers.error() : networks.error()).describe() +
                            " (Docker leftovers not swept)");
    return;
  }
  std::map<std::string, RunOnDaemon> runs;
  for (auto& c : *containers) {
    if (const std::string id = run_in_scope(c.labels, scope); !id.empty()) {
      runs[id].owners.push_back(label_of(c.labels, kOwnerLabel));
      runs[id].containers.push_back(std::move(c));
    }
  }
  for (auto& n : *networks) {
    if (const std::string id = run_in_scope(n.labels, scope); !id.empty()) {
      runs[id].owners.push_back(label_of(n.labels, kOwnerLabel));
      runs[id].networks.push_back(std::move(n));
    }
  }
  for (const auto& [run_id, run] : runs) {
    if (is_stale(run_id, run, scope)) {
      remove_run(api, run_id, run, report);
    }
  }
}

}  // namespace faultline::stack::docker
