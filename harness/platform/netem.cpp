#include "harness/platform/netem.h"

#include <fmt/format.h>
#include <netlink/netlink.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>

#include "harness/platform/netlink.h"
#include "harness/platform/tc.h"

namespace faultline::platform {
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
// config) or delete the root qdisc of `interface`.
Status qdisc_request(const std::string& interface, const DelayerConfig* config) {
  auto sock = RouteSocket::open();
  if (!sock) {
    return sock.error();
  }
  auto ifindex = sock->ifindex_if_present(interface);
  if (!ifindex) {
    return ifindex.error();
  }
  if (*ifindex == 0) {
    return Error{fmt::format("no interface {} here", interface)};
  }
  Status done;
  if (config == nullptr) {
    done = delete_root_qdisc(*sock, *ifindex);
  } else {
    done = add_root_qdisc(
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
    return Error{fmt::format("netem qdisc on {}: {}", interface, done.error().message)};
  }
  return {};
}

}  // namespace

Status install_netem(const std::string& interface, const DelayerConfig& config) {
  return qdisc_request(interface, &config);
}

Status remove_netem(const std::string& interface) {
  return qdisc_request(interface, nullptr);
}

}  // namespace faultline::platform
