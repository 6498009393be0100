#include "faults/common/queued_path.h"

#include <fmt/format.h>

namespace faultline::faults {

Status QueuedPath::attach(stack::RunningStack& stack, const NetTarget& target,
                          const platform::DelayerConfig& config) {
  if (delayer_) {
    return {};
  }
  auto peers = peer_addresses(target, stack);
  if (!peers) {
    return peers.error();
  }
  const uint16_t num = platform::next_queue_num();
  std::unique_ptr<platform::NfqueueDelayer> delayer;
  auto opened = stack.in_netns(target.service, [&]() -> Status {
    // Bound in here, the queue receives the packets of this namespace.
    auto d = platform::NfqueueDelayer::start(num, config);
    if (!d) {
      return d.error();
    }
    delayer = std::move(*d);
    return {};
  });
  if (!opened) {
    return opened;
  }
  delayer_ = std::move(delayer);
  rules_ = std::make_unique<platform::IptablesRules>(rule_comment(stack));
  service_ = target.service;
  auto rules = rule_matches(target, *peers);
  for (auto& m : rules) {
    m.match.insert(m.match.end(),
                   {"-m", "mark", "!", "--mark", fmt::format("{:#x}", platform::kDuplicateMark), "-j",
                    "NFQUEUE", "--queue-num", std::to_string(num), "--queue-bypass"});
  }
  if (auto st = rules_->insert_all(service_netns(stack, service_), rules); !st) {
    (void)detach(stack);
    return st;
  }
  return {};
}

Status QueuedPath::detach(stack::RunningStack& stack) {
  Status result;
  if (rules_) {
    result = rules_->remove_all(service_netns(stack, service_));
    rules_.reset();
  }
  if (delayer_) {
    delayer_->stop();
    delayer_.reset();
  }
  return result;
}

}  // namespace faultline::faults
