#include "harness/runner/preflight.h"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <set>
#include <utility>

#include "harness/platform/command.h"
#include "harness/platform/kernel_features.h"
#include "harness/platform/process.h"
#include "harness/stack/docker_stack.h"
#include "harness/stack/host_firewall.h"
#include "harness/stack/run_registry.h"
#include "harness/stack/runtime.h"
#include "harness/stack/stack.h"

namespace faultline::runner {
namespace {

namespace fs = std::filesystem;
using experiment::ServiceKind;

// Oldest versions faultline's configs are written for: HAProxy's retry-on
// and the runtime API's `set server` came in 2.0; nginx's upstream
// max_conns in 1.11.5, and Debian's oldest supported nginx is 1.18.
constexpr std::pair<int, int> kMinHaproxy{2, 0};
constexpr std::pair<int, int> kMinNginx{1, 18};

bool controller_available(const std::string& controller) {
  std::ifstream v2("/sys/fs/cgroup/cgroup.controllers");
  for (std::string word; v2 >> word;) {
    if (word == controller) {
      return true;
    }
  }
  std::error_code ec;
  return fs::exists("/sys/fs/cgroup/" + controller, ec);
}

PreflightCheck check(std::string name, bool ok, std::string found, std::string fix) {
  return {std::move(name), ok, std::move(found), ok ? std::string() : std::move(fix)};
}

PreflightCheck server_check(const PreflightProbes& p, const std::string& name, std::pair<int, int> min,
                            const std::string& package) {
  const auto path = p.find_executable(name);
  if (!path) {
    return check(name, false, "not installed (not in PATH nor the sbin directories)",
                 fmt::format("apt-get install {} (scripts/setup.sh installs everything)", package));
  }
  const std::string line = p.version_line(*path);
  const auto version = parse_version(line);
  if (!version) {
    return check(name, false, fmt::format("{} does not say its version ({})", *path, line),
                 fmt::format("reinstall {}", package));
  }
  const bool ok = *version >= min;
  return check(name, ok, fmt::format("{} {}.{}", *path, version->first, version->second),
               fmt::format("faultline needs {} {}.{} or newer: apt-get install {} from a newer release", name,
                           min.first, min.second, package));
}

// The kernel features a fault type's `needs` names, as checks.
void kernel_checks(const std::string& feature, const PreflightProbes& p, std::set<std::string>& done,
                   std::vector<PreflightCheck>& out) {
  auto once = [&](const std::string& key, auto make) {
    if (done.insert(key).second) {
      out.push_back(make());
    }
  };
  if (feature.find("sch_netem") != std::string::npos && feature.find("correlation") == std::string::npos) {
    once("netem", [&] {
      const auto [netem, why_not] = p.kernel_feature("netem");
      const auto [nfqueue, why_not_nfqueue] =
          netem ? std::make_pair(false, std::string()) : p.kernel_feature("nfqueue");
      return check(
          "kernel: netem or NFQUEUE", netem || nfqueue,
          netem     ? "sch_netem"
          : nfqueue ? "no sch_netem; NFQUEUE works (faultline's own delayer)"
                    : why_not + "; " + why_not_nfqueue,
          "a kernel with sch_netem (CONFIG_NET_SCH_NETEM) or NFQUEUE (CONFIG_NETFILTER_NETLINK_QUEUE, "
          "xt_NFQUEUE) and iptables installed; or run in the VM of vagrant/");
    });
  }
  if (feature.find("sch_tbf") != std::string::npos) {
    once("tbf", [&] {
      const auto [ok, why_not] = p.kernel_feature("tbf");
      return check("kernel: tbf", ok, ok ? "sch_tbf" : why_not,
                   "a kernel with sch_tbf (CONFIG_NET_SCH_TBF), e.g. the VM of vagrant/");
    });
  }
  if (feature.find("nftables") != std::string::npos) {
    once("nft", [&] {
      const auto [ok, why_not] = p.kernel_feature("nftables");
      return check("kernel: nftables", ok, ok ? "nft works" : why_not,
                   "apt-get install nftables, on a kernel with nf_tables (CONFIG_NF_TABLES)");
    });
  }
  for (const char* controller : {"cpu", "memory"}) {
    if (feature.find(fmt::format("cgroup {} controller", controller)) != std::string::npos) {
      once(std::string("cgroup-") + controller, [&] {
        const bool ok = p.cgroup_controller(controller);
        return check(
            fmt::format("cgroup {} controller", controller), ok,
            ok ? "available" : "not mounted or not enabled",
            fmt::format("mount cgroup2 on /sys/fs/cgroup with the {} controller enabled", controller));
      });
    }
  }
}

// The path each fault of the experiment takes here (Fault::kernel_path), in
// the order of v->faults; nullopt for a fault without one, or when the
// probes do not say.
std::vector<std::optional<faults::KernelPath>> fault_paths(const ValidatedExperiment& v,
                                                           const PreflightProbes& p) {
  std::vector<std::optional<faults::KernelPath>> paths;
  for (const auto& f : v.faults) {
    paths.push_back(p.fault_path && f.fault != nullptr ? p.fault_path(*f.fault) : std::nullopt);
  }
  return paths;
}

// Which path each fault takes here: per fault of the experiment (a fault
// type's features may all be present while the one path this fault's
// target needs is not: latency on ingress needs NFQUEUE even where netem
// exists), or per family of faults for the whole machine.
void fault_path_checks(const ValidatedExperiment* v,
                       const std::vector<std::optional<faults::KernelPath>>& paths, const PreflightProbes& p,
                       std::vector<PreflightCheck>& out) {
  auto add = [&](const std::string& name, const faults::KernelPath& path) {
    out.push_back(check(name, path.available,
                        path.available ? path.mechanism : fmt::format("{}: {}", path.mechanism, path.missing),
                        path.fix));
  };
  if (v == nullptr) {
    if (p.machine_fault_paths) {
      for (const auto& line : p.machine_fault_paths()) {
        add("path: " + line.faults, line.path);
      }
    }
    return;
  }
  for (size_t i = 0; i < v->faults.size() && i < paths.size(); ++i) {
    const auto* step = v->faults[i].step;
    if (paths[i] && step != nullptr) {
      add(fmt::format("path: {} on {}", step->fault, step->target), *paths[i]);
    }
  }
}

}  // namespace

std::optional<std::pair<int, int>> parse_version(const std::string& line) {
  static const std::regex number(R"((\d+)\.(\d+))");
  std::smatch m;
  if (!std::regex_search(line, m, number)) {
    return std::nullopt;
  }
  return std::make_pair(std::stoi(m[1].str()), std::stoi(m[2].str()));
}

uint64_t open_files_needed(const experiment::Experiment& exp) {
  uint64_t need = 256;  // faultline's own files, logs, sockets
  for (const auto& s : exp.stack.services) {
    if (s.kind == ServiceKind::haproxy) {
      need += 2 * 4096;  // the global maxconn faultline renders
    }
  }
  // The load may open up to max_connections (a stalled backend holds its
  // requests' connections until the timeout).
  return need + 2 * static_cast<uint64_t>(std::max(exp.load.connections, exp.load.max_connections));
}

PreflightProbes system_probes(const std::string& registry_dir, bool may_pull) {
  PreflightProbes p;
  p.is_root = [] { return ::geteuid() == 0; };
  p.find_executable = [](const std::string& name) { return platform::find_executable(name); };
  p.version_line = [](const std::string& path) { return platform::first_output_line({path, "-v"}); };
  p.kernel_feature = [](const std::string& feature) {
    const platform::FeatureProbe& probe = feature == "netem"     ? platform::netem_support()
                                          : feature == "tbf"     ? platform::tbf_support()
                                          : feature == "nfqueue" ? platform::nfqueue_support()
                                                                 : platform::nftables_support();
    return std::make_pair(probe.available, probe.reason);
  };
  p.cgroup_controller = controller_available;
  p.open_files_limit = [] {
    rlimit r{};
    return ::getrlimit(RLIMIT_NOFILE, &r) == 0 ? static_cast<uint64_t>(r.rlim_cur) : 0;
  };
  p.bridge_filtering = [] { return stack::describe(stack::probe_bridge_filtering()); };
  p.fault_path = [](const faults::Fault& fault) { return fault.kernel_path(); };
  p.machine_fault_paths = [] { return faults::fault_paths_on_this_machine(); };
  p.subnet_problem = [registry_dir](const experiment::Experiment& exp) -> std::optional<std::string> {
    stack::RunIdentity id;
    id.run_dir = (fs::path(registry_dir) / "preflight").string();
    auto net = stack::choose_subnet(exp, id);
    if (!net) {
      return net.error().message;
    }
    return std::nullopt;
  };
  add_docker_probes(p, may_pull);
  return p;
}

std::string runtime_not_built(const experiment::Stack& stack) {
  if (stack::runtime_named(stack.runtime) == nullptr) {
    return fmt::format(
        "runtime {} is not built yet: this faultline checks experiments for it (faultline validate) but "
        "cannot run them",
        stack.runtime);
  }
  if (stack.runtime == experiment::kRuntimeDocker) {
    // Built, but not for everything the file format lets a docker stack say.
    if (auto st = stack::docker::validate_for_docker(stack); !st) {
      return st.error().message;
    }
  }
  return {};
}

std::vector<PreflightCheck> preflight(const ValidatedExperiment* v, const PreflightProbes& p) {
  std::vector<PreflightCheck> out;
  if (v != nullptr) {
    if (const std::string missing = runtime_not_built(v->exp.stack); !missing.empty()) {
      // The only check: the others are the network-namespace runtime's
      // (this machine's servers, a subnet for its bridge) and would only
      // send the reader after things the run does not need.
      out.push_back(
          check("runtime", false, missing,
                "run it with stack.runtime: netns (the servers then run from this machine's haproxy "
                "and nginx), or with a faultline that has the runtime"));
      return out;
    }
  }
  // The container runtimes: the servers are the images' (docker) or the
  // team's running containers (compose), so this machine's own are not
  // checked, nor the host rule and the subnet a netns run's bridge needs
  // (docker's network is the daemon's to make; compose makes none); the
  // Docker daemon is, for both.
  const bool docker = v != nullptr && (v->exp.stack.runtime == experiment::kRuntimeDocker ||
                                       v->exp.stack.runtime == experiment::kRuntimeCompose);
  const bool root = p.is_root();
  out.push_back(check("root", root, root ? "running as root" : "not root",
                      docker ? "run it with sudo, or as root in a VM (it signals the containers' servers and "
                               "enters their network namespaces for network faults)"
                             : "run it with sudo, or as root in a VM or container (it creates network "
                               "namespaces, links and a bridge)"));
  if (docker) {
    const auto more = docker_checks(v->exp, p);
    out.insert(out.end(), more.begin(), more.end());
  }

  auto uses = [&](ServiceKind kind) {
    if (v == nullptr) {
      return true;
    }
    if (docker) {
      return false;
    }
    for (const auto& s : v->exp.stack.services) {
      if (s.kind == kind) {
        return true;
      }
    }
    return false;
  };
  if (uses(ServiceKind::haproxy)) {
    out.push_back(server_check(p, "haproxy", kMinHaproxy, "haproxy"));
  }
  if (uses(ServiceKind::nginx)) {
    out.push_back(server_check(p, "nginx", kMinNginx, "nginx-light"));
  }
  const bool ip = p.find_executable("ip").has_value();
  out.push_back(check("iproute2", ip, ip ? "ip" : "no ip command", "apt-get install iproute2"));

  std::set<std::string> done;
  std::vector<std::optional<faults::KernelPath>> paths;
  if (!root) {
    // Probing the kernel needs a scratch namespace, so root; the root
    // check above already says what to do.
  } else if (v == nullptr) {
    for (const auto* type : faults::Registry::instance().all()) {
      kernel_checks(type->needs.kernel_feature, p, done, out);
    }
  } else {
    paths = fault_paths(*v, p);
    for (size_t i = 0; i < v->faults.size(); ++i) {
      // A fault that knows its own path is checked by that path below: its
      // type's needs list every path the type can take (loss needs
      // nftables, but not with a correlation, which takes netem).
      if (v->faults[i].type != nullptr && !paths[i]) {
        kernel_checks(v->faults[i].type->needs.kernel_feature, p, done, out);
      }
    }
  }
  if (root) {
    fault_path_checks(v, paths, p, out);
  }

  const uint64_t limit = p.open_files_limit();
  const uint64_t need = v != nullptr ? open_files_needed(v->exp) : 2 * 4096 + 256 + 2 * 1024;
  out.push_back(check("open files", limit >= need, fmt::format("limit {} (needs {})", limit, need),
                      fmt::format("raise it: ulimit -n {} in the shell that runs faultline, or LimitNOFILE= "
                                  "in its systemd unit",
                                  need)));

  if (root && p.bridge_filtering && !docker) {
    // Informational: whatever FORWARD does, a run gets its traffic
    // through (docker hosts: one ACCEPT rule for its own bridge).
    out.push_back(check("host firewall (FORWARD)", true, p.bridge_filtering(), ""));
  }

  if (v != nullptr && root && v->exp.stack.runtime != experiment::kRuntimeCompose) {
    // Reading the host's addresses needs no root, but a subnet only
    // matters to a run that can make one.
    if (auto problem = p.subnet_problem(v->exp)) {
      out.push_back(check("subnet", false, *problem,
                          "set stack.subnet to a free private /24, or end the "
                          "runs holding the pool (faultline cleanup)"));
    } else {
      out.push_back(check("subnet", true, v->exp.stack.subnet.value_or("a free /24 in 10.213.0.0/16"), ""));
    }
  }
  return out;
}

std::string format_failures(const std::vector<PreflightCheck>& checks, const std::string& prefix) {
  std::string out;
  for (const auto& c : checks) {
    if (!c.ok) {
      out += fmt::format("{}: {}: {}\n  fix: {}\n", prefix, c.name, c.found, c.fix);
    }
  }
  return out;
}

}  // namespace faultline::runner
