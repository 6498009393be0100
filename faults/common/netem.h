#pragma once

#include <string>

#include "faults/common/queued_path.h"
#include "harness/common/result.h"
#include "harness/stack/stack.h"

// netem (platform/netem.h), for kernels that have sch_netem: one root qdisc
// on a service's eth0 (egress only: ingress would need an IFB device, and
// the network faults send ingress through the NFQUEUE delayer instead). The
// qdisc lives inside the service's namespace, so tearing the stack down
// removes it by construction.
namespace faultline::faults {

class NetemQdisc {
 public:
  explicit NetemQdisc(std::string service) : service_(std::move(service)) {}

  // Adds (or replaces) the root qdisc of the service's eth0 with netem
  // configured as `config` says.
  Status apply(stack::RunningStack& stack, const platform::DelayerConfig& config);
  // Deletes it again; idempotent, safe without apply.
  Status remove(stack::RunningStack& stack);

 private:
  std::string service_;
  bool applied_ = false;
};

// How a network fault reaches its packets: netem where the kernel has it
// and netem can express the fault (egress on the whole interface), the
// NFQUEUE delayer otherwise (no sch_netem, ingress, or only some peers).
class ImpairmentPath {
 public:
  Status apply(stack::RunningStack& stack, const NetTarget& target, const platform::DelayerConfig& config);
  // Idempotent; safe without apply.
  Status remove(stack::RunningStack& stack);

  // Which mechanism apply() chose, for describe(): "a netem qdisc on lb's
  // eth0" or "faultline's NFQUEUE packet delayer (kernel has no sch_netem)".
  // Empty before apply.
  const std::string& mechanism() const { return mechanism_; }
  platform::DelayerStats stats() const { return queued_.stats(); }

 private:
  std::unique_ptr<NetemQdisc> netem_;
  QueuedPath queued_;
  std::string mechanism_;
};

}  // namespace faultline::faults
