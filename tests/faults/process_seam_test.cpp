// kill, pause, cpu_limit and memory_limit act on a service only through the
// stack's process seam (stack.h): a stack that overrides the seam, as the
// docker runtime does, sees every call in order, and the journal's words
// for how each fault was done are the stack's. The defaults (the netns
// runtime's) are covered by kill_test, pause_test and cgroup_v2_test.

#include <csignal>
#include <map>

#include "fault_test_support.h"

namespace faultline::faults {
namespace {

using testing::BoundMethod;

// Every seam call, in order, as "<call> <service> [<detail>]".
using CallLog = std::vector<std::string>;

class RecordingHold final : public stack::ServiceHold {
 public:
  explicit RecordingHold(CallLog& log) : log_(log) {}
  Status release() override {
    log_.push_back("release");
    return {};
  }
  std::string mechanism() const override { return "the stack froze it"; }

 private:
  CallLog& log_;
};

// A group of plain values: what a fault wrote, and counters it reads.
class RecordingLimit final : public stack::ServiceLimit {
 public:
  RecordingLimit(CallLog& log, platform::CgroupVersion version, std::map<std::string, std::string>& files)
      : log_(log), version_(version), files_(files) {}
  platform::CgroupVersion version() const override { return version_; }
  Status write(const std::string& file, const std::string& value) override {
    log_.push_back("write " + file + "=" + value);
    files_[file] = value;
    return {};
  }
  Result<std::string> read(const std::string& file) const override {
    const auto it = files_.find(file);
    if (it == files_.end()) {
      return Error{"no " + file};
    }
    return it->second;
  }
  bool has(const std::string& file) const override { return files_.count(file) != 0; }
  Status enforce() override {
    log_.push_back("enforce");
    return {};
  }
  Status lift() override {
    log_.push_back("lift");
    lifted_ = true;
    return {};
  }
  bool active() const override { return !lifted_; }
  std::string mechanism(const std::string& file) const override {
    return "the stack's limit in " + file + " (" + std::to_string(files_.size()) + " files)";
  }

 private:
  CallLog& log_;
  platform::CgroupVersion version_;
  std::map<std::string, std::string>& files_;
  bool lifted_ = false;
};

// No process of its own (no ServerProcess, no pid): a fault that went
// around the seam would fail with "has no running process".
struct SeamStack : testing::FakeStack {
  CallLog log;
  platform::CgroupVersion version = platform::CgroupVersion::v1;
  std::map<std::string, std::string> files;

  SeamStack() { add_service("web1", -1); }

  void set_expected_down(const std::string& service, bool down) override {
    log.push_back("expected_down " + service + " " + (down ? "true" : "false"));
  }
  Status restart(const std::string& service) override {
    log.push_back("restart " + service);
    return {};
  }
  Result<std::string> kill_mechanism(const std::string& service,
                                     const std::string& signal_name) const override {
    return "the stack kills " + service + " with SIG" + signal_name;
  }
  Status kill_service(const std::string& service, int signal) override {
    log.push_back("kill " + service + " " + std::to_string(signal));
    return {};
  }
  Result<std::unique_ptr<stack::ServiceHold>> freeze_service(const std::string& service) override {
    log.push_back("freeze " + service);
    return std::unique_ptr<stack::ServiceHold>(std::make_unique<RecordingHold>(log));
  }
  Result<std::unique_ptr<stack::ServiceLimit>> limit_service(const std::string& service,
                                                             const std::string& controller) override {
    log.push_back("limit " + service + " " + controller);
    return std::unique_ptr<stack::ServiceLimit>(std::make_unique<RecordingLimit>(log, version, files));
  }
};

Fault& bind_one(BoundMethod& bound) {
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 1);
  return *bound.faults[0].fault;
}

TEST_CASE("kill goes through the seam: death expected before the signal, restart before it is over",
          "[faults][kill][seam]") {
  BoundMethod bound("  - { at: 1s, fault: kill, target: web1, params: { signal: TERM }, duration: 1s }\n");
  auto& fault = bind_one(bound);
  SeamStack stack;
  REQUIRE(fault.inject(stack).ok());
  CHECK(fault.mechanism() == "the stack kills web1 with SIGTERM");
  REQUIRE(fault.revert(stack).ok());
  CHECK(stack.log == CallLog{"expected_down web1 true", "kill web1 " + std::to_string(SIGTERM),
                             "restart web1", "expected_down web1 false"});
}

TEST_CASE("kill refused by the stack sends nothing and expects no death", "[faults][kill][seam]") {
  struct Refusing : SeamStack {
    Result<std::string> kill_mechanism(const std::string& service, const std::string&) const override {
      return Error{service + "'s container is exited (exit code 137); nothing sent"};
    }
  } stack;
  BoundMethod bound("  - { at: 1s, fault: kill, target: web1 }\n");
  auto& fault = bind_one(bound);
  const auto st = fault.inject(stack);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message == "kill: web1's container is exited (exit code 137); nothing sent");
  CHECK(stack.log.empty());
  CHECK(fault.revert(stack).ok());
  CHECK(stack.log.empty());
}

TEST_CASE("pause holds what the stack froze and releases it once", "[faults][pause][seam]") {
  BoundMethod bound("  - { at: 1s, fault: pause, target: web1 }\n");
  auto& fault = bind_one(bound);
  SeamStack stack;
  REQUIRE(fault.inject(stack).ok());
  CHECK(fault.mechanism() == "the stack froze it");
  REQUIRE(fault.revert(stack).ok());
  REQUIRE(fault.revert(stack).ok());
  CHECK(stack.log == CallLog{"freeze web1", "release"});
}

TEST_CASE("cpu_limit writes its quota through the stack's handle, enforces it, and lifts it",
          "[faults][cpu_limit][seam]") {
  BoundMethod bound("  - { at: 1s, fault: cpu_limit, target: web1, params: { cpus: 0.05 } }\n");
  auto& fault = bind_one(bound);
  SeamStack stack;
  SECTION("cgroup v1") {
    REQUIRE(fault.inject(stack).ok());
    REQUIRE(fault.revert(stack).ok());
    CHECK(stack.log == CallLog{"limit web1 cpu", "write cpu.cfs_period_us=100000",
                               "write cpu.cfs_quota_us=5000", "enforce", "lift"});
    // The stack's words, as they were once everything was written.
    CHECK(fault.mechanism() == "the stack's limit in cpu.cfs_quota_us (2 files)");
  }
  SECTION("cgroup v2") {
    stack.version = platform::CgroupVersion::v2;
    REQUIRE(fault.inject(stack).ok());
    REQUIRE(fault.revert(stack).ok());
    CHECK(stack.log == CallLog{"limit web1 cpu", "write cpu.max=5000 100000", "enforce", "lift"});
    CHECK(fault.mechanism() == "the stack's limit in cpu.max (1 files)");
  }
}

TEST_CASE("memory_limit counts only the OOM kills after its inject in a group that counted before",
          "[faults][memory_limit][seam]") {
  BoundMethod bound("  - { at: 1s, fault: memory_limit, target: web1, params: { limit: 64MiB } }\n");
  auto& fault = bind_one(bound);
  SeamStack stack;
  // A container's own group: 2 kills before the fault (v1's counter).
  stack.files["memory.oom_control"] = "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n";
  REQUIRE(fault.inject(stack).ok());
  stack.files["memory.oom_control"] = "oom_kill_disable 0\nunder_oom 0\noom_kill 5\n";
  REQUIRE(fault.revert(stack).ok());
  CHECK(stack.log == CallLog{"limit web1 memory", "write memory.limit_in_bytes=67108864", "enforce", "lift"});
  CHECK_THAT(fault.describe(),
             Catch::EndsWith("; the kernel's OOM killer ended 3 of its processes under the cap"));
}

TEST_CASE("memory_limit on v2 bounds swap too when the group has the file", "[faults][memory_limit][seam]") {
  BoundMethod bound("  - { at: 1s, fault: memory_limit, target: web1, params: { limit: 64MiB } }\n");
  auto& fault = bind_one(bound);
  SeamStack stack;
  stack.version = platform::CgroupVersion::v2;
  stack.files["memory.swap.max"] = "max";
  stack.files["memory.events"] = "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n";
  REQUIRE(fault.inject(stack).ok());
  REQUIRE(fault.revert(stack).ok());
  CHECK(stack.log == CallLog{"limit web1 memory", "write memory.max=67108864",
                             "write memory.swap.max=67108864", "enforce", "lift"});
  CHECK_THAT(fault.describe(), Catch::EndsWith("; no process was OOM-killed under the cap"));
}

}  // namespace
}  // namespace faultline::faults
