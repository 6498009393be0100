#pragma once

#include <memory>
#include <string>

#include "harness/common/result.h"
#include "harness/experiment/model.h"
#include "harness/stack/stack.h"

namespace faultline::stack {

// The seam between the runner and whatever runs the stack. The runner asks
// it for a run identity, a stack that is up and, at the end, to release the
// identity; everything else goes through RunningStack. The network-namespace
// runtime is the real one; tests give the runner a fake that serves the
// stack from loopback, so the runner's own logic (failed injects and
// reverts, crashes, the gate, aborts, the tail) is tested without root.
class StackRuntime {
 public:
  virtual ~StackRuntime() = default;

  // A fresh run: its id and its own folder under `registry_dir`.
  virtual Result<RunIdentity> create_run(const std::string& registry_dir) = 0;

  // Brings the stack of `exp` up; on failure nothing it made is left.
  virtual Result<std::unique_ptr<RunningStack>> bring_up(const experiment::Experiment& exp,
                                                         const RunIdentity& id,
                                                         const ProgressFn& progress) = 0;

  // After teardown: forgets the run.
  virtual void release_run(const RunIdentity& id) = 0;
};

// Network namespaces, veths and a bridge on this machine (needs root):
// netns_runtime.cpp.
StackRuntime& netns_runtime();
// Its bring-up, for its own tests: bridge, namespaces, veths, addresses,
// rendered configs, processes; waits until every service answers HTTP
// (bounded). On failure everything made so far is removed before the error
// is returned.
Result<std::unique_ptr<RunningStack>> netns_bring_up(const experiment::Experiment& exp, const RunIdentity& id,
                                                     const ProgressFn& progress = {});

// Containers from each service's image on a Docker network of the run's
// own, through the Docker Engine API at `socket`: docker_runtime.cpp.
StackRuntime& docker_runtime();
// Its bring-up: network, rendered configs, one container per service;
// waits until every service answers HTTP from the host. On failure every
// container and the network are removed before the error is returned.
Result<std::unique_ptr<RunningStack>> docker_bring_up(const experiment::Experiment& exp,
                                                      const RunIdentity& id, const ProgressFn& progress = {},
                                                      const std::string& socket = "/var/run/docker.sock");

// Attaches to the running Compose project `stack.project` through the
// Docker Engine API at `socket`: compose_runtime.cpp. It creates and
// removes no container; faults are applied to the project's containers and
// reverted, and teardown puts back any config file still changed.
StackRuntime& compose_runtime();
// Its bring-up: the containers of each service found by their Compose
// labels (a refusal, listing what exists, when the project is not running
// or a service is missing), and the plan from their addresses on the
// project's network.
Result<std::unique_ptr<RunningStack>> compose_bring_up(const experiment::Experiment& exp,
                                                       const RunIdentity& id, const ProgressFn& progress = {},
                                                       const std::string& socket = "/var/run/docker.sock");

// The runtime an experiment's `stack.runtime` names, or nullptr. A new
// runtime is its own files plus one line in runtimes.cpp; the runner asks
// only this.
StackRuntime* runtime_named(const std::string& name);

}  // namespace faultline::stack
