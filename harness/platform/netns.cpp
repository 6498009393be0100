#include "harness/platform/netns.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <system_error>
#include <thread>

namespace faultline::platform {
namespace {

std::string errno_text(int err) {
  return std::system_category().message(err);
}

// Mounts made on a namespace file must propagate to every mount namespace
// (so `ip netns` in another shell sees them), hence the shared mount that
// iproute2 also sets up; binding the directory onto itself makes it a
// mount point when it is not one yet.
Status make_netns_dir_shared() {
  static std::mutex mu;
  std::lock_guard lock(mu);
  if (::mkdir(kNetnsDir, 0755) != 0 && errno != EEXIST) {
    return Error{fmt::format("cannot create {}: {}", kNetnsDir, errno_text(errno))};
  }
  if (::mount("", kNetnsDir, "none", MS_SHARED | MS_REC, nullptr) == 0) {
    return {};
  }
  if (errno != EINVAL) {
    return Error{fmt::format("cannot make {} a shared mount: {}", kNetnsDir, errno_text(errno))};
  }
  if (::mount(kNetnsDir, kNetnsDir, "none", MS_BIND | MS_REC, nullptr) != 0) {
    return Error{fmt::format("cannot bind-mount {} onto itself: {}", kNetnsDir, errno_text(errno))};
  }
  if (::mount("", kNetnsDir, "none", MS_SHARED | MS_REC, nullptr) != 0) {
    return Error{fmt::format("cannot make {} a shared mount: {}", kNetnsDir, errno_text(errno))};
  }
  return {};
}

}  // namespace

std::string netns_path(const std::string& name) {
  return std::string(kNetnsDir) + "/" + name;
}

Status create_named_netns(const std::string& name) {
  if (auto st = make_netns_dir_shared(); !st) {
    return st;
  }
  const std::string path = netns_path(name);
  {
    UniqueFd placeholder(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0));
    if (!placeholder.valid()) {
      if (errno == EEXIST) {
        return Error{fmt::format("network namespace {} already exists", name)};
      }
      return Error{fmt::format("cannot create {}: {}", path, errno_text(errno))};
    }
  }
  // unshare() moves only the calling thread; a short-lived thread does it so
  // the caller's thread never changes namespace. The bind mount keeps the
  // namespace alive after that thread is gone.
  std::string failure;
  std::thread maker([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      failure = "unshare(CLONE_NEWNET): " + errno_text(errno);
      return;
    }
    if (::mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) != 0) {
      failure = fmt::format("bind-mount of the new namespace onto {}: {}", path, errno_text(errno));
    }
  });
  maker.join();
  if (!failure.empty()) {
    ::unlink(path.c_str());
    return Error{fmt::format("cannot create network namespace {}: {}", name, failure)};
  }
  return {};
}

Status delete_named_netns(const std::string& name) {
  const std::string path = netns_path(name);
  if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    return Error{fmt::format("cannot unmount {}: {}", path, errno_text(errno))};
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Error{fmt::format("cannot remove {}: {}", path, errno_text(errno))};
  }
  return {};
}

Result<UniqueFd> open_named_netns(const std::string& name) {
  const std::string path = netns_path(name);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return Error{fmt::format("cannot open network namespace {}: {}", path, errno_text(errno))};
  }
  return fd;
}

std::vector<std::string> list_named_netns() {
  std::vector<std::string> out;
  DIR* dir = ::opendir(kNetnsDir);
  if (dir == nullptr) {
    return out;
  }
  while (dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") {
      out.push_back(name);
    }
  }
  ::closedir(dir);
  return out;
}

Result<NetnsId> netns_id_of_path(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Error{fmt::format("cannot stat {}: {}", path, errno_text(errno))};
  }
  return NetnsId{st.st_dev, st.st_ino};
}

Status NetnsGuard::enter(int netns_fd) {
  if (!original_.valid()) {
    original_.reset(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!original_.valid()) {
      return Error{"cannot open the current network namespace: " + errno_text(errno)};
    }
  }
  if (::setns(netns_fd, CLONE_NEWNET) != 0) {
    return Error{"setns(CLONE_NEWNET): " + errno_text(errno)};
  }
  return {};
}

NetnsGuard::~NetnsGuard() {
  if (!original_.valid()) {
    return;
  }
  if (::setns(original_.get(), CLONE_NEWNET) != 0) {
    std::fprintf(stderr, "faultline: fatal: cannot return to the original network namespace: %s\n",
                 errno_text(errno).c_str());
    std::abort();
  }
}

Status run_in_netns(int netns_fd, const std::function<Status()>& fn) {
  NetnsGuard guard;
  if (auto st = guard.enter(netns_fd); !st) {
    return st;
  }
  return fn();
}

Result<UniqueFd> open_netns_of(int pid) {
  const std::string path = fmt::format("/proc/{}/ns/net", pid);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return Error{fmt::format("cannot open {}: {}", path, std::strerror(errno))};
  }
  return fd;
}

}  // namespace faultline::platform
