// latency: holds the target's packets for `delay` (± `jitter`), the slow
// network link or overloaded middlebox that no error reports. netem where
// the kernel has it, faultline's NFQUEUE delayer otherwise.

#include <fmt/format.h>

#include "faults/common/impairment_fault.h"
#include "faults/common/lb_measures.h"
#include "faults/common/params.h"
#include "faults/registry.h"

namespace faultline::faults {
namespace {

class Latency final : public ImpairmentFault {
 public:
  using ImpairmentFault::ImpairmentFault;

  std::vector<Measure> suggested_measures() const override {
    std::vector<Measure> out{
        {"Set client and upstream timeouts from measured latency percentiles, with a budget for the whole "
         "call chain, so a slow hop fails fast instead of piling up requests",
         MeasureType::prevent},
        {"Alert on latency percentiles (p99) per hop, not only on error rates: added latency raises no "
         "errors",
         MeasureType::detect},
    };
    if (const auto lb = balancer()) {
      out.push_back(bound_server_timeouts(*lb));
      out.push_back(balance_by_least_connections(*lb));
    }
    return out;
  }

 private:
  std::string what() const override {
    std::string text =
        fmt::format("{} was delayed by {}", target().describe(), format_duration(config().delay));
    if (config().jitter.count() > 0) {
      text += fmt::format(" ± {}", format_duration(config().jitter));
    }
    return text;
  }
};

std::unique_ptr<Fault> parse(const experiment::MethodStep& step, const experiment::Experiment& exp,
                             experiment::Diagnostics& diags);

const Registration registration{FaultType{
    .name = "latency",
    .summary = "Delay a service's network traffic (netem on its whole egress; an NFQUEUE delayer for "
               "ingress, peers or without sch_netem)",
    .params = with_net_target_params({
        {"delay", "duration 1ms..60s", "", "time every packet is held"},
        {"jitter", "duration", "0ms", "uniform variation around delay (at most delay)"},
        {"correlation", "percent", "0%", "how much each packet's jitter leans on the previous one"},
    }),
    .needs = impairment_needs(),
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
  platform::DelayerConfig config;
  config.delay = *delay;
  config.jitter = jitter.value_or(Duration{0});
  config.delay_correlation = correlation.value_or(0);
  return std::make_unique<Latency>(std::move(*target), config, fault_site(step, exp));
}

}  // namespace
}  // namespace faultline::faults
