#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "harness/common/result.h"
#include "harness/platform/unique_fd.h"

// Named network namespaces, made the way `ip netns add` makes them (so `ip
// netns exec` and `ip netns list` work on them), and a guard that moves the
// calling thread into one and back.
namespace faultline::platform {

inline constexpr const char* kNetnsDir = "/run/netns";

std::string netns_path(const std::string& name);

// Creates /run/netns/<name> holding a new, empty network namespace. Fails if
// the name is taken: an existing namespace is never reused or replaced.
Status create_named_netns(const std::string& name);

// Unmounts and removes /run/netns/<name>. The namespace itself goes away
// once no process lives in it any more. An absent name counts as deleted.
Status delete_named_netns(const std::string& name);

Result<UniqueFd> open_named_netns(const std::string& name);
// The network namespace of process `pid` (/proc/<pid>/ns/net), e.g. a
// container's first process. Open it when it is needed: a restart gives a
// container a new namespace, so a descriptor kept from earlier is stale.
Result<UniqueFd> open_netns_of(int pid);

// Names in /run/netns (empty when the directory does not exist).
std::vector<std::string> list_named_netns();

// Identity of a network namespace (what /proc/<pid>/ns/net points to).
struct NetnsId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const NetnsId& other) const { return dev == other.dev && ino == other.ino; }
};
Result<NetnsId> netns_id_of_path(const std::string& path);

// Moves the calling thread into a network namespace; the destructor moves it
// back to where it was, on every path out of the scope. If returning fails
// the process aborts: a thread silently left in the wrong namespace would
// make every later network operation act on the wrong stack.
class NetnsGuard {
 public:
  NetnsGuard() = default;
  NetnsGuard(const NetnsGuard&) = delete;
  NetnsGuard& operator=(const NetnsGuard&) = delete;
  ~NetnsGuard();

  Status enter(int netns_fd);

 private:
  UniqueFd original_;
};

// Runs `fn` with the calling thread inside the namespace, then returns.
Status run_in_netns(int netns_fd, const std::function<Status()>& fn);

}  // namespace faultline::platform
