#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "harness/common/result.h"
#include "harness/platform/netlink.h"

struct rtnl_qdisc;

// Traffic control over route netlink (libnl-route-3): root qdiscs, as the
// token-bucket filter of a bandwidth fault, netem, and the kernel probes
// make them.
namespace faultline::platform {

// Makes a qdisc of `kind` ("tbf", "netem") with handle `major`:0 the root
// qdisc of interface `ifindex`, once `configure` has set its parameters
// (rtnl_qdisc_tbf_*, rtnl_netem_*). `replace`: over whatever is there
// (NLM_F_REPLACE); otherwise only over the default one. The error's message is
// libnl's own ("Object not found" for a kind the kernel lacks).
Status add_root_qdisc(RouteSocket& sock, int ifindex, uint16_t major, const std::string& kind,
                      const std::function<void(rtnl_qdisc*)>& configure, bool replace);
// Deletes the root qdisc of `ifindex`; one already gone (or the default
// one, which cannot be deleted) counts as deleted. libnl's message on error.
Status delete_root_qdisc(RouteSocket& sock, int ifindex);

// A tbf configuration in the kernel's units.
struct TbfSpec {
  uint64_t rate_bytes = 0;   // bytes per second
  uint32_t burst_bytes = 0;  // bucket size
  uint32_t limit_bytes = 0;  // queue length before tbf drops
};

// Makes `tbf` the root qdisc of `interface`, replacing whatever was there
// (a veth's default is `noqueue`, which deleting ours brings back). Acts on
// the network namespace the calling thread is in.
Status install_tbf(const std::string& interface, const TbfSpec& spec);

// Deletes the root qdisc of `interface` when it is a tbf; an interface that
// is gone or has no tbf counts as done, so revert can run twice.
Status remove_tbf(const std::string& interface);

// The kind of `interface`'s root qdisc ("tbf", "noqueue", ...), for tests
// and diagnostics; empty when it has none.
Result<std::string> root_qdisc_kind(const std::string& interface);

}  // namespace faultline::platform
