#pragma once

#include <string>
#include <vector>

#include "harness/common/result.h"
#include "harness/platform/cgroup.h"

// Control files of a group faultline did not make, changed in place and put
// back: a container's own group, whose limits a process fault sets without
// the Engine API's `update` (which cannot restore an unlimited container and
// would change its HostConfig).
namespace faultline::platform {

class CgroupFileEdits {
 public:
  // One control file written: what it held before and what went in.
  struct Edit {
    std::string file;  // e.g. "cpu.cfs_quota_us"
    std::string original;
    std::string value;
  };

  CgroupFileEdits() = default;
  // The group at `dir` (absolute) on a hierarchy of `version`. When
  // `record_path` is not empty, the originals are kept in that file while
  // they are changed ("<path of the control file>\t<original>" a line,
  // written before each change), so that a run killed before its revert
  // leaves what it takes to undo it (`faultline cleanup` reads it for an
  // attached Compose project's containers: stack/compose_undo.h); restore()
  // removes it. `host` must outlive the object.
  CgroupFileEdits(CgroupVersion version, std::string dir, std::string record_path,
                  const CgroupHost& host = cgroup_host());

  // Reads the file's value first (only the first time the file is written:
  // the original is what it held before the fault), then writes `value`.
  Status write(const std::string& file, const std::string& value);
  Result<std::string> read(const std::string& file) const;
  bool has(const std::string& file) const;

  // Writes every original back, the last file written first (cpu.cfs_quota_us
  // before cpu.cfs_period_us, the reverse of how they were set). Those put
  // back are forgotten, so a second call after a failure retries only the
  // rest; once none is left the record file is removed.
  Status restore();

  // Files changed and not yet put back.
  bool changed() const { return !pending_.empty(); }
  // Every file written so far, restored or not, in order.
  const std::vector<Edit>& written() const { return written_; }
  CgroupVersion version() const { return version_; }
  const std::string& dir() const { return dir_; }

 private:
  Status save_record() const;

  const CgroupHost* host_ = nullptr;
  CgroupVersion version_ = CgroupVersion::v1;
  std::string dir_;
  std::string record_path_;
  std::vector<Edit> written_;
  std::vector<Edit> pending_;  // not yet put back, in the order written
};

}  // namespace faultline::platform
