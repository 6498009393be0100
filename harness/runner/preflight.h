#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "faults/registry.h"
#include "harness/runner/validate.h"

// What a run needs from the machine, checked before anything is touched:
// root, the servers the stack runs and their versions, the kernel features
// its faults use, a free subnet, enough open files. `faultline run` refuses
// with one message per missing item; `faultline doctor` prints them all.
namespace faultline::runner {

struct PreflightCheck {
  std::string name;  // "root", "haproxy", "kernel: sch_tbf", ...
  bool ok = false;
  std::string found;  // what the machine has, in words
  std::string fix;    // how to get what is missing; empty when ok
};

// How the checks look at the machine; tests replace these.
struct PreflightProbes {
  std::function<bool()> is_root;
  // The path of an executable, or nullopt.
  std::function<std::optional<std::string>(const std::string&)> find_executable;
  // The first line `name -v` prints (HAProxy and nginx both answer -v).
  std::function<std::string(const std::string& path)> version_line;
  // Whether the kernel can do "netem", "nfqueue", "tbf" or "nftables",
  // found by trying it in a scratch network namespace (needs root); the
  // string says why not.
  std::function<std::pair<bool, std::string>(const std::string&)> kernel_feature;
  // Whether a cgroup controller ("cpu", "memory") is available (v1 or v2).
  std::function<bool(const std::string&)> cgroup_controller;
  std::function<uint64_t()> open_files_limit;
  // An error naming why no subnet can be had for the experiment.
  std::function<std::optional<std::string>(const experiment::Experiment&)> subnet_problem;
  // What the host's iptables does to traffic across a run's bridge and
  // what a run will do about it (stack::describe of host_firewall.h). Only
  // informs: a run opens its own bridge when FORWARD would drop it. Unset:
  // the check is left out.
  std::function<std::string()> bridge_filtering;
  // The path one fault of the experiment will take here
  // (Fault::kernel_path), and for doctor without an experiment the path of
  // each family of faults (faults::fault_paths_on_this_machine). Unset: the
  // checks are left out.
  std::function<std::optional<faults::KernelPath>(const faults::Fault&)> fault_path;
  std::function<std::vector<faults::FaultPathLine>()> machine_fault_paths;

  // runtime docker (preflight_docker.cpp; unset: its checks are left
  // out). Whether the Docker daemon
  // answers on its socket; the string says which daemon, or why not.
  std::function<std::pair<bool, std::string>()> docker_daemon;
  // Whether an image is on the Docker host, or could be had now: with
  // pulls allowed, one not there is pulled when a registry answers. The
  // string says which, or what the daemon said.
  std::function<std::pair<bool, std::string>(const std::string& image)> docker_image;
};

// `may_pull`: the docker checks pull an image that is not on the Docker
// host (faultline run); without it they only look (faultline doctor).
PreflightProbes system_probes(const std::string& registry_dir, bool may_pull = false);

// The docker probes of system_probes, on the daemon at `socket`.
void add_docker_probes(PreflightProbes& probes, bool may_pull,
                       const std::string& socket = "/var/run/docker.sock");

// The checks only runtime docker has: the daemon, then each image the
// stack names, once (preflight_docker.cpp).
std::vector<PreflightCheck> docker_checks(const experiment::Experiment& exp, const PreflightProbes& probes);

// The checks for one experiment; with `v` null, every check for the
// machine (doctor without an experiment).
std::vector<PreflightCheck> preflight(const ValidatedExperiment* v, const PreflightProbes& probes);

// Why this build cannot run an experiment on stack.runtime: the file format
// knows the runtime (validate accepts it) but stack::runtime_named has none
// of that name yet, or the runtime has, but not for this stack yet (runtime
// docker and a team's own config). Empty when it can run it.
std::string runtime_not_built(const experiment::Stack& stack);

// One block per failed check: "<prefix>: <name>: <found>" and "  fix: ...".
// Empty when every check passed.
std::string format_failures(const std::vector<PreflightCheck>& checks, const std::string& prefix);

// The exit code of a run refused by its preflight: nothing was touched.
inline constexpr int kPreflightExitCode = 6;

// "major.minor" of the first version number in a `-v` line, e.g. 2.6 from
// "HAProxy version 2.6.12-1+deb12u4 2024/...", 1.22 from "nginx version:
// nginx/1.22.1"; nullopt when there is none.
std::optional<std::pair<int, int>> parse_version(const std::string& line);

// The open files a run needs: HAProxy's own limit (global maxconn 4096, two
// files a connection), the load generator's connections and a margin.
uint64_t open_files_needed(const experiment::Experiment& exp);

}  // namespace faultline::runner
