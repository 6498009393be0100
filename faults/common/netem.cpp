#include "faults/common/netem.h"

#include <fmt/format.h>
#include <netlink/netlink.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "faults/common/kernel_path.h"
#include "faults/common/net_target.h"
#include "harness/platform/kernel_features.h"
#include "harness/platform/netlink.h"
#include "harness/platform/tc.h"

namespace faultline::faults {
namespace {

// netem's probabilities are fractions of 2^32 - 1 (libnl passes them through).
int scaled(double p) {
  const auto v = static_cast<uint32_t>(std::lround(std::clamp(p, 0.0, 1.0) * 4294967295.0));
  return static_cast<int>(v);
}

int usec(Duration d) {
  return static_cast<int>(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}

// One netlink request on the calling thread's namespace: make (with a
// config) or delete the root qdisc of eth0.
Status qdisc_request(const platform::DelayerConfig* config) {
  auto sock = platform::RouteSocket::open();
  if (!sock) {
    return sock.error();
  }
  auto ifindex = sock->ifindex_if_present(kServiceInterface);
  if (!ifindex) {
    return ifindex.error();
  }
  if (*ifindex == 0) {
    return Error{fmt::format("no interface {} here", kServiceInterface)};
  }
  Status done;
  if (config == nullptr) {
    done = platform::delete_root_qdisc(*sock, *ifindex);
  } else {
    done = platform::add_root_qdisc(
        *sock, *ifindex, 0xfa17, "netem",
        [&](rtnl_qdisc* q) {
          rtnl_netem_set_limit(q, 20000);
          rtnl_netem_set_delay(q, usec(config->delay));
          if (config->jitter.count() > 0) {
            rtnl_netem_set_jitter(q, usec(config->jitter));
            rtnl_netem_set_delay_correlation(q, scaled(config->delay_correlation));
          }
          if (config->loss > 0) {
            rtnl_netem_set_loss(q, scaled(config->loss));
            rtnl_netem_set_loss_correlation(q, scaled(config->loss_correlation));
          }
          if (config->duplicate > 0) {
            rtnl_netem_set_duplicate(q, scaled(config->duplicate));
          }
          if (config->reorder > 0) {
            rtnl_netem_set_reorder_probability(q, scaled(config->reorder));
            rtnl_netem_set_reorder_correlation(q, scaled(config->reorder_correlation));
          }
        },
        true);
  }
  if (!done) {
    return Error{fmt::format("netem qdisc on {}: {}", kServiceInterface, done.error().message)};
  }
  return {};
}

}  // namespace

Status NetemQdisc::apply(stack::RunningStack& stack, const platform::DelayerConfig& config) {
  auto st = stack.in_netns(service_, [&]() -> Status { return qdisc_request(&config); });
  if (st) {
    applied_ = true;
  }
  return st;
}

Status NetemQdisc::remove(stack::RunningStack& stack) {
  if (!applied_) {
    return {};
  }
  auto st = stack.in_netns(service_, [&]() -> Status { return qdisc_request(nullptr); });
  applied_ = false;  // a namespace that is gone took the qdisc with it
  return st;
}

Status ImpairmentPath::apply(stack::RunningStack& stack, const NetTarget& target,
                             const platform::DelayerConfig& config) {
  // The same decision, and words, as preflight's (kernel_path.h).
  const KernelPath path = impairment_path(target);
  if (netem_takes(target)) {
    netem_ = std::make_unique<NetemQdisc>(target.service);
    if (auto st = netem_->apply(stack, config); !st) {
      return st;
    }
    mechanism_ = path.mechanism;
    return {};
  }
  if (auto st = queued_.attach(stack, target, config); !st) {
    return st;
  }
  mechanism_ = path.mechanism;
  return {};
}

Status ImpairmentPath::remove(stack::RunningStack& stack) {
  Status result;
  if (netem_) {
    result = netem_->remove(stack);
    netem_.reset();
  }
  if (auto st = queued_.detach(stack); !st && result.ok()) {
    result = st;
  }
  return result;
}

}  // namespace faultline::faults
