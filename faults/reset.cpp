// reset: TCP connections are reset, the "a firewall / conntrack table / crashed
// proxy in the path sends RSTs" incident.
//
// Semantics: an nftables table inside the target's namespace answers the
// selected TCP segments with a RST instead of delivering them.
// - direction ingress (default): segments entering the target; the sender
//   gets the RST, so the target looks as if it reset the connection (a
//   client connecting sees "connection refused", one mid-request sees
//   "connection reset by peer").
// - direction egress: segments the target sends; the RST goes back to the
//   target's own socket, so the target sees its connections to others reset.
// - flows: `new` resets only connection attempts (pure SYNs), `established`
//   only segments of open connections (no SYN: resets mid-stream, keeps new
//   connections working), `all` (default) both.
// - port: only segments with this port at either end; peer: only to/from
//   these services. The table goes with the namespace at teardown.

#include <fmt/format.h>

#include "faults/common/fault_site.h"
#include "faults/common/kernel_path.h"
#include "faults/common/lb_measures.h"
#include "faults/common/net_target.h"
#include "faults/common/nft.h"
#include "faults/fault_type.h"

namespace faultline::faults {
namespace {

class Reset final : public Fault {
 public:
  static constexpr const char* kName = "reset";
  static constexpr const char* kSummary =
      "Answer a service's TCP segments with resets (nftables `reject with tcp reset`)";
  static Needs needs() {
    return {.root = true, .target_kinds = {}, .kernel_feature = "nftables (nft_reject)"};
  }

  struct Params {
    std::optional<std::string> flows;
    std::optional<int> port;
    NetTargetParams target;
  };
  static const ParamTable<Params>& params() {
    static const ParamTable<Params> table{
        {
            param(&Params::flows, "flows", kind::choice({"new", "established", "all"}))
                .defaults_to("all")
                .doc("which segments: connection attempts (new), segments of open connections (established), "
                     "or all"),
            param(&Params::port, "port", kind::integer(1, 65535))
                .absent_means("any")
                .doc("only segments with this port at either end"),
        },
        net_target_params(&Params::target, {Direction::ingress, Direction::egress, Direction::both})};
    return table;
  }
  static std::unique_ptr<Fault> make(const Params& p, ParamReader& params, const experiment::Experiment& exp);

  Reset(NetTarget target, std::string flows, std::optional<int> port, FaultSite site)
      : target_(std::move(target)), flows_(std::move(flows)), port_(port), site_(std::move(site)) {}

  std::optional<KernelPath> kernel_path() const override {
    return nftables_path(fmt::format("in {}'s network namespace", target_.service));
  }

  std::string describe() const override {
    const char* which = flows_ == "new"           ? "new TCP connections"
                        : flows_ == "established" ? "established TCP connections"
                                                  : "TCP connections";
    return fmt::format("{}{} in {} were answered with TCP resets", which,
                       port_ ? fmt::format(" on port {}", *port_) : std::string{}, target_.describe());
  }

  Status inject(stack::RunningStack& stack) override {
    return table_.install(
        stack, target_, "reset",
        [this](bool ingress, const std::vector<std::string>& peers) { return rules(ingress, peers); });
  }

  Status revert(stack::RunningStack& stack) override { return table_.remove(stack); }

  std::string mechanism() const override {
    if (table_.name().empty()) {
      return {};
    }
    return fmt::format(
        "an nftables table ({}) in {}'s network namespace, answering with `reject with tcp reset`",
        table_.name(), target_.service);
  }

  std::vector<Measure> suggested_measures() const override {
    std::vector<Measure> out;
    if (const auto lb = balancer_for_traffic(site_, target_.peers)) {
      out.push_back(retry_on_another_server(*lb));
    }
    out.push_back(
        {"Alert on connection-level errors (resets, refusals) at the load balancer, separately from "
         "HTTP 5xx",
         MeasureType::detect});
    out.push_back(
        {"Check stateful middleboxes in the path (firewalls, NAT, conntrack limits) for tables that "
         "fill up or time out connections",
         MeasureType::process});
    return out;
  }

 private:
  std::vector<std::string> rules(bool ingress, const std::vector<std::string>& peers) const {
    const std::string flags = flows_ == "new"           ? " tcp flags & (syn | ack) == syn"
                              : flows_ == "established" ? " tcp flags & syn == 0"
                                                        : "";
    const std::string base = nft_match(ingress, peers);
    if (!port_) {
      return {base + " meta l4proto tcp" + flags + " reject with tcp reset"};
    }
    return {
        fmt::format("{} tcp dport {}{} reject with tcp reset", base, *port_, flags),
        fmt::format("{} tcp sport {}{} reject with tcp reset", base, *port_, flags),
    };
  }

  NetTarget target_;
  std::string flows_;
  std::optional<int> port_;
  FaultSite site_;
  NftTargetTable table_;
};

std::unique_ptr<Fault> Reset::make(const Params& p, ParamReader& params, const experiment::Experiment& exp) {
  auto target = check_net_target(params, p.target, exp);
  if (!params.ok() || !p.flows || !target) {
    return nullptr;
  }
  return std::make_unique<Reset>(std::move(*target), *p.flows, p.port, fault_site(params.step(), exp));
}

const Registration registration{fault_type<Reset>()};

}  // namespace
}  // namespace faultline::faults
