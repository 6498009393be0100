// reorder: netem's reordering. `percent` of the target's packets go out at
// once while every other packet waits `delay`, so the quick ones overtake
// the held ones: what TCP sees on a path with several routes of different
// length. netem where the kernel has it, the NFQUEUE delayer otherwise.

#include <fmt/format.h>

#include "faults/common/impairment_fault.h"
#include "faults/fault_type.h"

namespace faultline::faults {
namespace {

class Reorder final : public ImpairmentFault {
 public:
  static constexpr const char* kName = "reorder";
  static constexpr const char* kSummary =
      "Reorder a service's packets: some go at once, the rest wait (netem, or an NFQUEUE delayer)";
  static Needs needs() { return impairment_needs(); }

  struct Params {
    std::optional<double> percent;
    std::optional<Duration> delay;
    std::optional<double> correlation;
    NetTargetParams target;
  };
  static const ParamTable<Params>& params() {
    using namespace std::chrono_literals;
    static const ParamTable<Params> table{
        {
            param(&Params::percent, "percent", kind::percent())
                .required()
                .doc("share of packets sent at once (overtaking the others)"),
            param(&Params::delay, "delay", kind::duration(1ms, 10s))
                .required()
                .doc("time every other packet is held"),
            param(&Params::correlation, "correlation", kind::percent())
                .defaults_to(0)
                .doc("how much each packet's fate leans on the previous one"),
        },
        net_target_params(&Params::target)};
    return table;
  }
  static std::unique_ptr<Fault> make(const Params& p, ParamReader& params, const experiment::Experiment& exp);

  using ImpairmentFault::ImpairmentFault;

  std::vector<Measure> suggested_measures() const override {
    return {
        {"Keep TCP's reordering tolerance (net.ipv4.tcp_reordering, RACK) at its defaults so reordering is "
         "not taken for loss",
         MeasureType::prevent},
        {"Avoid per-packet load sharing over paths of different delay (use per-flow hashing in ECMP and "
         "bonds)",
         MeasureType::prevent},
        {"Watch reordering counters (TCPSACKReorder, TCPRenoReorder) alongside retransmissions",
         MeasureType::detect},
    };
  }

 private:
  std::string what() const override {
    return fmt::format("{:g}% of the packets in {} overtook the others, which were held {}",
                       config().reorder * 100, target().describe(), format_duration(config().delay));
  }
};

std::unique_ptr<Fault> Reorder::make(const Params& p, ParamReader& params,
                                     const experiment::Experiment& exp) {
  auto target = check_net_target(params, p.target, exp);
  if (p.percent && (*p.percent <= 0 || *p.percent >= 1)) {
    params.error_at("percent", fmt::format("reordering {:g}% of packets reorders nothing", *p.percent * 100),
                    "give a share between 0% and 100%, e.g. 25%");
  }
  if (!params.ok() || !p.percent || !p.delay || !target) {
    return nullptr;
  }
  platform::DelayerConfig config;
  config.delay = *p.delay;
  config.reorder = *p.percent;
  config.reorder_correlation = *p.correlation;
  return std::make_unique<Reorder>(std::move(*target), config, fault_site(params.step(), exp));
}

const Registration registration{fault_type<Reorder>()};

}  // namespace
}  // namespace faultline::faults
