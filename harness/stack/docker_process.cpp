// The docker runtime's side of the process faults (stack.h's seam) and its
// restart: a container's processes are not faultline's children, so a kill
// and a freeze go through the Engine API, and a limit is written into the
// container's own cgroup.
//
// Why the cgroup files and not the API's `update`: on Engine API 1.41 an
// update cannot give an unlimited container its "no limit" back (0 means
// "unchanged", -1 is refused for memory, and a CPU quota of -1 leaves
// HostConfig changed), so revert could not put the container back as it
// was. Writing the group's control files, after reading what they held,
// and writing those values back at revert leaves HostConfig untouched.

#include <fmt/format.h>

#include <cstring>
#include <string>

#include "harness/stack/container_limit.h"
#include "harness/stack/docker_spec.h"
#include "harness/stack/docker_stack.h"

namespace faultline::stack::docker {
namespace {

// What the daemon is asked to send: "SIGKILL" for 9, as `docker kill
// --signal` names it; the number itself for a signal glibc has no name for.
std::string signal_for_api(int signal) {
  const char* name = ::sigabbrev_np(signal);
  return name != nullptr ? std::string("SIG") + name : std::to_string(signal);
}

// A paused container, unpaused at release unless it is not paused any more
// (it was killed, or removed with the run).
class PausedContainer final : public ServiceHold {
 public:
  PausedContainer(platform::DockerApi api, std::string id, std::string name)
      : api_(std::move(api)), id_(std::move(id)), name_(std::move(name)) {}

  Status release() override {
    if (released_) {
      return {};
    }
    auto info = api_.inspect(id_);
    if (!info && !info.error().not_found()) {
      return Error{fmt::format("cannot unpause container {}: {}", name_, info.error().describe())};
    }
    if (info && info->state.paused) {
      if (auto st = api_.unpause(id_); !st) {
        return Error{fmt::format("cannot unpause container {}: {}", name_, st.error().describe())};
      }
    }
    released_ = true;
    return {};
  }

  std::string mechanism() const override {
    return fmt::format("Engine API pause of container {} (the freezer cgroup), unpause on revert", name_);
  }

 private:
  platform::DockerApi api_;
  std::string id_;
  std::string name_;
  bool released_ = false;
};

}  // namespace

Result<size_t> DockerStack::container_of(const std::string& service) const {
  const auto i = index_of(service);
  if (!i || containers_[*i].empty()) {
    return Error{fmt::format("{} has no running process", service)};
  }
  if (torn_down_) {
    return Error{fmt::format("{}: the stack has been torn down", service)};
  }
  return *i;
}

Result<std::string> DockerStack::kill_mechanism(const std::string& service,
                                                const std::string& signal_name) const {
  auto i = container_of(service);
  if (!i) {
    return i.error();
  }
  const std::string name = container_name(id_.run_id, service);
  auto info = api_.inspect(containers_[*i]);
  if (!info) {
    return Error{fmt::format("{}: {}", service, info.error().describe())};
  }
  if (!info->state.running) {
    return Error{fmt::format("{}'s container {} is {} (exit code {}); nothing sent", service, name,
                             info->state.status, info->state.exit_code)};
  }
  return fmt::format("Engine API kill SIG{} of container {}, started again on revert", signal_name, name);
}

Status DockerStack::kill_service(const std::string& service, int signal) {
  auto i = container_of(service);
  if (!i) {
    return i.error();
  }
  // Through the daemon, which then counts the container as stopped by hand:
  // its restart policy ("no" for the run's containers anyway) stays out of
  // the way and the restart is the fault's revert.
  if (auto st = api_.kill(containers_[*i], signal_for_api(signal)); !st) {
    return Error{fmt::format("cannot signal {}: {}", service, st.error().describe())};
  }
  return {};
}

Result<std::unique_ptr<ServiceHold>> DockerStack::freeze_service(const std::string& service) {
  auto i = container_of(service);
  if (!i) {
    return i.error();
  }
  if (auto st = api_.pause(containers_[*i]); !st) {
    return Error{fmt::format("cannot stop {}: {}", service, st.error().describe())};
  }
  return std::unique_ptr<ServiceHold>(
      std::make_unique<PausedContainer>(api_, containers_[*i], container_name(id_.run_id, service)));
}

Result<std::unique_ptr<ServiceLimit>> DockerStack::limit_service(const std::string& service,
                                                                 const std::string& controller) {
  auto i = container_of(service);
  if (!i) {
    return i.error();
  }
  // Read afresh: a container started again (a kill's revert) has a new pid.
  auto info = api_.inspect(containers_[*i]);
  if (!info) {
    return Error{fmt::format("{}: {}", service, info.error().describe())};
  }
  if (!info->state.running || info->state.pid <= 0) {
    return Error{fmt::format("{} has no running process (its container is {})", service, info->state.status)};
  }
  // The originals are kept in the service's folder while they are changed
  // (the run's containers go with the run; an attached one would not).
  auto limit = container_group_limit(info->state.pid, controller, container_name(id_.run_id, service),
                                     services_[*i].log_dir + "/cgroup-originals." + controller);
  if (!limit) {
    return Error{fmt::format("{}: {}", service, limit.error().message)};
  }
  return limit;
}

Status DockerStack::restart(const std::string& service) {
  auto i = container_of(service);
  if (!i) {
    return Error{"service " + i.error().message};
  }
  const std::string& id = containers_[*i];
  auto info = api_.inspect(id);
  if (!info) {
    return Error{fmt::format("service {}: {}", service, info.error().describe())};
  }
  // A graceful signal may still be draining the old server: it is stopped
  // first (the daemon kills it after the grace), as on netns.
  if (info->state.running) {
    if (auto st = api_.stop(id, 2s); !st) {
      return Error{fmt::format("service {}: {}", service, st.error().describe())};
    }
  }
  if (auto st = api_.start(id); !st) {
    return Error{fmt::format("service {}: {}\n{}", service, st.error().describe(), logs_of(*i, 10))};
  }
  info = api_.inspect(id);
  if (!info) {
    return Error{fmt::format("service {}: {}", service, info.error().describe())};
  }
  if (!info->state.running || info->state.pid <= 0) {
    return Error{fmt::format("service {}: its container exited at once (exit code {})\n{}", service,
                             info->state.exit_code, logs_of(*i, 10))};
  }
  // A new docker-init, in a new network namespace: the pid is what
  // in_netns and the limits find the container by.
  services_[*i].pid = info->state.pid;
  exit_reported_[*i] = false;
  return wait_ready({*i}, Clock::now() + kReadyTimeout);
}

}  // namespace faultline::stack::docker
