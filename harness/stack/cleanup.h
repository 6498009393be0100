#pragma once

#include <string>
#include <vector>

#include "harness/stack/run_registry.h"

namespace faultline::stack {

struct CleanupReport {
  std::vector<std::string> removed;  // one line per thing removed, naming its run
  std::vector<std::string> errors;
};

// Removes what runs whose owner is gone (SIGKILL, crash, power loss) left
// behind: processes living in their namespaces, their links, namespaces,
// the iptables rule that opened the host's FORWARD chain to their bridge
// (host_firewall.h) and registry directories. A run is stale when its owner
// process no longer exists (same pid and start time). Also sweeps links,
// namespaces and bridge rules named like a run's (flbr-<id>, flv-<id>-<n>,
// fl-<id>-<service>, comment "faultline:<id> owner=...") that no registry
// directory here accounts for, unless the owner named in their link alias
// or rule comment is alive. On a host where a Docker daemon answers, also
// removes the containers and networks of the docker runtime's stale runs,
// found by their run label (docker_cleanup.h), and puts the containers of
// a Compose project a stale run attached to back as found, from the undo
// records in its folder (compose_sweep.h); a folder whose records could not
// all be undone is kept for the next cleanup. Runs whose owner is alive
// are never touched.
CleanupReport cleanup_stale_runs(const std::string& base_dir = kDefaultRegistryDir);

// Limits a cleanup to some runs (tests that simulate a crash use it so they
// never race another test's leftovers); empty means every run.
struct CleanupFilter {
  std::vector<std::string> run_ids;
};
CleanupReport cleanup_stale_runs(const std::string& base_dir, const CleanupFilter& filter);
// The same, asking the Docker daemon at `docker_socket` (tests give a fake's).
CleanupReport cleanup_stale_runs(const std::string& base_dir, const CleanupFilter& filter,
                                 const std::string& docker_socket);

}  // namespace faultline::stack
