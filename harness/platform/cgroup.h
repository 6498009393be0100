#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/result.h"

// Per-service control groups for the process faults (cpu_limit,
// memory_limit). Works on cgroup v2 when the unified hierarchy offers the
// controller, else on the v1 hierarchy of that controller (this machine is
// hybrid: v1 cpu and memory, a v2 tree without controllers).
namespace faultline::platform {

enum class CgroupVersion { v1, v2 };

// Where the cgroup code finds the machine's hierarchies, and how it changes
// them. The defaults are this machine's. A test points the paths at a
// fixture tree and overrides the three operations in which cgroupfs is not
// a plain filesystem (tests/faults/cgroup_v2_test.cpp): this host mounts
// cgroup v1, and the v2 path must be tested too.
struct CgroupHost {
  CgroupHost() = default;
  CgroupHost(const CgroupHost&) = delete;
  CgroupHost& operator=(const CgroupHost&) = delete;
  virtual ~CgroupHost() = default;

  // Which hierarchies are mounted where.
  std::string mountinfo = "/proc/self/mountinfo";
  // Put before every mount point mountinfo names; empty on the machine.
  std::string fs_root;
  // Where <pid>/cgroup (a process's groups) and <pid>/stat are read.
  std::string proc = "/proc";

  // Writes a control file. On cgroup.procs the kernel moves the process
  // out of its old group; on cgroup.subtree_control it refuses (EBUSY) a
  // v2 group that holds processes itself.
  virtual Status write(const std::string& path, const std::string& value) const;
  // mkdir: the kernel fills a new group with the control files of its
  // controllers (on v2, those its parent's subtree_control hands down).
  // 0 or an errno.
  virtual int make_dir(const std::string& path) const;
  // rmdir: the kernel removes a group with its control files, but refuses
  // (EBUSY) while the group holds a process. 0 or an errno.
  virtual int remove_dir(const std::string& path) const;
};

// The host the process faults and `faultline cleanup` use: this machine,
// unless a ScopedCgroupHost says otherwise.
const CgroupHost& cgroup_host();

// For tests: makes cgroup_host() return `host` while it lives.
class ScopedCgroupHost {
 public:
  explicit ScopedCgroupHost(const CgroupHost& host);
  ScopedCgroupHost(const ScopedCgroupHost&) = delete;
  ScopedCgroupHost& operator=(const ScopedCgroupHost&) = delete;
  ~ScopedCgroupHost();

 private:
  const CgroupHost* previous_;
};

// One mounted hierarchy.
struct CgroupHierarchy {
  CgroupVersion version = CgroupVersion::v1;
  std::string mount_point;  // absolute, the host's fs_root included
  std::string root;         // the part of the hierarchy this mount shows ("/" usually)
};

// The hierarchy that offers `controller`: v2 when the unified tree has it
// (a pure v2 host, or a hybrid one that moved the controller there), else
// the v1 hierarchy mounted for it; nullopt when none does.
std::optional<CgroupHierarchy> cgroup_hierarchy_for(const std::string& controller,
                                                    const CgroupHost& host = cgroup_host());

// The group a process is in for one controller.
struct ProcessCgroup {
  CgroupVersion version = CgroupVersion::v1;
  std::string dir;  // absolute, the host's fs_root included
};

// The group `pid` is in for `controller` (a container's own: on cgroup v1
// /sys/fs/cgroup/<controller>/docker/<id>, on v2 the group its
// /proc/<pid>/cgroup line names). An error when no hierarchy offers the
// controller, when the process is gone, or when it sits in the hierarchy's
// root group: a limit written there would be the whole machine's.
Result<ProcessCgroup> cgroup_of_process(pid_t pid, const std::string& controller,
                                        const CgroupHost& host = cgroup_host());

// One group made for one service of one run, named
// faultline-<run id>-<service> so that `faultline cleanup` can find it after
// a killed run. Holds every process of the service's process group while it
// exists; remove() moves them back to where they came from and deletes the
// group, and is idempotent.
class ServiceCgroup {
 public:
  ServiceCgroup() = default;

  // Makes the group for `controller` ("cpu", "memory"), beside the group the
  // service's leader is in now (so a harness that is itself confined keeps
  // its confinement), or under the hierarchy root when that is refused.
  // `host` must outlive the group.
  static Result<ServiceCgroup> create(const std::string& controller, const std::string& run_id,
                                      const std::string& service, pid_t leader,
                                      const CgroupHost& host = cgroup_host());

  // Writes a control file of the group, e.g. "cpu.cfs_quota_us".
  Status write(const std::string& file, const std::string& value) const;
  Result<std::string> read(const std::string& file) const;
  // Whether the group has the control file (memory.swap.max is missing
  // without swap accounting).
  bool has(const std::string& file) const;

  // Moves every process of the process group `pgid` (a server's master and
  // its workers) into the group.
  Status adopt_process_group(pid_t pgid) const;

  // Moves every process back to the group the leader came from, then
  // removes the group. Safe to call twice or on an empty object.
  Status remove();

  bool exists() const { return !path_.empty(); }
  CgroupVersion version() const { return version_; }
  const std::string& path() const { return path_; }
  const std::string& origin() const { return origin_; }

 private:
  const CgroupHost* host_ = nullptr;
  CgroupVersion version_ = CgroupVersion::v1;
  std::string path_;    // absolute directory of the group
  std::string origin_;  // absolute directory the processes came from
};

// The name of a run's group for a service.
std::string cgroup_name(const std::string& run_id, const std::string& service);

// Pids of the live processes whose process group is `pgid` (from the
// host's /proc).
std::vector<pid_t> processes_in_group(pid_t pgid, const CgroupHost& host = cgroup_host());

// Pids listed in a group's cgroup.procs.
std::vector<pid_t> cgroup_members(const std::string& dir);

// Every faultline-<run id>-* group on the machine (all hierarchies), as
// absolute paths.
std::vector<std::string> find_run_cgroups(const CgroupHost& host = cgroup_host());

// Removes the groups of runs for which `is_stale(run_id)` is true: their
// processes go to the parent group, the group is deleted. Returns one line
// per removed group; problems go to `errors`.
std::vector<std::string> remove_stale_cgroups(const std::function<bool(const std::string& run_id)>& is_stale,
                                              std::vector<std::string>& errors,
                                              const CgroupHost& host = cgroup_host());

}  // namespace faultline::platform
