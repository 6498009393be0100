#pragma once

#include <string>

#include "faults/common/fault_site.h"
#include "faults/common/kernel_path.h"
#include "faults/common/net_target.h"
#include "faults/common/netem.h"
#include "faults/fault.h"

namespace faultline::faults {

// A network fault that is one DelayerConfig applied to a NetTarget's traffic
// through an ImpairmentPath (netem, or the NFQUEUE delayer): latency,
// reorder, duplicate. Subclasses say what happened to the packets; the
// mechanism apply() chose, which depends on the kernel and on the target,
// goes to the journal apart (mechanism()), not into the description.
class ImpairmentFault : public Fault {
 public:
  // Public so that a subclass can take it over with `using`.
  ImpairmentFault(NetTarget target, const platform::DelayerConfig& config, FaultSite site)
      : target_(std::move(target)), config_(config), site_(std::move(site)) {}

  std::string describe() const final { return what(); }

  std::optional<KernelPath> kernel_path() const final { return impairment_path(target_); }
  std::string mechanism() const final { return path_.mechanism(); }

  Status inject(stack::RunningStack& stack) final { return path_.apply(stack, target_, config_); }
  Status revert(stack::RunningStack& stack) final { return path_.remove(stack); }

 protected:
  // What happened to the packets, e.g. "traffic leaving web1 was delayed by 200ms".
  virtual std::string what() const = 0;

  const NetTarget& target() const { return target_; }
  const platform::DelayerConfig& config() const { return config_; }
  // The load balancer that can steer around the impaired traffic, if any.
  std::optional<Balancer> balancer() const { return balancer_for_traffic(site_, target_.peers); }

 private:
  NetTarget target_;
  platform::DelayerConfig config_;
  FaultSite site_;
  ImpairmentPath path_;
};

// What every ImpairmentFault needs: root, and netem or the NFQUEUE delayer.
inline Needs impairment_needs() {
  return {
      .root = true, .target_kinds = {}, .kernel_feature = "sch_netem, or nfnetlink_queue + iptables NFQUEUE"};
}

}  // namespace faultline::faults
