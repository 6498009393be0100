#pragma once

#include <string>

#include "harness/common/result.h"
#include "harness/platform/cgroup.h"

// What a process fault holds on a service until it reverts: a freeze, or a
// resource limit. RunningStack hands them out (stack.h), each runtime its
// own, so that the fault classes never learn how a service's processes are
// run: as faultline's children (netns) or inside a container (docker).
namespace faultline::stack {

// Something in force on a service's processes until released.
class ServiceHold {
 public:
  ServiceHold() = default;
  ServiceHold(const ServiceHold&) = delete;
  ServiceHold& operator=(const ServiceHold&) = delete;
  virtual ~ServiceHold() = default;

  // Undoes what the hold put in force. Safe to call again after it
  // succeeded; after a failure a second call tries again.
  virtual Status release() = 0;
  // How it was done, in the journal's words; still there after release.
  virtual std::string mechanism() const = 0;
};

// A resource limit: the control files of a cgroup the service's processes
// are charged to. On netns that is a group faultline makes for the fault
// and moves the service into; on docker the container's own group, whose
// files are changed in place and written back at lift.
class ServiceLimit {
 public:
  ServiceLimit() = default;
  ServiceLimit(const ServiceLimit&) = delete;
  ServiceLimit& operator=(const ServiceLimit&) = delete;
  virtual ~ServiceLimit() = default;

  // The hierarchy's version: it names the control files ("cpu.max" on v2,
  // "cpu.cfs_quota_us" on v1).
  virtual platform::CgroupVersion version() const = 0;
  // Writes a control file of the group, e.g. "cpu.cfs_quota_us".
  virtual Status write(const std::string& file, const std::string& value) = 0;
  virtual Result<std::string> read(const std::string& file) const = 0;
  // Whether the group has the control file (memory.swap.max is missing
  // without swap accounting).
  virtual bool has(const std::string& file) const = 0;
  // Puts the service's processes under the limits written so far. Called
  // once they are all written, so no process runs in the group unconfined.
  virtual Status enforce() = 0;
  // Lifts every limit written and leaves nothing of the fault behind.
  // Safe to call again after it succeeded.
  virtual Status lift() = 0;
  // Whether the limits are still in force (not lifted yet).
  virtual bool active() const = 0;
  // How the limit was set, in the journal's words, naming `file` (the
  // control file that carries the limit); still there after lift.
  virtual std::string mechanism(const std::string& file) const = 0;
};

}  // namespace faultline::stack
