#pragma once

#include <string>

// What the running kernel can do, for faults with more than one way to work.
// Each answer is probed once, by trying the real thing where it cannot touch
// anything (a scratch network namespace that dies with the probing thread),
// and cached for the life of the process.
namespace faultline::platform {

struct FeatureProbe {
  bool available = false;
  std::string reason;  // why not, in words ("kernel has no sch_netem: ...")
};

// Whether a netem qdisc can be created (sch_netem built in or loadable).
const FeatureProbe& netem_support();
// Whether a tbf qdisc can be created (sch_tbf).
const FeatureProbe& tbf_support();
// Whether `nft` can make a table (nf_tables and the nft tool).
const FeatureProbe& nftables_support();
// Whether iptables can add an NFQUEUE rule (nfnetlink_queue, xt_NFQUEUE).
const FeatureProbe& nfqueue_support();

}  // namespace faultline::platform
