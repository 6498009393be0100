// The cgroup code of cpu_limit and memory_limit against fixture trees: the
// choice of hierarchy from mountinfo (v2-only, v1-only and hybrid hosts),
// and the v2 path end to end through the faults. This host mounts cgroup v1,
// so without a fixture the v2 path would never run here.
//
// FixtureHost stands in for the kernel where cgroupfs is not a plain
// filesystem, and only there: mkdir fills a group with the control files
// its parent hands down, writing a pid to cgroup.procs moves the process
// out of its old group, subtree_control refuses a non-root group that holds
// processes (v2's "no internal processes" rule) and a controller its group
// does not have, and rmdir refuses a group that still holds a process.
// Everything else is the code's own reading and writing of plain files.

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "fault_test_support.h"
#include "harness/platform/cgroup.h"
#include "tests/stack/stack_fixtures.h"

namespace faultline::faults {
namespace {

namespace fs = std::filesystem;
using testing::BoundMethod;
using testing::FakeStack;

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

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  std::string w;
  while (in >> w) {
    out.push_back(w);
  }
  return out;
}

std::multiset<std::string> procs_of(const std::string& dir) {
  const auto w = words(slurp(dir + "/cgroup.procs"));
  return {w.begin(), w.end()};
}

// mountinfo lines as the kernel writes them: "<id> <parent> <dev> <root>
// <mount point> <options> [optional fields] - <fs type> <source> <super
// options>".
const char* const kMountinfoV2 =
    "22 1 259:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
    "25 22 0:23 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
    "31 23 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";

const char* const kMountinfoV1 =
    "22 1 259:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n";

// systemd's hybrid layout: v1 controllers, and a v2 tree without any at
// /sys/fs/cgroup/unified for its own bookkeeping.
const std::string kMountinfoHybrid =
    std::string(kMountinfoV1) +
    "41 31 0:38 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate\n";

// Controllers in the order the kernel lists them.
const std::vector<std::string> kControllerOrder = {"cpuset", "cpu", "io", "memory", "pids"};

class FixtureHost final : public platform::CgroupHost {
 public:
  // `mountinfo_text` is written to the fixture; `v2_mount` and `v1_mounts`
  // are mount points as mountinfo names them.
  FixtureHost(const std::string& dir, const std::string& mountinfo_text, std::string v2_mount,
              std::vector<std::string> v1_mounts)
      : v2_mount_(std::move(v2_mount)), v1_mounts_(std::move(v1_mounts)) {
    mountinfo = dir + "/mountinfo";
    fs_root = dir;
    proc = dir + "/proc";
    put(mountinfo, mountinfo_text);
  }

  // A process in the fixture's /proc: its process group and its group
  // lines ("<id>:<controllers>:<path>").
  void add_process(pid_t pid, pid_t pgid, const std::string& comm, const std::string& cgroup_lines) const {
    put(fmt::format("{}/{}/stat", proc, pid),
        fmt::format("{} ({}) S 1 {} {} 0 -1 4194560 120 0 0 0 3 1 0 0 20 0 1 0 4711 12345678 900\n", pid,
                    comm, pgid, pgid));
    put(fmt::format("{}/{}/cgroup", proc, pid), cgroup_lines);
  }

  // Without swap accounting a v2 group has no memory.swap.max.
  bool swap_accounting = true;
  mutable std::vector<std::string> removed;  // groups rmdir removed, in order

  Status write(const std::string& path, const std::string& value) const override {
    const std::string dir = fs::path(path).parent_path().string();
    const std::string file = fs::path(path).filename().string();
    if (!fs::exists(path)) {
      return fail(path, value, ENOENT);
    }
    if (file == "cgroup.procs") {
      return move_process(dir, value);
    }
    if (file == "cgroup.subtree_control") {
      return change_subtree_control(dir, value);
    }
    std::ofstream(path, std::ios::trunc) << value;
    return {};
  }

  int make_dir(const std::string& path) const override {
    if (fs::exists(path)) {
      return EEXIST;
    }
    const std::string parent = fs::path(path).parent_path().string();
    if (!fs::is_directory(parent)) {
      return ENOENT;
    }
    fs::create_directory(path);
    put(path + "/cgroup.procs", "");
    const std::string mount = mount_of(path);
    const std::string mounted_at = mount.substr(std::min(mount.size(), root().size()));
    if (!v2_mount_.empty() && mounted_at == v2_mount_) {
      const std::string handed_down = slurp(parent + "/cgroup.subtree_control");
      put(path + "/cgroup.controllers", handed_down);
      put(path + "/cgroup.subtree_control", "");
      for (const auto& c : words(handed_down)) {
        if (c == "cpu") {
          put(path + "/cpu.max", "max 100000\n");
          put(path + "/cpu.weight", "100\n");
        } else if (c == "memory") {
          put(path + "/memory.max", "max\n");
          put(path + "/memory.current", "0\n");
          if (swap_accounting) {
            put(path + "/memory.swap.max", "max\n");
          }
        }
      }
    } else if (mounted_at.find("/cpu") != std::string::npos) {
      put(path + "/cpu.cfs_period_us", "100000\n");
      put(path + "/cpu.cfs_quota_us", "-1\n");
    } else if (mounted_at.find("/memory") != std::string::npos) {
      put(path + "/memory.limit_in_bytes", "9223372036854771712\n");
    }
    return 0;
  }

  int remove_dir(const std::string& path) const override {
    if (!fs::is_directory(path)) {
      return ENOENT;
    }
    if (!procs_of(path).empty()) {
      return EBUSY;
    }
    for (const auto& e : fs::directory_iterator(path)) {
      if (e.is_directory()) {
        return EBUSY;  // a child group
      }
    }
    fs::remove_all(path);
    removed.push_back(path);
    return 0;
  }

 private:
  static Status fail(const std::string& path, const std::string& value, int err) {
    return Error{fmt::format("cannot write '{}' to {}: {}", value, path, std::strerror(err))};
  }

  const std::string& root() const { return fs_root; }

  // The mount (fixture path) a group directory belongs to.
  std::string mount_of(const std::string& path) const {
    std::string best;
    std::vector<std::string> all = v1_mounts_;
    if (!v2_mount_.empty()) {
      all.push_back(v2_mount_);
    }
    for (const auto& m : all) {
      const std::string full = root() + m;
      if ((path == full || path.rfind(full + "/", 0) == 0) && full.size() > best.size()) {
        best = full;
      }
    }
    return best;
  }

  Status move_process(const std::string& dir, const std::string& value) const {
    const std::string pid = words(value).empty() ? "" : words(value)[0];
    if (pid.empty() || !fs::exists(proc + "/" + pid)) {
      return fail(dir + "/cgroup.procs", value, ESRCH);
    }
    // A process is in one group of each hierarchy: out of the old one.
    const std::string mount = mount_of(dir);
    for (const auto& e : fs::recursive_directory_iterator(mount)) {
      if (e.path().filename() == "cgroup.procs") {
        std::string kept;
        for (const auto& p : words(slurp(e.path().string()))) {
          if (p != pid) {
            kept += p + "\n";
          }
        }
        std::ofstream(e.path(), std::ios::trunc) << kept;
      }
    }
    std::ofstream(dir + "/cgroup.procs", std::ios::app) << pid << "\n";
    return {};
  }

  Status change_subtree_control(const std::string& dir, const std::string& value) const {
    const std::string path = dir + "/cgroup.subtree_control";
    if (dir != mount_of(dir) && !procs_of(dir).empty()) {
      return fail(path, value, EBUSY);
    }
    const auto available = words(slurp(dir + "/cgroup.controllers"));
    const auto current = words(slurp(path));
    std::set<std::string> on(current.begin(), current.end());
    for (const auto& w : words(value)) {
      const std::string c = w.substr(1);
      if (std::find(available.begin(), available.end(), c) == available.end()) {
        return fail(path, value, ENOENT);
      }
      if (w[0] == '+') {
        on.insert(c);
      } else {
        on.erase(c);
      }
    }
    std::string text;
    for (const auto& c : kControllerOrder) {
      if (on.count(c) != 0) {
        text += (text.empty() ? "" : " ") + c;
      }
    }
    std::ofstream(path, std::ios::trunc) << text << "\n";
    return {};
  }

  std::string v2_mount_;
  std::vector<std::string> v1_mounts_;
};

// A v2-only host: the service's nginx (master 4242, worker 4243) and an
// unrelated shell (4300) sit in faultline's own session scope, as when
// faultline runs from a login shell. The root hands memory and pids down,
// not yet cpu.
struct V2Fixture {
  stack::testing::ScratchDir dir;
  FixtureHost host{dir.path(), kMountinfoV2, "/sys/fs/cgroup", {}};
  std::string cgroot = dir.path() + "/sys/fs/cgroup";
  std::string scope = cgroot + "/user.slice/session-1.scope";

  V2Fixture() {
    put(cgroot + "/cgroup.controllers", "cpuset cpu io memory pids\n");
    put(cgroot + "/cgroup.subtree_control", "memory pids\n");
    put(cgroot + "/cgroup.procs", "1\n");
    put(cgroot + "/user.slice/cgroup.controllers", "memory pids\n");
    put(cgroot + "/user.slice/cgroup.subtree_control", "memory pids\n");
    put(cgroot + "/user.slice/cgroup.procs", "");
    put(scope + "/cgroup.controllers", "memory pids\n");
    put(scope + "/cgroup.subtree_control", "");
    put(scope + "/cgroup.procs", "4242\n4243\n4300\n");
    const std::string lines = "0::/user.slice/session-1.scope\n";
    host.add_process(4242, 4242, "nginx: master process", lines);
    host.add_process(4243, 4242, "nginx: worker process", lines);
    host.add_process(4300, 4300, "bash", lines);
  }
};

FakeStack stack_with_web1() {
  FakeStack stack;
  stack.add_service("web1", 4242);
  return stack;
}

TEST_CASE("the hierarchy for a controller comes from mountinfo: v2, v1 and hybrid hosts",
          "[faults][cgroup][cgroup-v2]") {
  stack::testing::ScratchDir dir;
  const std::string cg = dir.path() + "/sys/fs/cgroup";
  put(cg + "/cgroup.controllers", "cpuset cpu io memory pids\n");  // the v2 root, when mounted there
  put(cg + "/unified/cgroup.controllers", "");                     // hybrid: systemd's tree, no controllers

  SECTION("v2 only: the unified tree at /sys/fs/cgroup") {
    FixtureHost host(dir.path(), kMountinfoV2, "/sys/fs/cgroup", {});
    for (const char* c : {"cpu", "memory"}) {
      const auto h = platform::cgroup_hierarchy_for(c, host);
      REQUIRE(h);
      CHECK(h->version == platform::CgroupVersion::v2);
      CHECK(h->mount_point == cg);
      CHECK(h->root == "/");
    }
    CHECK_FALSE(platform::cgroup_hierarchy_for("hugetlb", host));
  }
  SECTION("v1 only: each controller's own mount") {
    FixtureHost host(dir.path(), kMountinfoV1, "", {});
    const auto cpu = platform::cgroup_hierarchy_for("cpu", host);
    const auto memory = platform::cgroup_hierarchy_for("memory", host);
    REQUIRE((cpu && memory));
    CHECK(cpu->version == platform::CgroupVersion::v1);
    CHECK(cpu->mount_point == cg + "/cpu,cpuacct");
    CHECK(memory->version == platform::CgroupVersion::v1);
    CHECK(memory->mount_point == cg + "/memory");
    // name=systemd is a hierarchy without controllers, not one named "systemd".
    CHECK_FALSE(platform::cgroup_hierarchy_for("systemd", host));
  }
  SECTION("hybrid: the unified tree offers no controller, so v1 serves") {
    FixtureHost host(dir.path(), kMountinfoHybrid, "/sys/fs/cgroup/unified", {});
    const auto cpu = platform::cgroup_hierarchy_for("cpu", host);
    REQUIRE(cpu);
    CHECK(cpu->version == platform::CgroupVersion::v1);
    CHECK(cpu->mount_point == cg + "/cpu,cpuacct");
  }
  SECTION("hybrid with memory moved to the unified tree: v2 for memory, v1 for cpu") {
    put(cg + "/unified/cgroup.controllers", "memory\n");
    FixtureHost host(dir.path(), kMountinfoHybrid, "/sys/fs/cgroup/unified", {});
    const auto memory = platform::cgroup_hierarchy_for("memory", host);
    const auto cpu = platform::cgroup_hierarchy_for("cpu", host);
    REQUIRE((memory && cpu));
    CHECK(memory->version == platform::CgroupVersion::v2);
    CHECK(memory->mount_point == cg + "/unified");
    CHECK(cpu->version == platform::CgroupVersion::v1);
  }
}

TEST_CASE("cpu_limit on cgroup v2 sets cpu.max in the run's own group and moves the service into it",
          "[faults][cgroup][cgroup-v2][cpu_limit]") {
  V2Fixture f;
  const platform::ScopedCgroupHost use(f.host);
  const BoundMethod bound("  - { at: 1s, fault: cpu_limit, target: web1, params: { cpus: 0.5 } }\n");
  REQUIRE(bound.faults.size() == 1);
  auto& fault = *bound.faults[0].fault;
  FakeStack stack = stack_with_web1();

  const auto injected = fault.inject(stack);
  INFO((injected.ok() ? std::string("injected") : injected.error().message));
  REQUIRE(injected.ok());
  // The scope holds processes, so it may not hand cpu down: the group is
  // made under the root, which enables cpu for its children first.
  const std::string group = f.cgroot + "/faultline-abc123-web1";
  REQUIRE(fs::is_directory(group));
  CHECK(words(slurp(f.cgroot + "/cgroup.subtree_control")) ==
        std::vector<std::string>{"cpu", "memory", "pids"});
  CHECK(slurp(f.scope + "/cgroup.subtree_control").empty());
  CHECK_FALSE(fs::exists(f.scope + "/faultline-abc123-web1"));
  CHECK(slurp(group + "/cpu.max") == "50000 100000");
  // Master and worker (process group 4242) moved; the unrelated shell not.
  CHECK(procs_of(group) == std::multiset<std::string>{"4242", "4243"});
  CHECK(procs_of(f.scope) == std::multiset<std::string>{"4300"});

  REQUIRE(fault.revert(stack).ok());
  CHECK(procs_of(f.scope) == std::multiset<std::string>{"4242", "4243", "4300"});
  CHECK_FALSE(fs::exists(group));
  CHECK(f.host.removed == std::vector<std::string>{group});
  // Idempotent: a second revert finds nothing to do.
  CHECK(fault.revert(stack).ok());
  CHECK(f.host.removed.size() == 1);
}

TEST_CASE("cpu_limit's quota is a share of the 100 ms period, at least the kernel's 1 ms",
          "[faults][cgroup][cgroup-v2][cpu_limit]") {
  const auto [cpus, expected] = GENERATE(table<std::string, std::string>(
      {{"0.25", "25000 100000"}, {"2", "200000 100000"}, {"0.01", "1000 100000"}}));
  V2Fixture f;
  const platform::ScopedCgroupHost use(f.host);
  const BoundMethod bound("  - { at: 1s, fault: cpu_limit, target: web1, params: { cpus: " + cpus + " } }\n");
  REQUIRE(bound.faults.size() == 1);
  FakeStack stack = stack_with_web1();
  REQUIRE(bound.faults[0].fault->inject(stack).ok());
  CHECK(slurp(f.cgroot + "/faultline-abc123-web1/cpu.max") == expected);
  CHECK(bound.faults[0].fault->revert(stack).ok());
}

TEST_CASE("memory_limit on cgroup v2 sets memory.max and memory.swap.max, and revert removes the group",
          "[faults][cgroup][cgroup-v2][memory_limit]") {
  V2Fixture f;
  f.host.swap_accounting = GENERATE(true, false);
  INFO("swap accounting " << f.host.swap_accounting);
  const platform::ScopedCgroupHost use(f.host);
  const BoundMethod bound("  - { at: 1s, fault: memory_limit, target: web1, params: { limit: 64MiB } }\n");
  REQUIRE(bound.faults.size() == 1);
  auto& fault = *bound.faults[0].fault;
  FakeStack stack = stack_with_web1();

  const auto injected = fault.inject(stack);
  INFO((injected.ok() ? std::string("injected") : injected.error().message));
  REQUIRE(injected.ok());
  const std::string group = f.cgroot + "/faultline-abc123-web1";
  // memory was already handed down by the root: left as it was.
  CHECK(words(slurp(f.cgroot + "/cgroup.subtree_control")) == std::vector<std::string>{"memory", "pids"});
  CHECK(slurp(group + "/memory.max") == "67108864");
  if (f.host.swap_accounting) {
    CHECK(slurp(group + "/memory.swap.max") == "67108864");
  } else {
    CHECK_FALSE(fs::exists(group + "/memory.swap.max"));
  }
  CHECK(procs_of(group) == std::multiset<std::string>{"4242", "4243"});

  REQUIRE(fault.revert(stack).ok());
  CHECK(procs_of(f.scope) == std::multiset<std::string>{"4242", "4243", "4300"});
  CHECK(f.host.removed == std::vector<std::string>{group});
}

TEST_CASE("a service in the v2 root group gets its group right under the root, and goes back there",
          "[faults][cgroup][cgroup-v2]") {
  // As inside a container whose cgroup namespace starts at the service's
  // group: the root may hold processes and still hand controllers down.
  V2Fixture f;
  put(f.cgroot + "/cgroup.procs", "1\n5000\n");
  f.host.add_process(5000, 5000, "haproxy", "0::/\n");
  auto group = platform::ServiceCgroup::create("cpu", "abc123", "lb", 5000, f.host);
  INFO((group.ok() ? group->path() : group.error().message));
  REQUIRE(group.ok());
  CHECK(group->version() == platform::CgroupVersion::v2);
  CHECK(group->origin() == f.cgroot);
  CHECK(group->path() == f.cgroot + "/faultline-abc123-lb");
  REQUIRE(group->adopt_process_group(5000).ok());
  CHECK(procs_of(f.cgroot) == std::multiset<std::string>{"1"});
  REQUIRE(group->remove().ok());
  CHECK(procs_of(f.cgroot) == std::multiset<std::string>{"1", "5000"});
  CHECK_FALSE(group->exists());
  CHECK(f.host.removed == std::vector<std::string>{f.cgroot + "/faultline-abc123-lb"});
}

TEST_CASE("without the controller anywhere, creating a group fails and names it", "[faults][cgroup]") {
  stack::testing::ScratchDir dir;
  FixtureHost host(dir.path(), kMountinfoV1, "", {});
  const auto group = platform::ServiceCgroup::create("io", "abc123", "web1", 4242, host);
  REQUIRE_FALSE(group.ok());
  CHECK(group.error().message == "no cgroup hierarchy (v1 or v2) offers the io controller");
}

TEST_CASE("cpu_limit and memory_limit on a v1 host write the v1 files beside the service's groups",
          "[faults][cgroup][cgroup-v1]") {
  stack::testing::ScratchDir dir;
  FixtureHost host(dir.path(), kMountinfoHybrid, "/sys/fs/cgroup/unified",
                   {"/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/memory"});
  const std::string cpu = dir.path() + "/sys/fs/cgroup/cpu,cpuacct";
  const std::string memory = dir.path() + "/sys/fs/cgroup/memory";
  put(dir.path() + "/sys/fs/cgroup/unified/cgroup.controllers", "");
  put(cpu + "/cgroup.procs", "1\n4242\n4243\n");
  put(memory + "/cgroup.procs", "1\n");
  put(memory + "/process_api/8f21/cgroup.procs", "4242\n4243\n");
  const std::string lines = "4:memory:/process_api/8f21\n2:cpu,cpuacct:/\n0::/\n";
  host.add_process(4242, 4242, "nginx", lines);
  host.add_process(4243, 4242, "nginx", lines);
  const platform::ScopedCgroupHost use(host);
  const BoundMethod bound(
      "  - { at: 1s, fault: cpu_limit, target: web1, params: { cpus: 0.5 } }\n"
      "  - { at: 1s, fault: memory_limit, target: web1, params: { limit: 64MiB } }\n");
  REQUIRE(bound.faults.size() == 2);
  FakeStack stack = stack_with_web1();
  for (const auto& b : bound.faults) {
    const auto st = b.fault->inject(stack);
    INFO((st.ok() ? std::string("injected") : st.error().message));
    REQUIRE(st.ok());
  }
  CHECK(slurp(cpu + "/faultline-abc123-web1/cpu.cfs_period_us") == "100000");
  CHECK(slurp(cpu + "/faultline-abc123-web1/cpu.cfs_quota_us") == "50000");
  CHECK(slurp(memory + "/process_api/8f21/faultline-abc123-web1/memory.limit_in_bytes") == "67108864");
  CHECK(procs_of(memory + "/process_api/8f21/faultline-abc123-web1") ==
        std::multiset<std::string>{"4242", "4243"});
  for (const auto& b : bound.faults) {
    CHECK(b.fault->revert(stack).ok());
  }
  CHECK(procs_of(cpu) == std::multiset<std::string>{"1", "4242", "4243"});
  CHECK(procs_of(memory + "/process_api/8f21") == std::multiset<std::string>{"4242", "4243"});
  CHECK(host.removed.size() == 2);
}

TEST_CASE("cleanup finds a dead run's v2 group, empties it into the parent and removes it",
          "[faults][cgroup][cgroup-v2][cleanup]") {
  V2Fixture f;
  const auto group = platform::ServiceCgroup::create("cpu", "dead01", "web1", 4242, f.host);
  REQUIRE(group.ok());
  REQUIRE(group->adopt_process_group(4242).ok());
  const auto live = platform::ServiceCgroup::create("cpu", "a1b2c3", "web2", 4300, f.host);
  REQUIRE(live.ok());
  CHECK(platform::find_run_cgroups(f.host).size() == 2);

  std::vector<std::string> errors;
  const auto removed = platform::remove_stale_cgroups(
      [](const std::string& run_id) { return run_id == "dead01"; }, errors, f.host);
  CHECK(errors.empty());
  REQUIRE(removed.size() == 1);
  CHECK_THAT(removed[0], Catch::Contains("faultline-dead01-web1") && Catch::Contains("run dead01"));
  CHECK_FALSE(fs::exists(group->path()));
  CHECK(fs::exists(live->path()));
  // Emptied into the parent (the root), where the kernel would put them.
  CHECK(procs_of(f.cgroot) == std::multiset<std::string>{"1", "4242", "4243"});
}

}  // namespace
}  // namespace faultline::faults
