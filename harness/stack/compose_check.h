#pragma once

// runtime compose: what `faultline validate` (and the validation before a
// run) checks against the project as it runs, reading only: that it runs
// with every service named, that each HAProxy declares the runtime-API
// socket faultline must use on a container it cannot reconfigure, and
// that an nginx config a step edits is writable inside its container.

#include <string>

#include "harness/experiment/diagnostics.h"
#include "harness/experiment/model.h"

namespace faultline::stack::compose {

// Nothing on other runtimes. Without a daemon, or with the project not
// running, a warning: the file is valid, and the run refuses it at
// bring-up, listing what exists. A missing admin socket or a read-only
// config is an error at the service, naming the steps that need them.
void check_project(const experiment::Experiment& exp, experiment::Diagnostics& diags,
                   const std::string& socket = "/var/run/docker.sock");

}  // namespace faultline::stack::compose
