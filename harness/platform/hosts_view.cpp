#include "harness/platform/hosts_view.h"

#include <fmt/format.h>
#include <sched.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace faultline::platform {

Status run_with_hosts(const std::string& hosts_file, int netns_fd, const std::function<Status()>& fn) {
  Status result;
  // A thread of its own: unsharing the mount namespace (and with it the
  // thread's filesystem attributes) is allowed for one thread of a
  // threaded process, and the namespace dies with the thread, so the
  // caller's view never changes.
  std::thread worker([&] {
    auto fail = [&](const char* what) {
      result = Error{fmt::format("cannot show the stack's hosts file as /etc/hosts: {}: {}", what,
                                 std::strerror(errno))};
    };
    if (::unshare(CLONE_NEWNS) != 0) {
      return fail("unshare(CLONE_NEWNS)");
    }
    // A slave first: the bind mount below must not propagate to the host
    // when "/" is shared (systemd makes it so).
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) {
      return fail("mount --make-rslave /");
    }
    if (::mount(hosts_file.c_str(), "/etc/hosts", nullptr, MS_BIND, nullptr) != 0) {
      return fail(("mount --bind " + hosts_file + " /etc/hosts").c_str());
    }
    if (netns_fd >= 0 && ::setns(netns_fd, CLONE_NEWNET) != 0) {
      return fail("setns(CLONE_NEWNET)");
    }
    result = fn();
  });
  worker.join();
  return result;
}

}  // namespace faultline::platform
