#include "harness/platform/cgroup.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "harness/common/text.h"

namespace faultline::platform {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using Hierarchy = CgroupHierarchy;

const CgroupHost kMachine{};
const CgroupHost* current_host = &kMachine;

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, sep)) {
    parts.push_back(part);
  }
  return parts;
}

// Every cgroup mount of the host's mountinfo (this mount namespace's).
struct CgroupMount {
  Hierarchy hierarchy;
  std::vector<std::string> controllers;  // v1: from the super options; v2: cgroup.controllers
};

std::vector<CgroupMount> cgroup_mounts(const CgroupHost& host) {
  std::vector<CgroupMount> mounts;
  std::ifstream in(host.mountinfo);
  std::string line;
  while (std::getline(in, line)) {
    const auto dash = line.find(" - ");
    if (dash == std::string::npos) {
      continue;
    }
    const auto left = split(line.substr(0, dash), ' ');
    const auto right = split(line.substr(dash + 3), ' ');
    if (left.size() < 5 || right.size() < 3) {
      continue;
    }
    CgroupMount m;
    m.hierarchy.root = left[3];
    m.hierarchy.mount_point = host.fs_root + left[4];
    if (right[0] == "cgroup") {
      m.hierarchy.version = CgroupVersion::v1;
      m.controllers = split(right[2], ',');
    } else if (right[0] == "cgroup2") {
      m.hierarchy.version = CgroupVersion::v2;
      std::istringstream names(read_text(m.hierarchy.mount_point + "/cgroup.controllers"));
      std::string name;
      while (names >> name) {
        m.controllers.push_back(name);
      }
    } else {
      continue;
    }
    mounts.push_back(std::move(m));
  }
  return mounts;
}

// The directory of the group `pid` is in, within hierarchy `h`.
std::string group_dir_of(pid_t pid, const std::string& controller, const Hierarchy& h,
                         const CgroupHost& host) {
  std::ifstream in(fmt::format("{}/{}/cgroup", host.proc, pid));
  std::string line;
  while (std::getline(in, line)) {
    // "<id>:<controllers>:<path>"; v2's line is "0::<path>".
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) {
      continue;
    }
    const auto controllers = split(line.substr(first + 1, second - first - 1), ',');
    const bool match = h.version == CgroupVersion::v2 ? controllers.empty()
                                                      : std::find(controllers.begin(), controllers.end(),
                                                                  controller) != controllers.end();
    if (!match) {
      continue;
    }
    std::string path = line.substr(second + 1);
    // A mount that shows only a subtree (a container) sees paths relative
    // to that subtree; outside it, only the mount's own root is reachable.
    if (h.root != "/") {
      if (path.rfind(h.root, 0) != 0) {
        return h.mount_point;
      }
      path = path.substr(h.root.size());
    }
    // Without a trailing '/' (the root group's path is "/"), so that the
    // root compares equal to the mount point.
    fs::path dir = fs::path(h.mount_point + path).lexically_normal();
    if (!dir.has_filename()) {
      dir = dir.parent_path();
    }
    std::error_code ec;
    return fs::is_directory(dir, ec) ? dir.string() : h.mount_point;
  }
  return h.mount_point;
}

}  // namespace

Status CgroupHost::write(const std::string& path, const std::string& value) const {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return Error{fmt::format("cannot open {}: {}", path, std::strerror(errno))};
  }
  const ssize_t n = ::write(fd, value.data(), value.size());
  const int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(value.size())) {
    return Error{fmt::format("cannot write '{}' to {}: {}", value, path, std::strerror(err))};
  }
  return {};
}

int CgroupHost::make_dir(const std::string& path) const {
  return ::mkdir(path.c_str(), 0755) == 0 ? 0 : errno;
}

int CgroupHost::remove_dir(const std::string& path) const {
  return ::rmdir(path.c_str()) == 0 ? 0 : errno;
}

const CgroupHost& cgroup_host() {
  return *current_host;
}

ScopedCgroupHost::ScopedCgroupHost(const CgroupHost& host) : previous_(current_host) {
  current_host = &host;
}

ScopedCgroupHost::~ScopedCgroupHost() {
  current_host = previous_;
}

namespace {

bool has_controller_files(const std::string& dir, const std::string& controller) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().filename().string().rfind(controller + ".", 0) == 0) {
      return true;
    }
  }
  return false;
}

// Makes `parent`/`name` with `controller` available in it; on v2 the
// parent must first hand the controller down to its children.
Status make_group(const CgroupHost& host, const Hierarchy& h, const std::string& parent,
                  const std::string& name, const std::string& controller) {
  if (h.version == CgroupVersion::v2) {
    const auto enabled = split(read_text(parent + "/cgroup.subtree_control"), ' ');
    bool on = false;
    for (auto e : enabled) {
      while (!e.empty() && (e.back() == '\n')) {
        e.pop_back();
      }
      on = on || e == controller;
    }
    if (!on) {
      if (auto st = host.write(parent + "/cgroup.subtree_control", "+" + controller); !st) {
        return st;
      }
    }
  }
  const std::string dir = parent + "/" + name;
  if (const int err = host.make_dir(dir); err != 0 && err != EEXIST) {
    return Error{fmt::format("cannot create cgroup {}: {}", dir, std::strerror(err))};
  }
  if (!has_controller_files(dir, controller)) {
    host.remove_dir(dir);
    return Error{fmt::format("cgroup {} has no {} controller files", dir, controller)};
  }
  return {};
}

// Moves `pids` into `dir`; returns the first failure but moves all it can.
Status move_all(const CgroupHost& host, const std::vector<pid_t>& pids, const std::string& dir) {
  Status result;
  for (pid_t pid : pids) {
    if (auto st = host.write(dir + "/cgroup.procs", std::to_string(pid)); !st) {
      // A process that exited meanwhile is no failure.
      std::error_code ec;
      if (fs::exists(fmt::format("{}/{}", host.proc, pid), ec)) {
        result = st;
      }
    }
  }
  return result;
}

// Empties a group into `destination` (or, failing that, `fallback`) and
// deletes it. A group whose last process is still exiting refuses rmdir
// for a moment (EBUSY), hence the retries.
Status empty_and_remove(const CgroupHost& host, const std::string& dir, const std::string& destination,
                        const std::string& fallback) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    return {};
  }
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (true) {
    const auto members = cgroup_members(dir);
    if (!members.empty() && !move_all(host, members, destination)) {
      move_all(host, members, fallback);
    }
    const int err = host.remove_dir(dir);
    if (err == 0 || err == ENOENT) {
      return {};
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return Error{fmt::format("cannot remove cgroup {}: {}", dir, std::strerror(err))};
    }
    std::this_thread::sleep_for(20ms);
  }
}

}  // namespace

std::string cgroup_name(const std::string& run_id, const std::string& service) {
  return fmt::format("faultline-{}-{}", run_id, service);
}

std::optional<CgroupHierarchy> cgroup_hierarchy_for(const std::string& controller, const CgroupHost& host) {
  std::optional<Hierarchy> v1;
  for (const auto& m : cgroup_mounts(host)) {
    const bool has = std::find(m.controllers.begin(), m.controllers.end(), controller) != m.controllers.end();
    if (!has) {
      continue;
    }
    if (m.hierarchy.version == CgroupVersion::v2) {
      return m.hierarchy;
    }
    if (!v1) {
      v1 = m.hierarchy;
    }
  }
  return v1;
}

Result<ProcessCgroup> cgroup_of_process(pid_t pid, const std::string& controller, const CgroupHost& host) {
  const auto h = cgroup_hierarchy_for(controller, host);
  if (!h) {
    return Error{fmt::format("no cgroup hierarchy (v1 or v2) offers the {} controller", controller)};
  }
  std::error_code ec;
  if (!fs::exists(fmt::format("{}/{}/cgroup", host.proc, pid), ec)) {
    return Error{fmt::format("process {} is gone: no group of it to limit", pid)};
  }
  // group_dir_of answers the mount point for a process it cannot place.
  const std::string dir = group_dir_of(pid, controller, *h, host);
  if (fs::path(dir) == fs::path(h->mount_point)) {
    return Error{fmt::format(
        "process {} is in the root group of the {} hierarchy ({}): a limit there would be the machine's", pid,
        controller, h->mount_point)};
  }
  return ProcessCgroup{h->version, dir};
}

std::vector<pid_t> processes_in_group(pid_t pgid, const CgroupHost& host) {
  std::vector<pid_t> pids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(host.proc, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    // /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may hold
    // spaces and parentheses, so fields are counted after the last ')'.
    const std::string stat = read_text(entry.path().string() + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos) {
      continue;
    }
    std::istringstream fields(stat.substr(close + 1));
    std::string state;
    long ppid = 0;
    long pgrp = 0;
    if (fields >> state >> ppid >> pgrp && pgrp == pgid && state != "Z") {
      pids.push_back(static_cast<pid_t>(std::stol(name)));
    }
  }
  return pids;
}

std::vector<pid_t> cgroup_members(const std::string& dir) {
  std::vector<pid_t> pids;
  std::istringstream in(read_text(dir + "/cgroup.procs"));
  long pid = 0;
  while (in >> pid) {
    pids.push_back(static_cast<pid_t>(pid));
  }
  return pids;
}

Result<ServiceCgroup> ServiceCgroup::create(const std::string& controller, const std::string& run_id,
                                            const std::string& service, pid_t leader,
                                            const CgroupHost& host) {
  const auto h = cgroup_hierarchy_for(controller, host);
  if (!h) {
    return Error{fmt::format("no cgroup hierarchy (v1 or v2) offers the {} controller", controller)};
  }
  ServiceCgroup group;
  group.host_ = &host;
  group.version_ = h->version;
  group.origin_ = group_dir_of(leader, controller, *h, host);
  const std::string name = cgroup_name(run_id, service);
  // Beside the service's current group first; on v2 that is usually refused
  // (a group holding processes cannot hand controllers down), so the
  // hierarchy root comes next.
  std::string problems;
  for (const auto& parent : {group.origin_, h->mount_point}) {
    if (auto st = make_group(host, *h, parent, name, controller); st) {
      group.path_ = parent + "/" + name;
      return group;
    } else {
      problems += (problems.empty() ? "" : "; ") + st.error().message;
    }
    if (group.origin_ == h->mount_point) {
      break;
    }
  }
  return Error{problems};
}

Status ServiceCgroup::write(const std::string& file, const std::string& value) const {
  if (host_ == nullptr) {
    return Error{fmt::format("cannot write {}: no cgroup was made", file)};
  }
  return host_->write(path_ + "/" + file, value);
}

bool ServiceCgroup::has(const std::string& file) const {
  std::error_code ec;
  return !path_.empty() && fs::exists(path_ + "/" + file, ec);
}

Result<std::string> ServiceCgroup::read(const std::string& file) const {
  std::ifstream in(path_ + "/" + file);
  if (!in) {
    return Error{fmt::format("cannot read {}/{}", path_, file)};
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status ServiceCgroup::adopt_process_group(pid_t pgid) const {
  if (host_ == nullptr) {
    return Error{"no cgroup was made"};
  }
  const auto pids = processes_in_group(pgid, *host_);
  if (pids.empty()) {
    return Error{fmt::format("no process in process group {}", pgid)};
  }
  return move_all(*host_, pids, path_);
}

Status ServiceCgroup::remove() {
  if (path_.empty()) {
    return {};
  }
  const std::string parent = fs::path(path_).parent_path().string();
  auto st = empty_and_remove(*host_, path_, origin_, parent);
  if (st) {
    path_.clear();
  }
  return st;
}

std::vector<std::string> find_run_cgroups(const CgroupHost& host) {
  static const std::regex kName("faultline-[0-9a-f]{6}-.+");
  std::vector<std::string> found;
  std::set<std::string> seen;
  for (const auto& m : cgroup_mounts(host)) {
    if (!seen.insert(m.hierarchy.mount_point).second) {
      continue;
    }
    std::error_code ec;
    fs::recursive_directory_iterator it(m.hierarchy.mount_point, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_directory(ec)) {
        continue;
      }
      if (std::regex_match(it->path().filename().string(), kName)) {
        found.push_back(it->path().string());
        it.disable_recursion_pending();
      } else if (it.depth() >= 5) {
        it.disable_recursion_pending();
      }
    }
  }
  return found;
}

std::vector<std::string> remove_stale_cgroups(const std::function<bool(const std::string& run_id)>& is_stale,
                                              std::vector<std::string>& errors, const CgroupHost& host) {
  std::vector<std::string> removed;
  for (const auto& dir : find_run_cgroups(host)) {
    const std::string name = fs::path(dir).filename().string();
    const std::string run_id = name.substr(std::string("faultline-").size(), 6);
    if (!is_stale(run_id)) {
      continue;
    }
    const std::string parent = fs::path(dir).parent_path().string();
    if (auto st = empty_and_remove(host, dir, parent, parent); !st) {
      errors.push_back(st.error().message);
    } else {
      removed.push_back(fmt::format("cgroup {} (run {})", dir, run_id));
    }
  }
  return removed;
}

}  // namespace faultline::platform
