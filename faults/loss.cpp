// loss: drops a share of the target's packets, the flaky link or overloaded
// switch that TCP hides behind retransmissions (and tail latency). Without
// correlation: in the kernel, with an nftables table in the service's
// namespace (`numgen random mod 10000 < N drop`), exact and independent of
// faultline staying alive. With correlation (bursts): netem, or faultline's
// NFQUEUE delayer with netem's correlated random numbers.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <atomic>
#include <cmath>

#include "faults/common/fault_site.h"
#include "faults/common/kernel_path.h"
#include "faults/common/lb_measures.h"
#include "faults/common/net_target.h"
#include "faults/common/netem.h"
#include "faults/fault_type.h"

namespace faultline::faults {
namespace {

// A per-fault nftables table inside the target's namespace: its name carries
// the run id, and the namespace going away removes it with everything else.
class NftLoss {
 public:
  Status apply(stack::RunningStack& stack, const NetTarget& target, double percent) {
    static std::atomic<int> counter{0};
    service_ = target.service;
    table_ = fmt::format("faultline_{}_loss{}", stack.identity().run_id, counter.fetch_add(1));
    auto peers = peer_addresses(target, stack);
    if (!peers) {
      return peers.error();
    }
    if (auto st = nft(stack, {"add", "table", "ip", table_}); !st) {
      return st;
    }
    created_ = true;
    const auto threshold = std::to_string(std::lround(percent * 10000));
    const std::string peer_set = peers->empty() ? "" : fmt::format("{{ {} }}", fmt::join(*peers, ", "));
    auto add_chain = [&](const char* chain, const char* hook, const char* if_key,
                         const char* addr_key) -> Status {
      if (auto st = nft(stack, {"add", "chain", "ip", table_, chain,
                                fmt::format("{{ type filter hook {} priority 0 ; policy accept ; }}", hook)});
          !st) {
        return st;
      }
      std::vector<std::string> rule{"add", "rule", "ip", table_, chain, if_key, kServiceInterface};
      if (!peer_set.empty()) {
        rule.insert(rule.end(), {"ip", addr_key, peer_set});
      }
      rule.insert(rule.end(), {"numgen", "random", "mod", "10000", "<", threshold, "counter", "drop"});
      return nft(stack, rule);
    };
    if (target.egress()) {
      if (auto st = add_chain("out", "output", "oifname", "daddr"); !st) {
        (void)remove(stack);
        return st;
      }
    }
    if (target.ingress()) {
      if (auto st = add_chain("in", "input", "iifname", "saddr"); !st) {
        (void)remove(stack);
        return st;
      }
    }
    return {};
  }

  Status remove(stack::RunningStack& stack) {
    if (!created_) {
      return {};
    }
    created_ = false;
    // Gone already (namespace torn down, removed by hand) counts as removed.
    if (!nft(stack, {"list", "table", "ip", table_})) {
      return {};
    }
    return nft(stack, {"delete", "table", "ip", table_});
  }

  const std::string& table() const { return table_; }

 private:
  Status nft(stack::RunningStack& stack, std::vector<std::string> args) {
    args.insert(args.begin(), "nft");
    return run_in_service_netns(stack, service_, args);
  }

  std::string service_;
  std::string table_;
  bool created_ = false;
};

class Loss final : public Fault {
 public:
  static constexpr const char* kName = "loss";
  static constexpr const char* kSummary =
      "Drop a share of a service's packets (nftables; netem or an NFQUEUE delayer for bursts)";
  static Needs needs() {
    return {.root = true,
            .target_kinds = {},
            .kernel_feature = "nftables numgen; for correlation sch_netem or NFQUEUE"};
  }

  struct Params {
    std::optional<double> percent;
    std::optional<double> correlation;
    NetTargetParams target;
  };
  static const ParamTable<Params>& params() {
    static const ParamTable<Params> table{
        {
            param(&Params::percent, "percent", kind::percent())
                .required()
                .doc("share of packets dropped (0.01% steps)"),
            param(&Params::correlation, "correlation", kind::percent())
                .defaults_to(0)
                .doc("how much each packet's fate leans on the previous one (bursts)"),
        },
        net_target_params(&Params::target)};
    return table;
  }
  static std::unique_ptr<Fault> make(const Params& p, ParamReader& params, const experiment::Experiment& exp);

  Loss(NetTarget target, double percent, double correlation, FaultSite site)
      : target_(std::move(target)), percent_(percent), correlation_(correlation), site_(std::move(site)) {}

  std::string describe() const override {
    std::string text =
        fmt::format("{:g}% of the packets in {} were dropped", percent_ * 100, target_.describe());
    if (correlation_ > 0) {
      text += fmt::format(" in bursts (correlation {:g}%)", correlation_ * 100);
    }
    return text;
  }

  std::optional<KernelPath> kernel_path() const override {
    if (correlation_ > 0) {
      return impairment_path(target_);
    }
    return nftables_path(fmt::format("in {}'s network namespace", target_.service));
  }
  std::string mechanism() const override {
    if (correlation_ > 0) {
      return path_.mechanism();
    }
    if (nft_.table().empty()) {
      return {};
    }
    return fmt::format("an nftables table ({}) in {}'s network namespace, dropping with `numgen random`",
                       nft_.table(), target_.service);
  }

  Status inject(stack::RunningStack& stack) override {
    if (correlation_ > 0) {
      platform::DelayerConfig config;
      config.loss = percent_;
      config.loss_correlation = correlation_;
      return path_.apply(stack, target_, config);
    }
    return nft_.apply(stack, target_, percent_);
  }

  Status revert(stack::RunningStack& stack) override {
    Status a = nft_.remove(stack);
    Status b = path_.remove(stack);
    return a.ok() ? b : a;
  }

  std::vector<Measure> suggested_measures() const override {
    std::vector<Measure> out{
        {"Alert on TCP retransmissions and on tail latency (p99), where packet loss shows long before errors "
         "do",
         MeasureType::detect},
        {"Keep connect and request timeouts above the retransmission timeouts (SYN retries at 1 s, 3 s), so "
         "one lost packet does not fail a request",
         MeasureType::prevent},
    };
    if (const auto lb = balancer_for_traffic(site_, target_.peers)) {
      out.push_back(retry_on_another_server(*lb));
    }
    out.push_back(
        {"Check links, NIC error counters and switch ports of the affected path; route around a lossy "
         "hop",
         MeasureType::prevent});
    return out;
  }

 private:
  NetTarget target_;
  double percent_;
  double correlation_;
  FaultSite site_;
  NftLoss nft_;
  ImpairmentPath path_;
};

std::unique_ptr<Fault> Loss::make(const Params& p, ParamReader& params, const experiment::Experiment& exp) {
  auto target = check_net_target(params, p.target, exp);
  if (p.percent && *p.percent < 0.0001) {
    params.error_at("percent", "a loss of 0% does nothing", "give a share above 0%, e.g. percent: 20%");
  }
  if (p.correlation && *p.correlation >= 1) {
    params.error_at("correlation", "a correlation of 100% repeats the first packet's fate forever",
                    "keep it below 100%, e.g. 25%");
  }
  if (!params.ok() || !p.percent || !p.correlation || !target) {
    return nullptr;
  }
  return std::make_unique<Loss>(std::move(*target), *p.percent, *p.correlation,
                                fault_site(params.step(), exp));
}

const Registration registration{fault_type<Loss>()};

}  // namespace
}  // namespace faultline::faults
