#include "faults/common/kernel_features.h"

#include <fmt/format.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>
#include <sched.h>

#include <cstring>
#include <mutex>
#include <thread>

namespace faultline::faults {
namespace {

FeatureProbe probe_netem() {
  FeatureProbe result;
  // The probe runs on its own thread, which moves into a new, empty network
  // namespace: the qdisc made on its loopback, and the namespace itself, go
  // away when the thread ends, so probing leaves nothing behind.
  std::thread t([&result] {
    if (::unshare(CLONE_NEWNET) != 0) {
      result.reason = fmt::format("cannot make a scratch network namespace: {}", std::strerror(errno));
      return;
    }
    nl_sock* sock = nl_socket_alloc();
    if (sock == nullptr || nl_connect(sock, NETLINK_ROUTE) < 0) {
      result.reason = "cannot open a route netlink socket";
      nl_socket_free(sock);
      return;
    }
    rtnl_qdisc* q = rtnl_qdisc_alloc();
    rtnl_tc_set_ifindex(TC_CAST(q), 1);  // lo is always 1 in a new namespace
    rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
    rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(1, 0));
    int err = rtnl_tc_set_kind(TC_CAST(q), "netem");
    if (err == 0) {
      rtnl_netem_set_delay(q, 1000);
      err = rtnl_qdisc_add(sock, q, NLM_F_CREATE);
    }
    if (err == 0) {
      result.available = true;
    } else {
      result.reason =
          fmt::format("kernel has no sch_netem (creating a netem qdisc failed: {})", nl_geterror(err));
    }
    rtnl_qdisc_put(q);
    nl_socket_free(sock);
  });
  t.join();
  return result;
}

}  // namespace

const FeatureProbe& netem_support() {
  static std::once_flag once;
  static FeatureProbe probe;
  std::call_once(once, [] { probe = probe_netem(); });
  return probe;
}

}  // namespace faultline::faults
