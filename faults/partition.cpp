// partition: the network between a service and its peers splits, the
// "switch failure / security group change cut one host off" incident.
// Packets are dropped silently (no RST, no ICMP), so the other side sees
// timeouts, as in a real partition, not refusals.
//
// An nftables table (family inet) inside the target's namespace drops what
// enters eth0 from the peers (ingress) and/or what leaves eth0 for them
// (egress); `both` (the default) cuts both ways, a one-way direction makes an
// asymmetric partition. Without `peer` the target is cut off from every
// other host. The table goes with the namespace at teardown.

#include <fmt/format.h>

#include "faults/common/fault_site.h"
#include "faults/common/kernel_path.h"
#include "faults/common/lb_measures.h"
#include "faults/common/net_target.h"
#include "faults/common/nft.h"
#include "faults/fault_type.h"

namespace faultline::faults {
namespace {

class Partition final : public Fault {
 public:
  static constexpr const char* kName = "partition";
  static constexpr const char* kSummary =
      "Silently drop traffic between a service and its peers (nftables), one or both ways";
  static Needs needs() { return {.root = true, .target_kinds = {}, .kernel_feature = "nftables"}; }

  struct Params {
    NetTargetParams target;
  };
  static const ParamTable<Params>& params() {
    static const ParamTable<Params> table{
        net_target_params(&Params::target, {Direction::both, Direction::egress, Direction::ingress})};
    return table;
  }
  static std::unique_ptr<Fault> make(const Params& p, ParamReader& params, const experiment::Experiment& exp);

  Partition(NetTarget target, FaultSite site) : target_(std::move(target)), site_(std::move(site)) {}

  std::optional<KernelPath> kernel_path() const override {
    return nftables_path(fmt::format("in {}'s network namespace", target_.service));
  }

  std::string describe() const override {
    return fmt::format("the network was partitioned: {} was dropped silently", target_.describe());
  }

  Status inject(stack::RunningStack& stack) override {
    return table_.install(stack, target_, "partition",
                          [](bool ingress, const std::vector<std::string>& peers) {
                            return std::vector<std::string>{nft_match(ingress, peers) + " drop"};
                          });
  }

  Status revert(stack::RunningStack& stack) override { return table_.remove(stack); }

  std::string mechanism() const override {
    if (table_.name().empty()) {
      return {};
    }
    return fmt::format("an nftables table ({}) in {}'s network namespace, dropping silently", table_.name(),
                       target_.service);
  }

  std::vector<Measure> suggested_measures() const override {
    std::vector<Measure> out;
    if (const auto lb = balancer_for_traffic(site_, target_.peers)) {
      out.push_back(take_failed_server_out(*lb));
      out.push_back(retry_on_another_server(*lb));
    } else {
      out.push_back(redundant_load_balancer(target_.service));
    }
    out.push_back({"Spread backends across failure domains (racks, zones)", MeasureType::prevent});
    out.push_back({"Alert on a backend that stops answering health checks", MeasureType::detect});
    return out;
  }

 private:
  NetTarget target_;
  FaultSite site_;
  NftTargetTable table_;
};

std::unique_ptr<Fault> Partition::make(const Params& p, ParamReader& params,
                                       const experiment::Experiment& exp) {
  auto target = check_net_target(params, p.target, exp);
  if (!params.ok() || !target) {
    return nullptr;
  }
  return std::make_unique<Partition>(std::move(*target), fault_site(params.step(), exp));
}

const Registration registration{fault_type<Partition>()};

}  // namespace
}  // namespace faultline::faults
