#pragma once

#include <functional>
#include <string>

#include "harness/common/result.h"

// A view of the machine in which /etc/hosts is another file: the stack's
// service names resolve to their addresses as in a Compose network. HAProxy
// and nginx resolve the names a team's config writes (`server api1
// api1:9000`) when they read it, so their check modes need this view too,
// not only the servers.
namespace faultline::platform {

// Runs `fn` on a thread of its own whose mount namespace shows
// `hosts_file` as /etc/hosts (programs it starts inherit the view) and,
// when `netns_fd` >= 0, inside that network namespace. The namespace goes
// with the thread; nothing of the host's mounts changes. Returns what `fn`
// returned, or why the view could not be made.
Status run_with_hosts(const std::string& hosts_file, int netns_fd, const std::function<Status()>& fn);

}  // namespace faultline::platform
