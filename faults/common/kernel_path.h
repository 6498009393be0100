#pragma once

#include <string>
#include <vector>

#include "faults/common/net_target.h"
#include "harness/platform/cgroup.h"

// Which kernel mechanism a fault takes on the machine at hand, decided the
// way inject() decides it (faults/common/kernel_features probes, the
// hierarchy mountinfo gives, the fault's own target) but before anything is
// changed: what `faultline doctor` and the run's preflight report, so that a
// fault whose path is missing stops the run before the stack comes up
// rather than failing to apply in the middle of it.
namespace faultline::faults {

// KernelPath is declared in faults/fault.h (Fault::kernel_path).

// netem for a service's whole egress where the kernel has sch_netem; the
// NFQUEUE delayer for ingress, for chosen peers, or without sch_netem
// (ImpairmentPath::apply).
KernelPath impairment_path(const NetTarget& target);
// Whether that path is netem's for this target here.
bool netem_takes(const NetTarget& target);
// The hierarchy that offers `controller` ("cpu", "memory"): v2 or v1, and
// the control file `file_v2` / `file_v1` the fault writes there.
KernelPath cgroup_path(const std::string& controller, const std::string& file_v2, const std::string& file_v1);
// "cgroup v2 (cpu.max <where>)": the words of cgroup_path, also for the
// group a fault made ("of /sys/fs/cgroup/faultline-<id>-lb").
std::string cgroup_mechanism(platform::CgroupVersion version, const std::string& file_v2,
                             const std::string& file_v1, const std::string& where);
// A qdisc (tbf) or an nftables table, each one kernel feature.
KernelPath tbf_path(const std::string& where);
KernelPath nftables_path(const std::string& where);

// fault_paths_on_this_machine (faults/registry.h) is defined in kernel_path.cpp.

}  // namespace faultline::faults
