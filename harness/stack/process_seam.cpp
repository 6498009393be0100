// RunningStack's process-fault seam as the netns runtime serves it (the
// defaults, see stack.h): each server is a child of faultline leading its
// own process group, so a kill or a freeze is a signal to that group and a
// limit is a control group of the run's own that the group moves into.
//
// Every signal goes through the server's ServerProcess, the one it had when
// the fault began: once that server has been reaped (a crash, a restart),
// its pid may name an unrelated process, which must never be signalled.

#include <fmt/format.h>
#include <signal.h>

#include "harness/platform/cgroup.h"
#include "harness/platform/process.h"
#include "harness/stack/stack.h"

namespace faultline::stack {
namespace {

Error no_running_process(const std::string& service) {
  return Error{fmt::format("{} has no running process", service)};
}

// SIGSTOP rather than the cgroup freezer: it needs no state outside the
// run's processes (nothing for `faultline cleanup` to find), and a stopped
// process still dies on SIGKILL, which is what teardown ends with.
class StoppedGroup final : public ServiceHold {
 public:
  StoppedGroup(std::string service, std::shared_ptr<const platform::ServerProcess> process)
      : service_(std::move(service)), process_(std::move(process)) {
    mechanism_ = fmt::format("SIGSTOP to the process group of {}'s server (pid {}), SIGCONT on revert",
                             service_, process_->pid());
  }

  Status release() override {
    if (process_ == nullptr) {
      return {};
    }
    // Reaped (teardown or a crash): nothing of it is left to thaw.
    if (process_->alive()) {
      if (auto st = process_->signal(SIGCONT, platform::SignalScope::group); !st) {
        return Error{fmt::format("cannot continue {}: {}", service_, st.error().message)};
      }
    }
    process_.reset();
    return {};
  }

  std::string mechanism() const override { return mechanism_; }

 private:
  std::string service_;
  std::shared_ptr<const platform::ServerProcess> process_;  // the server it froze, until thawed
  std::string mechanism_;
};

// A group named faultline-<run id>-<service> beside the server's own, which
// `faultline cleanup` finds after a killed run.
class RunGroupLimit final : public ServiceLimit {
 public:
  RunGroupLimit(platform::ServiceCgroup group, pid_t leader)
      : group_(std::move(group)), leader_(leader), path_(group_.path()) {}

  platform::CgroupVersion version() const override { return group_.version(); }
  Status write(const std::string& file, const std::string& value) override {
    return group_.write(file, value);
  }
  Result<std::string> read(const std::string& file) const override { return group_.read(file); }
  bool has(const std::string& file) const override { return group_.has(file); }
  Status enforce() override { return group_.adopt_process_group(leader_); }
  // Moves the processes back where they came from and removes the group.
  Status lift() override { return group_.remove(); }
  bool active() const override { return group_.exists(); }
  std::string mechanism(const std::string& file) const override {
    // The words of faults/common/kernel_path.h's cgroup_mechanism, with the
    // group's path (kept: remove() forgets it).
    return fmt::format("cgroup {} ({} of {})", version() == platform::CgroupVersion::v2 ? "v2" : "v1", file,
                       path_);
  }

 private:
  platform::ServiceCgroup group_;
  pid_t leader_;
  std::string path_;
};

}  // namespace

Result<std::string> RunningStack::kill_mechanism(const std::string& service,
                                                 const std::string& signal_name) const {
  const auto* s = find(service);
  if (s == nullptr || s->process == nullptr) {
    return no_running_process(service);
  }
  // A server already reaped (it crashed) is not the run's any more: its
  // pid may name an unrelated process.
  if (!s->process->alive()) {
    return Error{fmt::format("{}'s server (pid {}) has already exited and was reaped; nothing sent", service,
                             s->process->pid())};
  }
  return fmt::format(
      "SIG{} to the process group of {}'s server (pid {}); the stack starts it again on revert", signal_name,
      service, s->process->pid());
}

Status RunningStack::kill_service(const std::string& service, int signal) {
  const auto* s = find(service);
  if (s == nullptr || s->process == nullptr) {
    return no_running_process(service);
  }
  if (auto st = s->process->signal(signal, platform::SignalScope::group); !st) {
    return Error{fmt::format("cannot signal {}: {}", service, st.error().message)};
  }
  return {};
}

Result<std::unique_ptr<ServiceHold>> RunningStack::freeze_service(const std::string& service) {
  const auto* s = find(service);
  if (s == nullptr || s->process == nullptr) {
    return no_running_process(service);
  }
  if (auto st = s->process->signal(SIGSTOP, platform::SignalScope::group); !st) {
    return Error{fmt::format("cannot stop {}: {}", service, st.error().message)};
  }
  return std::unique_ptr<ServiceHold>(std::make_unique<StoppedGroup>(service, s->process));
}

Result<std::unique_ptr<ServiceLimit>> RunningStack::limit_service(const std::string& service,
                                                                  const std::string& controller) {
  const auto* s = find(service);
  if (s == nullptr || s->pid <= 0) {
    return no_running_process(service);
  }
  auto group = platform::ServiceCgroup::create(controller, identity().run_id, service, s->pid);
  if (!group) {
    return group.error();
  }
  return std::unique_ptr<ServiceLimit>(std::make_unique<RunGroupLimit>(std::move(*group), s->pid));
}

}  // namespace faultline::stack
