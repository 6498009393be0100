#pragma once

#include <string>
#include <vector>

#include "harness/common/result.h"
#include "harness/platform/haproxy_runtime_api.h"

// What was set on a running HAProxy through its runtime API lives in that
// process only: a reload starts a process that knows nothing of it, so a
// drain or a weight change still in force would end silently at the next
// config rewrite. These read it off the old process as commands, to be run
// again on the new one once it has taken over.
namespace faultline::platform {

// For each server of `rows` (`show servers state`): `set server be/srv
// state maint` or `... state drain` when the runtime API forced that state
// (the forced bits of srv_admin_state; a state the config sets stays the
// config's), and `set weight be/srv N` when the weight in force differs
// from the config's (srv_uweight against srv_iweight).
std::vector<std::string> runtime_override_commands(const std::vector<HaproxyRuntimeApi::ServerRow>& rows);

// runtime_override_commands of every server `api` answers for.
Result<std::vector<std::string>> read_runtime_overrides(const HaproxyRuntimeApi& api);

// Runs `commands` on `api`; the first refusal is the error, naming it.
Status apply_runtime_overrides(const HaproxyRuntimeApi& api, const std::vector<std::string>& commands);

}  // namespace faultline::platform
