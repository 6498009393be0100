#include "faults/common/netem.h"

#include <fmt/format.h>

#include "faults/common/kernel_path.h"
#include "faults/common/net_target.h"
#include "harness/platform/kernel_features.h"
#include "harness/platform/netem.h"

namespace faultline::faults {

Status NetemQdisc::apply(stack::RunningStack& stack, const platform::DelayerConfig& config) {
  auto st = stack.in_netns(service_,
                           [&]() -> Status { return platform::install_netem(kServiceInterface, config); });
  if (st) {
    applied_ = true;
  }
  return st;
}

Status NetemQdisc::remove(stack::RunningStack& stack) {
  if (!applied_) {
    return {};
  }
  auto st = stack.in_netns(service_, [&]() -> Status { return platform::remove_netem(kServiceInterface); });
  applied_ = false;  // a namespace that is gone took the qdisc with it
  return st;
}

Status ImpairmentPath::apply(stack::RunningStack& stack, const NetTarget& target,
                             const platform::DelayerConfig& config) {
  // The same decision, and words, as preflight's (kernel_path.h).
  const KernelPath path = impairment_path(target);
  if (netem_takes(target)) {
    netem_ = std::make_unique<NetemQdisc>(target.service);
    if (auto st = netem_->apply(stack, config); !st) {
      return st;
    }
    mechanism_ = path.mechanism;
    return {};
  }
  if (auto st = queued_.attach(stack, target, config); !st) {
    return st;
  }
  mechanism_ = path.mechanism;
  return {};
}

Status ImpairmentPath::remove(stack::RunningStack& stack) {
  Status result;
  if (netem_) {
    result = netem_->remove(stack);
    netem_.reset();
  }
  if (auto st = queued_.detach(stack); !st && result.ok()) {
    result = st;
  }
  return result;
}

}  // namespace faultline::faults
