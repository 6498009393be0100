// bandwidth: caps the throughput of a service's interface with a token-bucket
// filter (tbf), the "link is saturated / a NIC negotiated 100 Mbit" incident.
//
// Egress shapes what leaves the service: tbf as the root qdisc of eth0
// inside its namespace, gone with the namespace. Ingress shapes what enters
// it without IFB: tbf on the root-side end of its veth, whose egress is
// exactly the service's ingress; that link carries the run id and is deleted
// at teardown, taking the qdisc along. tbf acts on a whole interface, so a
// `peer` filter is refused (it would need htb + u32 classes).
//
// Units: `rate` is bits per second with an SI suffix as tc writes them
// (`bit`, `kbit`, `mbit`, `gbit`; 1 kbit = 1000 bit); `burst` is bytes with a
// binary suffix (`b`, `kb`, `mb`; 1 kb = 1024 bytes). tbf counts every byte
// of a frame (Ethernet, IP and TCP headers), so payload throughput is about
// 95% of `rate` with full-size segments.

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <regex>

#include "faults/common/kernel_path.h"
#include "faults/common/net_target.h"
#include "faults/fault_type.h"
#include "harness/platform/tc.h"

namespace faultline::faults {
namespace {

class Bandwidth final : public Fault {
 public:
  static constexpr const char* kName = "bandwidth";
  static constexpr const char* kSummary =
      "Cap a service's throughput with a token-bucket filter (tbf) on its interface";
  static Needs needs() { return {.root = true, .target_kinds = {}, .kernel_feature = "sch_tbf"}; }

  struct Params {
    std::optional<std::string> rate;   // bits per second, checked by make()
    std::optional<std::string> burst;  // bytes, checked by make()
    std::optional<Duration> latency;
    NetTargetParams target;
  };
  // `peer` is in the table so that giving one gets a precise refusal rather
  // than "unknown parameter".
  static const ParamTable<Params>& params() {
    using namespace std::chrono_literals;
    static const ParamTable<Params> table{
        {
            param(&Params::rate, "rate", kind::text("rate"))
                .required()
                .doc("the cap in bits per second: 512kbit, 8mbit, 1gbit (SI: 1 kbit = 1000 bit)"),
            param(&Params::burst, "burst", kind::text("size"))
                .absent_means("max(16kb, rate x 10ms)")
                .doc("bytes that may pass at once: 32kb, 1mb (1 kb = 1024 bytes)"),
            param(&Params::latency, "latency", kind::duration(1ms, 10s))
                .defaults_to(100ms)
                .doc("longest a packet may wait in the bucket's queue before it is dropped (a short queue "
                     "makes "
                     "TCP lose segments and run below the cap)"),
        },
        net_target_params(&Params::target)};
    return table;
  }
  static std::unique_ptr<Fault> make(const Params& p, ParamReader& params, const experiment::Experiment& exp);

  Bandwidth(NetTarget target, std::string rate_text, platform::TbfSpec spec)
      : target_(std::move(target)), rate_text_(std::move(rate_text)), spec_(spec) {}

  std::optional<KernelPath> kernel_path() const override {
    const char* where = target_.direction == Direction::egress ? "on {}'s {}"
                        : target_.direction == Direction::ingress
                            ? "on the host's end of {}'s link (its {} ingress)"
                            : "on both ends of {}'s link ({})";
    return tbf_path(fmt::format(fmt::runtime(where), target_.service, kServiceInterface));
  }

  std::string describe() const override {
    return fmt::format("the bandwidth of {} was capped at {}", target_.describe(), rate_text_);
  }

  // The qdisc and its bucket, which shape how the cap feels (bursts pass at
  // line rate, a full queue drops).
  std::string mechanism() const override {
    return fmt::format("{} (token bucket: {} bytes burst, {} bytes queue)", kernel_path()->mechanism,
                       spec_.burst_bytes, spec_.limit_bytes);
  }

  Status inject(stack::RunningStack& stack) override {
    if (target_.egress()) {
      egress_applied_ = true;  // revert tries even when install failed halfway
      auto st =
          stack.in_netns(target_.service, [&] { return platform::install_tbf(kServiceInterface, spec_); });
      if (!st) {
        return st;
      }
    }
    if (target_.ingress()) {
      const auto* planned = stack.plan().find(target_.service);
      if (planned == nullptr) {
        return Error{fmt::format("bandwidth: {} is not in the stack's plan", target_.service)};
      }
      host_veth_ = planned->host_veth;
      if (auto st = platform::install_tbf(host_veth_, spec_); !st) {
        return st;
      }
    }
    return {};
  }

  Status revert(stack::RunningStack& stack) override {
    Status result;
    if (egress_applied_) {
      if (auto st = stack.in_netns(target_.service, [] { return platform::remove_tbf(kServiceInterface); });
          !st) {
        result = st;
      } else {
        egress_applied_ = false;
      }
    }
    if (!host_veth_.empty()) {
      if (auto st = platform::remove_tbf(host_veth_); !st) {
        result = st;
      } else {
        host_veth_.clear();
      }
    }
    return result;
  }

  std::vector<Measure> suggested_measures() const override {
    return {
        {"Alert on interface utilisation and on response transfer time, not only on request latency to first "
         "byte",
         MeasureType::detect},
        {"Keep large responses off the request path: serve them from a CDN or object store, compress them, "
         "page them",
         MeasureType::prevent},
        {"Size client and load-balancer timeouts for the slowest link a response must cross, and shed or "
         "queue requests explicitly when a link is saturated",
         MeasureType::mitigate},
    };
  }

 private:
  NetTarget target_;
  std::string rate_text_;
  platform::TbfSpec spec_;
  bool egress_applied_ = false;
  std::string host_veth_;  // set while an ingress tbf may be installed
};

// "8mbit" -> 1'000'000 bytes/s; nullopt when it does not follow the grammar.
std::optional<uint64_t> parse_rate(const std::string& text) {
  static const std::regex re(R"(^([0-9]+(?:\.[0-9]+)?)(bit|kbit|mbit|gbit)$)");
  std::smatch m;
  if (!std::regex_match(text, m, re)) {
    return std::nullopt;
  }
  const double value = std::stod(m[1].str());
  const std::string unit = m[2].str();
  const double scale = unit == "bit" ? 1 : unit == "kbit" ? 1e3 : unit == "mbit" ? 1e6 : 1e9;
  return static_cast<uint64_t>(std::llround(value * scale / 8));
}

// "32kb" -> 32768 bytes.
std::optional<uint64_t> parse_size(const std::string& text) {
  static const std::regex re(R"(^([0-9]+)(b|kb|mb)$)");
  std::smatch m;
  if (!std::regex_match(text, m, re)) {
    return std::nullopt;
  }
  const uint64_t value = std::stoull(m[1].str());
  const std::string unit = m[2].str();
  return value * (unit == "b" ? 1 : unit == "kb" ? 1024 : 1024 * 1024);
}

std::unique_ptr<Fault> Bandwidth::make(const Params& p, ParamReader& params,
                                       const experiment::Experiment& exp) {
  auto target = check_net_target(params, p.target, exp);
  // Plain integers, 0 for "not given or invalid": GCC's maybe-uninitialized
  // analysis misreads std::optional<uint64_t> here.
  uint64_t rate = 0;
  if (p.rate) {
    const auto parsed = parse_rate(*p.rate);
    if (!parsed) {
      params.error_at("rate", fmt::format("'{}' is not a rate", *p.rate),
                      "write a number and one of bit, kbit, mbit, gbit (bits per second), e.g. 8mbit");
    } else if (*parsed < 1000 || *parsed > uint64_t(std::numeric_limits<int>::max())) {
      params.error_at("rate", fmt::format("rate '{}' is outside 8kbit..17gbit", *p.rate));
    } else {
      rate = *parsed;
    }
  }
  uint64_t burst = 0;
  if (p.burst) {
    const auto parsed = parse_size(*p.burst);
    if (!parsed) {
      params.error_at("burst", fmt::format("'{}' is not a size", *p.burst),
                      "write a whole number and one of b, kb, mb, e.g. 32kb");
    } else if (*parsed < 2048 || *parsed > 64u * 1024 * 1024) {
      params.error_at("burst", fmt::format("burst '{}' is outside 2kb..64mb", *p.burst),
                      "it must hold at least one full-size frame");
    } else {
      burst = *parsed;
    }
  }
  if (target && !target->peers.empty()) {
    params.error_at(
        "peer", "bandwidth caps a whole interface and takes no peer",
        "leave 'peer' out; to cap only the traffic towards one peer, cap that peer's ingress instead");
  }
  if (!params.ok() || rate == 0 || !p.latency || !target) {
    return nullptr;
  }
  platform::TbfSpec spec;
  spec.rate_bytes = rate;
  // The bucket must hold what arrives between two timer ticks (10 ms of
  // traffic) and several full-size frames, else tbf throttles below the cap.
  spec.burst_bytes = static_cast<uint32_t>(burst != 0 ? burst : std::max<uint64_t>(16 * 1024, rate / 100));
  const double queued = double(rate) * std::chrono::duration<double>(*p.latency).count();
  spec.limit_bytes = static_cast<uint32_t>(std::min<double>(queued + spec.burst_bytes, 256.0 * 1024 * 1024));
  return std::make_unique<Bandwidth>(std::move(*target), *p.rate, spec);
}

const Registration registration{fault_type<Bandwidth>()};

}  // namespace
}  // namespace faultline::faults
