#pragma once

#include <string>

#include "harness/common/result.h"
#include "harness/platform/nfqueue_delayer.h"

// netem over route netlink (libnl-route-3), for kernels that have
// sch_netem: the root qdisc of one interface of the calling thread's network
// namespace, configured from the same DelayerConfig the NFQUEUE delayer
// takes, so a fault states its impairment once whichever path carries it.
namespace faultline::platform {

// Makes netem, configured as `config` says, the root qdisc of `interface`,
// replacing whatever was there. An error names the interface and gives
// libnl's message ("Object not found" when the kernel lacks sch_netem).
Status install_netem(const std::string& interface, const DelayerConfig& config);

// Deletes the root qdisc of `interface`; one already gone counts as deleted.
Status remove_netem(const std::string& interface);

}  // namespace faultline::platform
