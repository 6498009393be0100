#pragma once

// A team's config as a server runs it, for every runtime that runs the
// copy own_config.h prepares (netns, docker): which of its files a reload
// may write, and the copy as it is now, so a checker's complaint names the
// team's file and line.

#include <string>

#include "harness/common/result.h"
#include "harness/stack/own_config.h"
#include "harness/stack/stack.h"

namespace faultline::stack {

// The copy of `inst`'s team config (inst.team_config, run from
// inst.config_path) with the text its files have now. HAProxy's copy is one
// file; nginx's copies sit in a folder mirroring the team's, and the rest
// of that folder are links, which are not part of it.
OwnConfigCopy copy_as_written(const ServiceInstance& inst);

// For a service run from a team's config (svc.own.config): prepares and
// writes the copy in `service_dir`, and fills `inst` with where it runs
// (config_path, team_config, runtime_socket, upstream_log, and the changes
// in words relative to `experiment_file`'s folder). Both runtimes that run
// the copy (netns, docker) start from this.
Result<OwnConfigCopy> run_own_copy(const experiment::Service& svc, const std::string& service_dir,
                                   const std::string& experiment_file, ServiceInstance& inst);

// `path` when a reload of service `service` may write it: a regular file
// (not a link to a team's file) inside the service's run folder
// `run_folder`. The error says which of the two it is not.
Result<std::string> writable_copy_file(const std::string& service, const std::string& run_folder,
                                       const std::string& path);

}  // namespace faultline::stack
