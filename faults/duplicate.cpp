// duplicate: sends a share of the target's packets twice, the misbehaving
// bridge or retransmitting middlebox. netem where the kernel has it;
// otherwise the NFQUEUE delayer re-sends a copy of each chosen packet through
// a raw socket (marked, so the queue rules let the copy pass). The copy can
// only be sent outwards, so without netem only direction egress exists.

#include <fmt/format.h>

#include "faults/common/net_target.h"
#include "faults/common/netem.h"
#include "faults/common/params.h"
#include "faults/registry.h"

namespace faultline::faults {
namespace {

class Duplicate final : public Fault {
 public:
  Duplicate(NetTarget target, double percent) : target_(std::move(target)), percent_(percent) {}

  std::string describe() const override {
    std::string text =
        fmt::format("{:g}% of the packets in {} were sent twice", percent_ * 100, target_.describe());
    if (!path_.mechanism().empty()) {
      text += fmt::format(", by {}", path_.mechanism());
    }
    return text;
  }

  Status inject(stack::RunningStack& stack) override {
    DelayerConfig config;
    config.duplicate = percent_;
    return path_.apply(stack, target_, config);
  }
  Status revert(stack::RunningStack& stack) override { return path_.remove(stack); }

  std::vector<std::string> suggested_measures() const override {
    return {
        "Make request handlers idempotent (idempotency keys) so a duplicated request cannot act twice",
        "Watch duplicate-ACK and D-SACK counters on hosts: duplicated packets show there first",
        "Find the device that duplicates (mirror ports, bonding, misconfigured bridges) and fix its "
        "configuration",
    };
  }

 private:
  NetTarget target_;
  double percent_;
  ImpairmentPath path_;
};

std::unique_ptr<Fault> parse(const experiment::MethodStep& step, const experiment::Experiment& exp,
                             experiment::Diagnostics& diags);

std::vector<ParamSpec> params_of() {
  std::vector<ParamSpec> p{{"percent", "percent", "", "share of packets sent twice"}};
  for (auto& s : net_target_params({Direction::egress})) {
    p.push_back(std::move(s));
  }
  return p;
}

const Registration registration{FaultType{
    .name = "duplicate",
    .summary = "Send a share of a service's outgoing packets twice (netem, or NFQUEUE + raw socket)",
    .params = params_of(),
    .needs = {.root = true,
              .target_kinds = {},
              .kernel_feature = "sch_netem, or nfnetlink_queue + iptables NFQUEUE"},
    .parse = parse,
}};

std::unique_ptr<Fault> parse(const experiment::MethodStep& step, const experiment::Experiment& exp,
                             experiment::Diagnostics& diags) {
  ParamReader params(step, *Registry::instance().find("duplicate"), diags);
  auto percent = params.percent("percent", true);
  auto target = read_net_target(params, step, exp, {Direction::egress});
  if (percent && *percent <= 0) {
    params.error_at("percent", "duplicating 0% of packets does nothing", "give a share above 0%, e.g. 5%");
  }
  if (!params.ok() || !percent || !target) {
    return nullptr;
  }
  return std::make_unique<Duplicate>(std::move(*target), *percent);
}

}  // namespace
}  // namespace faultline::faults
