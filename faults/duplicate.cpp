// duplicate: sends a share of the target's packets twice, the misbehaving
// bridge or retransmitting middlebox. netem where the kernel has it;
// otherwise the NFQUEUE delayer re-sends a copy of each chosen packet through
// a raw socket (marked, so the queue rules let the copy pass). The copy can
// only be sent outwards, so without netem only direction egress exists.

#include <fmt/format.h>

#include "faults/common/impairment_fault.h"
#include "faults/fault_type.h"

namespace faultline::faults {
namespace {

class Duplicate final : public ImpairmentFault {
 public:
  static constexpr const char* kName = "duplicate";
  static constexpr const char* kSummary =
      "Send a share of a service's outgoing packets twice (netem, or NFQUEUE + raw socket)";
  static Needs needs() { return impairment_needs(); }

  struct Params {
    std::optional<double> percent;
    NetTargetParams target;
  };
  static const ParamTable<Params>& params() {
    static const ParamTable<Params> table{
        {param(&Params::percent, "percent", kind::percent()).required().doc("share of packets sent twice")},
        net_target_params(&Params::target, {Direction::egress})};
    return table;
  }
  static std::unique_ptr<Fault> make(const Params& p, ParamReader& params, const experiment::Experiment& exp);

  Duplicate(NetTarget target, double percent, FaultSite site)
      : ImpairmentFault(std::move(target), config_of(percent), std::move(site)) {}

  std::vector<Measure> suggested_measures() const override {
    return {
        {"Make request handlers idempotent (idempotency keys) so a duplicated request cannot act twice",
         MeasureType::prevent},
        {"Watch duplicate-ACK and D-SACK counters on hosts: duplicated packets show there first",
         MeasureType::detect},
        {"Find the device that duplicates (mirror ports, bonding, misconfigured bridges) and fix its "
         "configuration",
         MeasureType::prevent},
    };
  }

 private:
  static platform::DelayerConfig config_of(double percent) {
    platform::DelayerConfig config;
    config.duplicate = percent;
    return config;
  }

  std::string what() const override {
    return fmt::format("{:g}% of the packets in {} were sent twice", config().duplicate * 100,
                       target().describe());
  }
};

std::unique_ptr<Fault> Duplicate::make(const Params& p, ParamReader& params,
                                       const experiment::Experiment& exp) {
  auto target = check_net_target(params, p.target, exp);
  if (p.percent && *p.percent <= 0) {
    params.error_at("percent", "duplicating 0% of packets does nothing", "give a share above 0%, e.g. 5%");
  }
  if (!params.ok() || !p.percent || !target) {
    return nullptr;
  }
  return std::make_unique<Duplicate>(std::move(*target), *p.percent, fault_site(params.step(), exp));
}

const Registration registration{fault_type<Duplicate>()};

}  // namespace
}  // namespace faultline::faults
