// reorder: netem's reordering. `percent` of the target's packets go out at
// once while every other packet waits `delay`, so the quick ones overtake
// the held ones: what TCP sees on a path with several routes of different
// length. netem where the kernel has it, the NFQUEUE delayer otherwise.

#include <fmt/format.h>

#include "faults/common/net_target.h"
#include "faults/common/netem.h"
#include "faults/common/params.h"
#include "faults/registry.h"

namespace faultline::faults {
namespace {

class Reorder final : public Fault {
 public:
  Reorder(NetTarget target, DelayerConfig config) : target_(std::move(target)), config_(config) {}

  std::string describe() const override {
    std::string text = fmt::format("{:g}% of the packets in {} overtook the others, which were held {}",
                                   config_.reorder * 100, target_.describe(), format_duration(config_.delay));
    if (!path_.mechanism().empty()) {
      text += fmt::format(", by {}", path_.mechanism());
    }
    return text;
  }

  Status inject(stack::RunningStack& stack) override { return path_.apply(stack, target_, config_); }
  Status revert(stack::RunningStack& stack) override { return path_.remove(stack); }

  std::vector<std::string> suggested_measures() const override {
    return {
        "Keep TCP's reordering tolerance (net.ipv4.tcp_reordering, RACK) at its defaults so reordering is "
        "not "
        "taken for loss",
        "Avoid per-packet load sharing over paths of different delay (use per-flow hashing in ECMP and "
        "bonds)",
        "Watch reordering counters (TCPSACKReorder, TCPRenoReorder) alongside retransmissions",
    };
  }

 private:
  NetTarget target_;
  DelayerConfig config_;
  ImpairmentPath path_;
};

std::unique_ptr<Fault> parse(const experiment::MethodStep& step, const experiment::Experiment& exp,
                             experiment::Diagnostics& diags);

std::vector<ParamSpec> params_of() {
  std::vector<ParamSpec> p{
      {"percent", "percent", "", "share of packets sent at once (overtaking the others)"},
      {"delay", "duration 1ms..10s", "", "time every other packet is held"},
      {"correlation", "percent", "0%", "how much each packet's fate leans on the previous one"},
  };
  for (auto& s : net_target_params()) {
    p.push_back(std::move(s));
  }
  return p;
}

const Registration registration{FaultType{
    .name = "reorder",
    .summary = "Reorder a service's packets: some go at once, the rest wait (netem, or an NFQUEUE delayer)",
    .params = params_of(),
    .needs = {.root = true,
              .target_kinds = {},
              .kernel_feature = "sch_netem, or nfnetlink_queue + iptables NFQUEUE"},
    .parse = parse,
}};

std::unique_ptr<Fault> parse(const experiment::MethodStep& step, const experiment::Experiment& exp,
                             experiment::Diagnostics& diags) {
  using namespace std::chrono_literals;
  ParamReader params(step, *Registry::instance().find("reorder"), diags);
  auto percent = params.percent("percent", true);
  auto delay = params.duration("delay", 1ms, 10s, true);
  auto correlation = params.percent("correlation", false);
  auto target = read_net_target(params, step, exp);
  if (percent && (*percent <= 0 || *percent >= 1)) {
    params.error_at("percent", fmt::format("reordering {:g}% of packets reorders nothing", *percent * 100),
                    "give a share between 0% and 100%, e.g. 25%");
  }
  if (!params.ok() || !percent || !delay || !target) {
    return nullptr;
  }
  DelayerConfig config;
  config.delay = *delay;
  config.reorder = *percent;
  config.reorder_correlation = correlation.value_or(0);
  return std::make_unique<Reorder>(std::move(*target), config);
}

}  // namespace
}  // namespace faultline::faults
