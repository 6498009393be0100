// runtime compose's side of the process faults (stack.h's seam). The
// containers are the team's: a kill is a signal from the host to the
// container's first process, so the daemon sees a crash and the project's
// restart policy applies as in production (an Engine API kill would count
// as a stop by hand and switch the policy off); a freeze is the Engine
// API's pause; a limit is written into the container's own cgroup and
// written back at revert (container_limit.h).

#include <fmt/format.h>

#include <csignal>
#include <cstring>
#include <functional>

#include "harness/stack/compose_stack.h"
#include "harness/stack/container_limit.h"

namespace faultline::stack::compose {
namespace {

// A pause of an attached service, undone through ComposeStack::unpause.
class PausedService final : public ServiceHold {
 public:
  PausedService(std::function<Status()> unpause, std::string mechanism)
      : unpause_(std::move(unpause)), mechanism_(std::move(mechanism)) {}

  Status release() override {
    if (released_) {
      return {};
    }
    if (auto st = unpause_(); !st) {
      return st;
    }
    released_ = true;
    return {};
  }
  std::string mechanism() const override { return mechanism_; }

 private:
  std::function<Status()> unpause_;
  std::string mechanism_;
  bool released_ = false;
};

}  // namespace

std::string ComposeStack::containers_of(const std::string& service) const {
  std::string names;
  for (const size_t i : indexes_of(service)) {
    names += (names.empty() ? "" : ", ") + attached_[i].container.name;
  }
  return names;
}

Result<std::string> ComposeStack::kill_mechanism(const std::string& service,
                                                 const std::string& signal_name) const {
  const auto indexes = indexes_of(service);
  if (indexes.empty()) {
    return Error{fmt::format("{} is not a service of Compose project {}", service, project_)};
  }
  if (torn_down_) {
    return Error{fmt::format("{}: the stack has been torn down", service)};
  }
  return fmt::format(
      "SIG{} from the host (kill(2)) to the first process of container {} of Compose project {}, which "
      "hands it to the server, so the daemon sees a crash and the container's restart policy applies; "
      "started again through the Engine API on revert unless the policy brought it back",
      signal_name, containers_of(service), project_);
}

Status ComposeStack::kill_service(const std::string& service, int sig) {
  // Recorded before the signal: a run killed while the container is down
  // leaves cleanup the record that it is faultline's to start again.
  // restart() drops it.
  const auto indexes = indexes_of(service);
  for (const size_t i : indexes) {
    if (auto st = records_[i].mark(Mark::killed); !st) {
      return Error{fmt::format("service {}: {}", service, st.error().message)};
    }
  }
  // A failed signal keeps the records: a scaled service may be half
  // killed, and the kill fault's revert restarts (and drops) all the same.
  return signal(service, sig);
}

Result<std::unique_ptr<ServiceHold>> ComposeStack::freeze_service(const std::string& service) {
  if (auto st = pause(service); !st) {
    // A scaled service may be half paused: what was paused is thawed.
    (void)unpause(service);
    return st.error();
  }
  return std::unique_ptr<ServiceHold>(std::make_unique<PausedService>(
      [this, service] { return unpause(service); },
      fmt::format("Engine API pause of container {} of Compose project {} (the freezer cgroup), unpause "
                  "on revert",
                  containers_of(service), project_)));
}

Result<std::unique_ptr<ServiceLimit>> ComposeStack::limit_service(const std::string& service,
                                                                  const std::string& controller) {
  const auto indexes = indexes_of(service);
  if (indexes.empty()) {
    return Error{fmt::format("{} is not a service of Compose project {}", service, project_)};
  }
  if (indexes.size() != 1) {
    // One limit is one group's files; a scaled service has a group a
    // container.
    return Error{fmt::format("{} runs {} containers ({}): limit one of them by its instance name", service,
                             indexes.size(), containers_of(service))};
  }
  const size_t i = indexes.front();
  auto pid = current_pid(i);
  if (!pid) {
    return Error{fmt::format("{}: {}", service, pid.error().message)};
  }
  if (*pid == 0) {
    return Error{fmt::format("{} has no running process (container {} is not running)", service,
                             attached_[i].container.name)};
  }
  auto limit = container_group_limit(*pid, controller, attached_[i].container.name,
                                     records_[i].cgroup_record(controller));
  if (!limit) {
    return Error{fmt::format("{}: {}", service, limit.error().message)};
  }
  return limit;
}

}  // namespace faultline::stack::compose
