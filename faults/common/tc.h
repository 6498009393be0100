#pragma once

#include <cstdint>
#include <string>

#include "harness/common/result.h"

// Traffic control over route netlink (libnl-route-3): the token-bucket
// filter a bandwidth fault installs as an interface's root qdisc.
namespace faultline::faults {

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

}  // namespace faultline::faults
