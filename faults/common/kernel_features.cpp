#include "faults/common/kernel_features.h"

#include <fmt/format.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/qdisc/tbf.h>
#include <sched.h>
#include <sys/wait.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>

namespace faultline::faults {
namespace {

// Runs `probe` on its own thread, which moves into a new, empty network
// namespace: whatever the probe makes there (a qdisc on its loopback, a
// table, a rule; commands it starts inherit the thread's namespace), and the
// namespace itself, go away when the thread ends, so probing leaves nothing
// behind.
FeatureProbe in_scratch_netns(const std::function<void(FeatureProbe&)>& probe) {
  FeatureProbe result;
  std::thread t([&result, &probe] {
    if (::unshare(CLONE_NEWNET) != 0) {
      result.reason = fmt::format("cannot make a scratch network namespace: {}", std::strerror(errno));
      return;
    }
    probe(result);
  });
  t.join();
  return result;
}

// A command run quietly inside the scratch namespace; true when it exits 0.
bool command_succeeds(const std::string& command) {
  const int status = std::system((command + " >/dev/null 2>&1").c_str());
  return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

FeatureProbe probe_tbf() {
  return in_scratch_netns([](FeatureProbe& result) {
    nl_sock* sock = nl_socket_alloc();
    if (sock == nullptr || nl_connect(sock, NETLINK_ROUTE) < 0) {
      result.reason = "cannot open a route netlink socket";
      nl_socket_free(sock);
      return;
    }
    rtnl_qdisc* q = rtnl_qdisc_alloc();
    rtnl_tc_set_ifindex(TC_CAST(q), 1);
    rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
    rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(1, 0));
    int err = rtnl_tc_set_kind(TC_CAST(q), "tbf");
    if (err == 0) {
      rtnl_qdisc_tbf_set_limit(q, 16384);
      rtnl_qdisc_tbf_set_rate(q, 125000, 16384, 0);
      err = rtnl_qdisc_add(sock, q, NLM_F_CREATE);
    }
    result.available = err == 0;
    if (err != 0) {
      result.reason =
          fmt::format("kernel has no sch_tbf (creating a tbf qdisc failed: {})", nl_geterror(err));
    }
    rtnl_qdisc_put(q);
    nl_socket_free(sock);
  });
}

FeatureProbe probe_nftables() {
  return in_scratch_netns([](FeatureProbe& result) {
    result.available = command_succeeds("nft add table inet faultline_probe");
    if (!result.available) {
      result.reason = "'nft add table' failed in a scratch namespace (no nft tool, or no nf_tables)";
    }
  });
}

FeatureProbe probe_nfqueue() {
  return in_scratch_netns([](FeatureProbe& result) {
    result.available =
        command_succeeds("iptables -w 5 -A OUTPUT -o lo -j NFQUEUE --queue-num 1 --queue-bypass");
    if (!result.available) {
      result.reason = "adding an NFQUEUE rule failed in a scratch namespace (no iptables, or no xt_NFQUEUE)";
    }
  });
}

FeatureProbe probe_netem() {
  return in_scratch_netns([](FeatureProbe& result) {
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
}

const FeatureProbe& cached(std::once_flag& once, FeatureProbe& probe, FeatureProbe (*make)()) {
  std::call_once(once, [&] { probe = make(); });
  return probe;
}

}  // namespace

const FeatureProbe& tbf_support() {
  static std::once_flag once;
  static FeatureProbe probe;
  return cached(once, probe, probe_tbf);
}

const FeatureProbe& nftables_support() {
  static std::once_flag once;
  static FeatureProbe probe;
  return cached(once, probe, probe_nftables);
}

const FeatureProbe& nfqueue_support() {
  static std::once_flag once;
  static FeatureProbe probe;
  return cached(once, probe, probe_nfqueue);
}

const FeatureProbe& netem_support() {
  static std::once_flag once;
  static FeatureProbe probe;
  std::call_once(once, [] { probe = probe_netem(); });
  return probe;
}

}  // namespace faultline::faults
