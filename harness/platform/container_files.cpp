#include "harness/platform/container_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <glob.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace faultline::platform {

namespace {

namespace fs = std::filesystem;

// glibc 2.36 (Debian 12) has no wrapper for openat2.
int openat2_call(int dirfd, const char* path, int flags) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC;
  // A magic link in the container (its /proc/<pid>/fd/...) would lead back
  // out of it; nothing faultline reaches there is one.
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

std::string reason(int err, const std::string& path) {
  if (err == ENOSYS) {
    return "this kernel has no openat2(2) (Linux 5.6 or later), which faultline needs to read a container's "
           "files without following its links onto the host";
  }
  if (err == EXDEV) {
    return fmt::format("{} leads through a /proc magic link, which faultline does not follow", path);
  }
  return std::strerror(err);
}

// The open file of `path`, or -1 with errno set: what glob's directory
// hooks need.
int open_raw(const std::string& path, int flags) {
  const auto in = split_container_path(path);
  if (!in) {
    return ::open(path.c_str(), flags | O_CLOEXEC);
  }
  UniqueFd root(::open(in->root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) {
    return -1;
  }
  return openat2_call(root.get(), in->inside.c_str(), flags);
}

void* glob_opendir(const char* name) {
  const int fd = open_raw(name, O_RDONLY | O_DIRECTORY);
  if (fd < 0) {
    return nullptr;
  }
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    const int err = errno;
    ::close(fd);
    errno = err;
  }
  return dir;
}

struct dirent* glob_readdir(void* dir) {
  return ::readdir(static_cast<DIR*>(dir));
}

void glob_closedir(void* dir) {
  ::closedir(static_cast<DIR*>(dir));
}

int glob_stat_as(const char* name, struct stat* out, int nofollow) {
  const int fd = open_raw(name, O_PATH | nofollow);
  if (fd < 0) {
    return -1;
  }
  const int rc = ::fstat(fd, out);
  const int err = errno;
  ::close(fd);
  errno = err;
  return rc;
}

int glob_stat(const char* name, struct stat* out) {
  return glob_stat_as(name, out, 0);
}
int glob_lstat(const char* name, struct stat* out) {
  return glob_stat_as(name, out, O_NOFOLLOW);
}

}  // namespace

std::string container_path(int pid, const std::string& inside) {
  return fmt::format("/proc/{}/root{}", pid, inside.empty() || inside.front() != '/' ? "/" + inside : inside);
}

std::optional<ContainerPath> split_container_path(const std::string& path) {
  constexpr std::string_view kProc = "/proc/";
  constexpr std::string_view kRoot = "/root";
  if (path.compare(0, kProc.size(), kProc) != 0) {
    return std::nullopt;
  }
  size_t end = kProc.size();
  while (end < path.size() && path[end] >= '0' && path[end] <= '9') {
    ++end;
  }
  if (end == kProc.size() || end - kProc.size() > 9 || path.compare(end, kRoot.size(), kRoot) != 0) {
    return std::nullopt;
  }
  const size_t rest = end + kRoot.size();
  if (rest < path.size() && path[rest] != '/') {
    return std::nullopt;  // "/proc/1/rootfs"
  }
  ContainerPath out;
  out.pid = std::stoi(path.substr(kProc.size(), end - kProc.size()));
  out.root = path.substr(0, rest);
  out.inside = rest == path.size() ? "/" : path.substr(rest);
  return out;
}

std::string lexically_normal_confined(const std::string& path) {
  if (const auto in = split_container_path(path)) {
    // Normalised inside the root, where "/.." is "/": a `..` cannot climb
    // out of /proc/<pid>/root into /proc/<pid>.
    return in->root + fs::path(in->inside).lexically_normal().string();
  }
  return fs::path(path).lexically_normal().string();
}

Result<UniqueFd> open_confined(const std::string& path, int flags) {
  UniqueFd fd(open_raw(path, flags));
  if (!fd.valid()) {
    const int err = errno;
    return Error{fmt::format("cannot open {}: {}", path, reason(err, path))};
  }
  return fd;
}

std::optional<struct stat> stat_confined(const std::string& path, bool follow) {
  struct stat st {};
  if (glob_stat_as(path.c_str(), &st, follow ? 0 : O_NOFOLLOW) != 0) {
    return std::nullopt;
  }
  return st;
}

bool is_regular_file_confined(const std::string& path) {
  const auto st = stat_confined(path);
  return st && S_ISREG(st->st_mode);
}

bool exists_confined(const std::string& path) {
  return stat_confined(path).has_value();
}

std::optional<std::string> read_confined(const std::string& path) {
  UniqueFd fd(open_raw(path, O_RDONLY));
  struct stat st {};
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return std::nullopt;
  }
  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return std::nullopt;
    }
    if (n == 0) {
      return text;
    }
    text.append(buf, static_cast<size_t>(n));
  }
}

Status write_in_place(const std::string& path, const std::string& text) {
  UniqueFd fd(open_raw(path, O_WRONLY));
  if (!fd.valid()) {
    const int err = errno;
    if (err == EROFS || err == EACCES) {
      return Error{fmt::format("{} is read-only ({}): faultline cannot change it", path, std::strerror(err))};
    }
    return Error{fmt::format("cannot open {} to write it: {}", path, reason(err, path))};
  }
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::pwrite(fd.get(), text.data() + done, text.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return Error{fmt::format("cannot write {}: {}", path, std::strerror(errno))};
    }
    done += static_cast<size_t>(n);
  }
  // Written first, cut after: a shorter text leaves no tail of the old one.
  if (::ftruncate(fd.get(), static_cast<off_t>(text.size())) != 0) {
    return Error{fmt::format("cannot truncate {}: {}", path, std::strerror(errno))};
  }
  return {};
}

Result<std::vector<std::string>> glob_confined(const std::string& pattern) {
  glob_t found{};
  int flags = 0;
  if (split_container_path(pattern)) {
    flags |= GLOB_ALTDIRFUNC;
    found.gl_opendir = glob_opendir;
    found.gl_readdir = glob_readdir;
    found.gl_closedir = glob_closedir;
    found.gl_stat = glob_stat;
    found.gl_lstat = glob_lstat;
  }
  const int rc = ::glob(pattern.c_str(), flags, nullptr, &found);
  std::vector<std::string> out;
  for (size_t i = 0; rc == 0 && i < found.gl_pathc; ++i) {
    out.emplace_back(found.gl_pathv[i]);
  }
  globfree(&found);
  if (rc != 0 && rc != GLOB_NOMATCH) {
    return Error{fmt::format("glob failed on {}", pattern)};
  }
  return out;
}

Result<SocketAddress> socket_address_confined(const std::string& path) {
  SocketAddress out;
  const auto in = split_container_path(path);
  if (!in) {
    out.path = path;
    return out;
  }
  const fs::path inside(in->inside);
  const std::string name = inside.filename().string();
  auto dir = open_confined(in->root + inside.parent_path().string(), O_PATH | O_DIRECTORY);
  if (!dir) {
    return dir.error();
  }
  struct stat st {};
  if (name.empty() || ::fstatat(dir->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return Error{fmt::format("no socket at {} in the container ({})", in->inside, std::strerror(errno))};
  }
  if (!S_ISSOCK(st.st_mode)) {
    return Error{fmt::format("{} in the container is {}, not a Unix socket", in->inside,
                             S_ISLNK(st.st_mode)
                                 ? "a symlink (faultline does not follow it out of the container)"
                                 : "another kind of file")};
  }
  out.path = fmt::format("/proc/self/fd/{}/{}", dir->get(), name);
  if (out.path.size() >= sizeof(sockaddr_un::sun_path)) {
    return Error{fmt::format("the socket name {} is too long for a Unix socket address", in->inside)};
  }
  out.hold = std::move(*dir);
  return out;
}

}  // namespace faultline::platform
