#pragma once

#include <memory>

#include "faults/common/net_target.h"
#include "harness/common/result.h"
#include "harness/platform/nfqueue_delayer.h"
#include "harness/stack/stack.h"

namespace faultline::faults {

// The delayer plus the rules that feed it, on one NetTarget: what the
// network faults inject and revert.
class QueuedPath {
 public:
  // Starts the delayer inside the target's namespace, then adds one
  // `-j NFQUEUE --queue-num N --queue-bypass` rule per direction and peer.
  Status attach(stack::RunningStack& stack, const NetTarget& target, const platform::DelayerConfig& config);
  // Removes the rules first (no new packets), then releases what is held
  // and stops the thread. Idempotent; safe without attach.
  Status detach(stack::RunningStack& stack);

  platform::DelayerStats stats() const { return delayer_ ? delayer_->stats() : platform::DelayerStats{}; }

 private:
  std::unique_ptr<platform::IptablesRules> rules_;
  std::string service_;  // whose namespace the rules are in
  std::unique_ptr<platform::NfqueueDelayer> delayer_;
};

}  // namespace faultline::faults
