// A container's own cgroup changed in place and put back
// (platform/cgroup_edit.h), and finding the group a process is in
// (cgroup_of_process), against a fixture tree of plain files.

#include "harness/platform/cgroup_edit.h"

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/common/scratch_dir.h"
#include "harness/platform/cgroup.h"

namespace faultline::platform {
namespace {

namespace fs = std::filesystem;

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void put(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

// Writes as cgroupfs reads them: the whole value replaces the file's (a
// plain file opened without O_TRUNC would keep a longer old value's tail);
// a value in `refused` fails as the kernel's EINVAL would.
class FixtureHost final : public CgroupHost {
 public:
  explicit FixtureHost(const std::string& dir) {
    mountinfo = dir + "/mountinfo";
    fs_root = dir;
    proc = dir + "/proc";
  }
  Status write(const std::string& path, const std::string& value) const override {
    if (!fs::exists(path)) {
      return Error{"cannot open " + path + ": No such file or directory"};
    }
    if (value == refused) {
      return Error{fmt::format("cannot write '{}' to {}: Invalid argument", value, path)};
    }
    writes.push_back(fs::path(path).filename().string() + "=" + value);
    std::ofstream(path, std::ios::trunc) << value << "\n";
    return {};
  }
  std::string refused = "refuse-me";
  mutable std::vector<std::string> writes;  // "<file>=<value>", in order
};

// cgroup v1 as on this host: a container's groups under docker/<id>.
struct V1Fixture {
  ScratchDir dir{"faultline-cgroup-edit-test"};
  FixtureHost host{dir.path()};
  std::string cpu = dir.path() + "/sys/fs/cgroup/cpu,cpuacct";
  std::string container = cpu + "/docker/8f21c0ffee";
  std::string record = dir.path() + "/web1/cgroup-originals.cpu";

  V1Fixture() {
    put(host.mountinfo,
        "22 1 259:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
        "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
        "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n");
    put(cpu + "/cgroup.procs", "1\n");
    put(container + "/cgroup.procs", "4242\n4250\n");
    put(container + "/cpu.cfs_quota_us", "-1\n");
    put(container + "/cpu.cfs_period_us", "100000\n");
    put(dir.path() + "/sys/fs/cgroup/memory/docker/8f21c0ffee/memory.limit_in_bytes",
        "9223372036854771712\n");
    put(host.proc + "/4242/cgroup", "4:memory:/docker/8f21c0ffee\n2:cpu,cpuacct:/docker/8f21c0ffee\n0::/\n");
    put(host.proc + "/1/cgroup", "4:memory:/\n2:cpu,cpuacct:/\n0::/\n");
    fs::create_directories(dir.path() + "/web1");
  }
};

TEST_CASE("edits write each original back, the last file first, and keep a record only while changed",
          "[platform][cgroup]") {
  V1Fixture f;
  CgroupFileEdits edits(CgroupVersion::v1, f.container, f.record, f.host);
  CHECK_FALSE(edits.changed());
  REQUIRE(edits.write("cpu.cfs_period_us", "100000").ok());
  REQUIRE(edits.write("cpu.cfs_quota_us", "5000").ok());
  CHECK(slurp(f.container + "/cpu.cfs_quota_us") == "5000\n");
  CHECK(edits.changed());
  // The record names each control file and what it held, newline gone.
  CHECK(slurp(f.record) ==
        f.container + "/cpu.cfs_period_us\t100000\n" + f.container + "/cpu.cfs_quota_us\t-1\n");
  REQUIRE(edits.written().size() == 2);
  CHECK(edits.written()[1].original == "-1");
  CHECK(edits.written()[1].value == "5000");

  // A second write of a file keeps the original from before the first.
  REQUIRE(edits.write("cpu.cfs_quota_us", "2000").ok());
  CHECK(edits.written().back().original == "-1");

  f.host.writes.clear();
  REQUIRE(edits.restore().ok());
  CHECK(f.host.writes == std::vector<std::string>{"cpu.cfs_quota_us=-1", "cpu.cfs_period_us=100000"});
  CHECK(slurp(f.container + "/cpu.cfs_quota_us") == "-1\n");
  CHECK_FALSE(edits.changed());
  CHECK_FALSE(fs::exists(f.record));
  // Nothing left to do: a second restore writes nothing.
  REQUIRE(edits.restore().ok());
  CHECK(f.host.writes.size() == 2);
  // What was done is still there for the journal.
  CHECK(edits.written().size() == 3);
}

TEST_CASE("a refused write changes nothing and leaves no record, and a failed restore can be retried",
          "[platform][cgroup]") {
  V1Fixture f;
  CgroupFileEdits edits(CgroupVersion::v1, f.container, f.record, f.host);
  const auto st = edits.write("cpu.cfs_quota_us", "refuse-me");
  REQUIRE_FALSE(st.ok());
  CHECK_THAT(st.error().message, Catch::Contains("Invalid argument"));
  CHECK_FALSE(edits.changed());
  CHECK(slurp(f.record).empty());

  REQUIRE(edits.write("cpu.cfs_quota_us", "5000").ok());
  // The original itself is refused once: the first restore fails and keeps
  // it pending (and recorded); the next one puts it back.
  f.host.refused = "-1";
  REQUIRE_FALSE(edits.restore().ok());
  CHECK(edits.changed());
  CHECK(slurp(f.record) == f.container + "/cpu.cfs_quota_us\t-1\n");
  f.host.refused.clear();
  REQUIRE(edits.restore().ok());
  CHECK(slurp(f.container + "/cpu.cfs_quota_us") == "-1\n");
  CHECK_FALSE(fs::exists(f.record));
}

TEST_CASE("a missing control file is an error naming it, before anything is written", "[platform][cgroup]") {
  V1Fixture f;
  CgroupFileEdits edits(CgroupVersion::v1, f.container, "", f.host);
  const auto st = edits.write("cpu.max", "5000 100000");
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message == "cannot read " + f.container + "/cpu.max");
  CHECK(f.host.writes.empty());
  CHECK_FALSE(edits.has("cpu.max"));
  CHECK(edits.has("cpu.cfs_quota_us"));
}

TEST_CASE("the group of a container's process is found per controller, and the root group is refused",
          "[platform][cgroup]") {
  V1Fixture f;
  const auto cpu = cgroup_of_process(4242, "cpu", f.host);
  REQUIRE(cpu.ok());
  CHECK(cpu->version == CgroupVersion::v1);
  CHECK(cpu->dir == f.container);
  const auto memory = cgroup_of_process(4242, "memory", f.host);
  REQUIRE(memory.ok());
  CHECK(memory->dir == f.dir.path() + "/sys/fs/cgroup/memory/docker/8f21c0ffee");

  const auto root = cgroup_of_process(1, "cpu", f.host);
  REQUIRE_FALSE(root.ok());
  CHECK_THAT(root.error().message, Catch::Contains("root group of the cpu hierarchy"));
  const auto gone = cgroup_of_process(999, "cpu", f.host);
  REQUIRE_FALSE(gone.ok());
  CHECK_THAT(gone.error().message, Catch::Contains("process 999 is gone"));
  const auto none = cgroup_of_process(4242, "io", f.host);
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().message == "no cgroup hierarchy (v1 or v2) offers the io controller");
}

TEST_CASE("on cgroup v2 the group is the one the process's 0:: line names", "[platform][cgroup]") {
  ScratchDir dir("faultline-cgroup-edit-test");
  FixtureHost host(dir.path());
  put(host.mountinfo,
      "31 23 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
      "rw,nsdelegate\n");
  const std::string root = dir.path() + "/sys/fs/cgroup";
  put(root + "/cgroup.controllers", "cpuset cpu io memory pids\n");
  put(root + "/system.slice/docker-8f21.scope/cpu.max", "max 100000\n");
  put(host.proc + "/4242/cgroup", "0::/system.slice/docker-8f21.scope\n");
  const auto group = cgroup_of_process(4242, "cpu", host);
  REQUIRE(group.ok());
  CHECK(group->version == CgroupVersion::v2);
  CHECK(group->dir == root + "/system.slice/docker-8f21.scope");

  CgroupFileEdits edits(group->version, group->dir, "", host);
  REQUIRE(edits.write("cpu.max", "5000 100000").ok());
  REQUIRE(edits.restore().ok());
  CHECK(slurp(group->dir + "/cpu.max") == "max 100000\n");
}

}  // namespace
}  // namespace faultline::platform
