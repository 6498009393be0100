#pragma once

// A resource limit written into a container's own cgroup, for both
// container runtimes (docker_process.cpp, compose_process.cpp): the
// container's processes are in that group already, so there is nothing to
// move, and lift writes back the originals read before the first write.
// HostConfig never changes, which the Engine API's `update` could not
// promise (it cannot give an unlimited container its "no limit" back).

#include <memory>
#include <string>

#include "harness/common/result.h"
#include "harness/stack/service_hold.h"

namespace faultline::stack {

// The limit on the group of `controller` that the process `pid` (the
// container's first process) is in. `container` names the container in
// the journal's words; `record_path`, when not empty, keeps the originals
// while they are changed, so a run killed before its revert leaves what it
// takes to write them back.
Result<std::unique_ptr<ServiceLimit>> container_group_limit(int pid, const std::string& controller,
                                                            const std::string& container,
                                                            const std::string& record_path);

}  // namespace faultline::stack
