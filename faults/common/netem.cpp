#include "faults/common/netem.h"

#include <fmt/format.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "faults/common/kernel_features.h"
#include "faults/common/kernel_path.h"
#include "faults/common/net_target.h"

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

// One netlink request on the calling thread's namespace: add or delete the
// root qdisc of eth0.
Status qdisc_request(const DelayerConfig* config) {
  const unsigned ifindex = ::if_nametoindex(kServiceInterface);
  if (ifindex == 0) {
    return Error{fmt::format("no interface {} here", kServiceInterface)};
  }
  nl_sock* sock = nl_socket_alloc();
  if (sock == nullptr) {
    return Error{"cannot allocate a netlink socket"};
  }
  Status result;
  if (int cerr = nl_connect(sock, NETLINK_ROUTE); cerr < 0) {
    result = Error{fmt::format("netlink connect: {}", nl_geterror(cerr))};
  } else {
    rtnl_qdisc* q = rtnl_qdisc_alloc();
    rtnl_tc_set_ifindex(TC_CAST(q), static_cast<int>(ifindex));
    rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
    rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(0xfa17, 0));
    int err = rtnl_tc_set_kind(TC_CAST(q), "netem");
    if (err == 0 && config != nullptr) {
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
      err = rtnl_qdisc_add(sock, q, NLM_F_CREATE | NLM_F_REPLACE);
    } else if (err == 0) {
      err = rtnl_qdisc_delete(sock, q);
      // Already gone counts as removed.
      if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NOADDR || err == -NLE_INVAL) {
        err = 0;
      }
    }
    if (err < 0) {
      result = Error{fmt::format("netem qdisc on {}: {}", kServiceInterface, nl_geterror(err))};
    }
    rtnl_qdisc_put(q);
  }
  nl_socket_free(sock);
  return result;
}

}  // namespace

Status NetemQdisc::apply(stack::RunningStack& stack, const DelayerConfig& config) {
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
                             const DelayerConfig& config) {
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
