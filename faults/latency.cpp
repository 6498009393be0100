// latency: holds the target's packets for `delay` (± `jitter`), the slow
// network link or overloaded middlebox that no error reports. netem where
// the kernel has it, faultline's NFQUEUE delayer otherwise.

#include <fmt/format.h>

#include "faults/common/impairment_fault.h"
#include "faults/common/lb_measures.h"
#include "faults/fault_type.h"

namespace faultline::faults {
namespace {

class Latency final : public ImpairmentFault {
 public:
  static constexpr const char* kName = "latency";
  static constexpr const char* kSummary =
      "Delay a service's network traffic (netem on its whole egress; an NFQUEUE delayer for ingress, peers "
      "or without sch_netem)";
  static Needs needs() { return impairment_needs(); }

  struct Params {
    std::optional<Duration> delay;
    std::optional<Duration> jitter;
    std::optional<double> correlation;
    NetTargetParams target;
  };

  static const ParamTable<Params>& params() {
    using namespace std::chrono_literals;
    static const ParamTable<Params> table{
        {
            param(&Params::delay, "delay", kind::duration(1ms, 60s))
                .required()
                .doc("time every packet is held"),
            param(&Params::jitter, "jitter", kind::duration(0ms, 60s))
                .defaults_to(0ms)
                .doc("uniform variation around delay (at most delay)"),
            param(&Params::correlation, "correlation", kind::percent())
                .defaults_to(0)
                .doc("how much each packet's jitter leans on the previous one"),
        },
        net_target_params(&Params::target)};
    return table;
  }

  static std::unique_ptr<Fault> make(const Params& p, ParamReader& params, const experiment::Experiment& exp);

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

std::unique_ptr<Fault> Latency::make(const Params& p, ParamReader& params,
                                     const experiment::Experiment& exp) {
  auto target = check_net_target(params, p.target, exp);
  if (p.delay && p.jitter && *p.jitter > *p.delay) {
    params.error_at("jitter",
                    fmt::format("jitter {} is larger than delay {}", format_duration(*p.jitter),
                                format_duration(*p.delay)),
                    "a packet cannot leave before it arrived: keep jitter at most delay");
  }
  if (p.correlation && *p.correlation > 0 && (!p.jitter || p.jitter->count() == 0)) {
    params.error_at("correlation", "correlation without jitter has no effect",
                    "set jitter, or drop correlation");
  }
  if (!params.ok() || !p.delay || !target) {
    return nullptr;
  }
  platform::DelayerConfig config;
  config.delay = *p.delay;
  config.jitter = *p.jitter;
  config.delay_correlation = *p.correlation;
  return std::make_unique<Latency>(std::move(*target), config, fault_site(params.step(), exp));
}

const Registration registration{fault_type<Latency>()};

}  // namespace
}  // namespace faultline::faults
