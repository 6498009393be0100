// The netns runtime: a run's identity in the run registry, and its stack
// brought up in network namespaces on this machine.

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "harness/stack/netns_stack.h"
#include "harness/stack/run_registry.h"
#include "harness/stack/runtime.h"

namespace faultline::stack {

namespace {

using namespace netns;

class NetnsRuntime final : public StackRuntime {
 public:
  Result<RunIdentity> create_run(const std::string& registry_dir) override {
    return stack::create_run(registry_dir);
  }
  Result<std::unique_ptr<RunningStack>> bring_up(const experiment::Experiment& exp, const RunIdentity& id,
                                                 const ProgressFn& progress) override {
    return netns_bring_up(exp, id, progress);
  }
  void release_run(const RunIdentity& id) override { stack::release_run(id); }
};

}  // namespace

Result<std::unique_ptr<RunningStack>> netns_bring_up(const experiment::Experiment& exp, const RunIdentity& id,
                                                     const ProgressFn& progress) {
  const auto t0 = Clock::now();
  const auto deadline = t0 + kReadyTimeout;
  if (auto st = validate_for_netns(exp); !st) {
    return st.error();
  }
  if (::geteuid() != 0) {
    return Error{"the netns runtime needs root (it creates namespaces, links and a bridge)"};
  }
  if (id.run_dir.empty() || !fs::is_directory(id.run_dir)) {
    return Error{fmt::format("run directory '{}' does not exist (create_run makes it)", id.run_dir)};
  }
  auto nginx = executable_for(exp, experiment::ServiceKind::nginx, "nginx");
  if (!nginx) {
    return nginx.error();
  }
  auto haproxy = executable_for(exp, experiment::ServiceKind::haproxy, "haproxy");
  if (!haproxy) {
    return haproxy.error();
  }

  auto planned = plan_run(exp, id);
  if (!planned) {
    return planned.error();
  }
  Plan plan = std::move(*planned);

  platform::UniqueFd host_netns(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!host_netns.valid()) {
    return Error{"cannot open the current network namespace: " + errno_text(errno)};
  }
  auto stack = std::make_unique<NetnsStack>(id, plan, std::move(host_netns));
  auto fail = [&](const Error& e) -> Error {
    auto leftovers = stack->teardown_collect();
    std::string msg = e.message;
    for (const auto& l : leftovers) {
      msg += "\n  cleanup after the failure also failed: " + l;
    }
    return Error{msg};
  };
  std::vector<experiment::AddressRange> routes_out;
  if (exp.allow_external) {
    for (const auto& target : exp.stack.external_targets) {
      const auto range = experiment::parse_address_range(target.address);
      const bool listed_twice =
          range && std::any_of(routes_out.begin(), routes_out.end(), [&](const auto& r) {
            return r.base == range->base && r.prefix_len == range->prefix_len;
          });
      if (range && !listed_twice) {
        routes_out.push_back(*range);
      }
    }
  }
  if (auto st = stack->build_network(progress, routes_out); !st) {
    return fail(st.error());
  }
  if (auto st = stack->write_configs(exp, *nginx, *haproxy); !st) {
    return fail(st.error());
  }
  if (auto st = stack->start_and_wait(progress, deadline); !st) {
    return fail(st.error());
  }
  if (auto st = stack->check_reachable_from_host(exp.load.target, progress); !st) {
    return fail(st.error());
  }
  if (progress) {
    progress(fmt::format("stack up in {:.0f} ms: {} services on {}", seconds_since(t0) * 1000,
                         stack->services().size(), stack->plan().subnet));
  }
  return std::unique_ptr<RunningStack>(std::move(stack));
}

StackRuntime& netns_runtime() {
  static NetnsRuntime runtime;
  return runtime;
}

}  // namespace faultline::stack
