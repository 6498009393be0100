#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "harness/common/result.h"

// Per-service control groups for the process faults (cpu_limit,
// memory_limit). Works on cgroup v2 when the unified hierarchy offers the
// controller, else on the v1 hierarchy of that controller (this machine is
// hybrid: v1 cpu and memory, a v2 tree without controllers).
namespace faultline::faults {

enum class CgroupVersion { v1, v2 };

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
  static Result<ServiceCgroup> create(const std::string& controller, const std::string& run_id,
                                      const std::string& service, pid_t leader);

  // Writes a control file of the group, e.g. "cpu.cfs_quota_us".
  Status write(const std::string& file, const std::string& value) const;
  Result<std::string> read(const std::string& file) const;

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
  CgroupVersion version_ = CgroupVersion::v1;
  std::string path_;    // absolute directory of the group
  std::string origin_;  // absolute directory the processes came from
};

// The name of a run's group for a service.
std::string cgroup_name(const std::string& run_id, const std::string& service);

// Pids of the live processes whose process group is `pgid` (from /proc).
std::vector<pid_t> processes_in_group(pid_t pgid);

// Pids listed in a group's cgroup.procs.
std::vector<pid_t> cgroup_members(const std::string& dir);

// Every faultline-<run id>-* group on the machine (all hierarchies), as
// absolute paths.
std::vector<std::string> find_run_cgroups();

// Removes the groups of runs for which `is_stale(run_id)` is true: their
// processes go to the parent group, the group is deleted. Returns one line
// per removed group; problems go to `errors`.
std::vector<std::string> remove_stale_cgroups(const std::function<bool(const std::string& run_id)>& is_stale,
                                              std::vector<std::string>& errors);

}  // namespace faultline::faults
