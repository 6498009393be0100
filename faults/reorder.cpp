// reorder: netem's reordering. `percent` of the target's packets go out at
// once while every other packet waits `delay`, so the quick ones overtake
// the held ones: what TCP sees on a path with several routes of different
// length. netem where the kernel has it, the NFQUEUE delayer otherwise.

#include <fmt/format.h>

#include "faults/common/impairment_fault.h"
#include "faults/common/params.h"
#include "faults/registry.h"

namespace faultline::faults {
namespace {

class Reorder final : public ImpairmentFault {
 public:
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

std::unique_ptr<Fault> parse(const experiment::MethodStep& step, const experiment::Experiment& exp,
                             experiment::Diagnostics& diags);

const Registration registration{FaultType{
    .name = "reorder",
    .summary = "Reorder a service's packets: some go at once, the rest wait (netem, or an NFQUEUE delayer)",
    .params = with_net_target_params({
        {"percent", "percent", "", "share of packets sent at once (overtaking the others)"},
        {"delay", "duration 1ms..10s", "", "time every other packet is held"},
        {"correlation", "percent", "0%", "how much each packet's fate leans on the previous one"},
    }),
    .needs = impairment_needs(),
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
  platform::DelayerConfig config;
  config.delay = *delay;
  config.reorder = *percent;
  config.reorder_correlation = correlation.value_or(0);
  return std::make_unique<Reorder>(std::move(*target), config, fault_site(step, exp));
}

}  // namespace
}  // namespace faultline::faults
