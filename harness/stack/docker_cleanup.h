#pragma once

// The docker runtime's part of `faultline cleanup`: the containers and
// networks of runs that ended without a teardown (SIGKILL, crash), found
// through the Engine API by the run label every one of them carries
// (docker_spec.h). cleanup.cpp calls it before it removes the runs'
// registry directories, which the containers have mounted.

#include <functional>
#include <set>
#include <string>

#include "harness/stack/cleanup.h"

namespace faultline::stack::docker {

// Which runs a sweep may touch, as cleanup_stale_runs has sorted them from
// its registry.
struct SweepScope {
  // The cleanup's filter: runs outside it are never looked at.
  std::function<bool(const std::string& run_id)> wanted;
  // Registered runs whose owner is alive: never touched.
  std::set<std::string> live;
  // Registered runs whose owner is dead: swept.
  std::set<std::string> stale;
};

// Removes the containers, then the networks, of every stale run: those of
// `scope.stale`, and those of runs this registry does not know (another
// registry folder, or a directory already removed) when the owner their
// labels name (kOwnerLabel) has exited. A run is kept whole when any of its
// containers or networks names a live owner, or when none names an owner at
// all (nothing says the run is over). Only what carries faultline's run
// label is ever looked at. When no daemon answers at `socket` there is
// nothing to do, and nothing is said: cleanup never starts one.
void sweep_stale_docker_runs(const std::string& socket, const SweepScope& scope, CleanupReport& report);

}  // namespace faultline::stack::docker
