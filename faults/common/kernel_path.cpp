#include "faults/common/kernel_path.h"

#include <fmt/format.h>

#include "faults/registry.h"
#include "harness/platform/cgroup.h"
#include "harness/platform/kernel_features.h"

namespace faultline::faults {

namespace {

KernelPath from_probe(std::string mechanism, const platform::FeatureProbe& probe, std::string fix) {
  KernelPath p{std::move(mechanism), probe.available, "", ""};
  if (!probe.available) {
    p.missing = probe.reason;
    p.fix = std::move(fix);
  }
  return p;
}

constexpr const char* kNfqueueFix =
    "a kernel with nfnetlink_queue and xt_NFQUEUE, and iptables installed (apt-get install iptables)";

}  // namespace

bool netem_takes(const NetTarget& target) {
  return platform::netem_support().available && target.direction == Direction::egress && target.peers.empty();
}

KernelPath impairment_path(const NetTarget& target) {
  const platform::FeatureProbe& netem = platform::netem_support();
  const bool netem_fits = target.direction == Direction::egress && target.peers.empty();
  if (netem_takes(target)) {
    return {fmt::format("a netem qdisc on {}'s {}", target.service, kServiceInterface), true, "", ""};
  }
  const std::string why = netem.available ? "netem cannot select by direction or peer" : netem.reason;
  return from_probe(fmt::format("faultline's NFQUEUE packet delayer ({})", why), platform::nfqueue_support(),
                    netem_fits
                        ? std::string("a kernel with sch_netem (CONFIG_NET_SCH_NETEM), or ") + kNfqueueFix
                        : std::string(kNfqueueFix));
}

KernelPath cgroup_path(const std::string& controller, const std::string& file_v2,
                       const std::string& file_v1) {
  const auto hierarchy = platform::cgroup_hierarchy_for(controller);
  if (!hierarchy) {
    return {fmt::format("a control group ({} controller)", controller), false,
            fmt::format("no cgroup hierarchy offers the {} controller", controller),
            fmt::format("mount cgroup2 on /sys/fs/cgroup with the {} controller enabled", controller)};
  }
  return {cgroup_mechanism(hierarchy->version, file_v2, file_v1, "under " + hierarchy->mount_point), true, "",
          ""};
}

std::string cgroup_mechanism(platform::CgroupVersion version, const std::string& file_v2,
                             const std::string& file_v1, const std::string& where) {
  const bool v2 = version == platform::CgroupVersion::v2;
  return fmt::format("cgroup {} ({} {})", v2 ? "v2" : "v1", v2 ? file_v2 : file_v1, where);
}

KernelPath tbf_path(const std::string& where) {
  return from_probe("a tbf qdisc " + where, platform::tbf_support(),
                    "a kernel with sch_tbf (CONFIG_NET_SCH_TBF)");
}

KernelPath nftables_path(const std::string& where) {
  return from_probe("an nftables table " + where, platform::nftables_support(),
                    "apt-get install nftables, on a kernel with nf_tables for the inet family "
                    "(CONFIG_NF_TABLES_INET)");
}

std::vector<FaultPathLine> fault_paths_on_this_machine() {
  // latency, reorder and duplicate take one path for a service's whole
  // egress and maybe another for ingress or chosen peers: one line, both.
  const KernelPath whole = impairment_path({"<service>", Direction::egress, {}});
  const KernelPath some = impairment_path({"<service>", Direction::ingress, {}});
  KernelPath delays{whole.mechanism == some.mechanism ? whole.mechanism
                                                      : fmt::format("whole egress: {}; ingress or peers: {}",
                                                                    whole.mechanism, some.mechanism),
                    whole.available && some.available, "", ""};
  const KernelPath& missing = whole.available ? some : whole;
  if (!delays.available) {
    delays.missing = missing.missing;
    delays.fix = missing.fix;
  }
  return {
      {"latency, reorder, duplicate", delays},
      {"loss, partition, reset", nftables_path("in the service's network namespace")},
      {"bandwidth", tbf_path("on the service's link")},
      {"cpu_limit", cgroup_path("cpu", "cpu.max", "cpu.cfs_quota_us")},
      {"memory_limit", cgroup_path("memory", "memory.max", "memory.limit_in_bytes")},
  };
}

}  // namespace faultline::faults
