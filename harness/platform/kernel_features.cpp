#include "harness/platform/kernel_features.h"

#include <fmt/format.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/qdisc/tbf.h>
#include <sched.h>

#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include "harness/platform/command.h"
#include "harness/platform/netlink.h"
#include "harness/platform/tc.h"

namespace faultline::platform {
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
bool command_succeeds(const std::vector<std::string>& argv) {
  auto out = run_command(argv);
  return out && out->succeeded();
}

// A root qdisc of `kind` on the scratch namespace's loopback (always
// interface 1 in a new namespace), configured by `configure`.
void probe_qdisc(FeatureProbe& result, const std::string& kind,
                 const std::function<void(rtnl_qdisc*)>& configure) {
  auto sock = RouteSocket::open();
  if (!sock) {
    result.reason = "cannot open a route netlink socket";
    return;
  }
  auto added = add_root_qdisc(*sock, 1, 1, kind, configure, false);
  result.available = added.ok();
  if (!added) {
    result.reason = fmt::format("kernel has no sch_{} (creating a {} qdisc failed: {})", kind, kind,
                                added.error().message);
  }
}

FeatureProbe probe_tbf() {
  return in_scratch_netns([](FeatureProbe& result) {
    probe_qdisc(result, "tbf", [](rtnl_qdisc* q) {
      rtnl_qdisc_tbf_set_limit(q, 16384);
      rtnl_qdisc_tbf_set_rate(q, 125000, 16384, 0);
    });
  });
}

FeatureProbe probe_nftables() {
  return in_scratch_netns([](FeatureProbe& result) {
    result.available = command_succeeds({"nft", "add", "table", "inet", "faultline_probe"});
    if (!result.available) {
      result.reason = "'nft add table' failed in a scratch namespace (no nft tool, or no nf_tables)";
    }
  });
}

FeatureProbe probe_nfqueue() {
  return in_scratch_netns([](FeatureProbe& result) {
    result.available = command_succeeds({"iptables", "-w", "5", "-A", "OUTPUT", "-o", "lo", "-j", "NFQUEUE",
                                         "--queue-num", "1", "--queue-bypass"});
    if (!result.available) {
      result.reason = "adding an NFQUEUE rule failed in a scratch namespace (no iptables, or no xt_NFQUEUE)";
    }
  });
}

FeatureProbe probe_netem() {
  return in_scratch_netns([](FeatureProbe& result) {
    probe_qdisc(result, "netem", [](rtnl_qdisc* q) { rtnl_netem_set_delay(q, 1000); });
  });
}

// Each probe runs once per process, the first time it is asked for (a
// function-local static is initialised once, thread-safely).
template <FeatureProbe (*Make)()>
const FeatureProbe& cached() {
  static const FeatureProbe probe = Make();
  return probe;
}

}  // namespace

const FeatureProbe& tbf_support() {
  return cached<probe_tbf>();
}

const FeatureProbe& nftables_support() {
  return cached<probe_nftables>();
}

const FeatureProbe& nfqueue_support() {
  return cached<probe_nfqueue>();
}

const FeatureProbe& netem_support() {
  return cached<probe_netem>();
}

}  // namespace faultline::platform
