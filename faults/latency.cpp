// latency: holds the target's packets for `delay` (± `jitter`), the slow
// network link or overloaded middlebox that no error reports. netem where
// the kernel has it, faultline's NFQUEUE delayer otherwise.

#include <fmt/format.h>

#include "faults/common/net_target.h"
#include "faults/common/netem.h"
#include "faults/common/params.h"
#include "faults/registry.h"

namespace faultline::faults {
namespace {

class Latency final : public Fault {
 public:
  Latency(NetTarget target, DelayerConfig config) : target_(std::move(target)), config_(config) {}

  std::string describe() const override {
    std::string text =
        fmt::format("{} was delayed by {}", target_.describe(), format_duration(config_.delay));
    if (config_.jitter.count() > 0) {
      text += fmt::format(" ± {}", format_duration(config_.jitter));
    }
    if (!path_.mechanism().empty()) {
      text += fmt::format(", by {}", path_.mechanism());
    }
    return text;
  }

  Status inject(stack::RunningStack& stack) override { return path_.apply(stack, target_, config_); }
  Status revert(stack::RunningStack& stack) override { return path_.remove(stack); }

  std::vector<std::string> suggested_measures() const override {
    return {
        "Set client and upstream timeouts from measured latency percentiles, with a budget for the whole "
        "call "
        "chain, so a slow hop fails fast instead of piling up requests",
        "Alert on latency percentiles (p99) per hop, not only on error rates: added latency raises no errors",
        "Use outlier detection or latency-aware balancing (least connections) so a slow path gets less "
        "traffic",
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
      {"delay", "duration 1ms..60s", "", "time every packet is held"},
      {"jitter", "duration", "0ms", "uniform variation around delay (at most delay)"},
      {"correlation", "percent", "0%", "how much each packet's jitter leans on the previous one"},
  };
  for (auto& s : net_target_params()) {
    p.push_back(std::move(s));
  }
  return p;
}

const Registration registration{FaultType{
    .name = "latency",
    .summary = "Delay a service's network traffic (netem, or an NFQUEUE delayer without sch_netem)",
    .params = params_of(),
    .needs = {.root = true,
              .target_kinds = {},
              .kernel_feature = "sch_netem, or nfnetlink_queue + iptables NFQUEUE"},
    .parse = parse,
}};

std::unique_ptr<Fault> parse(const experiment::MethodStep& step, const experiment::Experiment& exp,
                             experiment::Diagnostics& diags) {
  using namespace std::chrono_literals;
  ParamReader params(step, *Registry::instance().find("latency"), diags);
  auto delay = params.duration("delay", 1ms, 60s, true);
  auto jitter = params.duration("jitter", 0ms, 60s, false);
  auto correlation = params.percent("correlation", false);
  auto target = read_net_target(params, step, exp);
  if (delay && jitter && *jitter > *delay) {
    params.error_at(
        "jitter",
        fmt::format("jitter {} is larger than delay {}", format_duration(*jitter), format_duration(*delay)),
        "a packet cannot leave before it arrived: keep jitter at most delay");
  }
  if (correlation && *correlation > 0 && (!jitter || jitter->count() == 0)) {
    params.error_at("correlation", "correlation without jitter has no effect",
                    "set jitter, or drop correlation");
  }
  if (!params.ok() || !delay || !target) {
    return nullptr;
  }
  DelayerConfig config;
  config.delay = *delay;
  config.jitter = jitter.value_or(Duration{0});
  config.delay_correlation = correlation.value_or(0);
  return std::make_unique<Latency>(std::move(*target), config);
}

}  // namespace
}  // namespace faultline::faults
