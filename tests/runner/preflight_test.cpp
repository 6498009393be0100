// The preflight of `faultline run` and `faultline doctor`, with the machine
// replaced by fake probes: each missing item gives its own message and fix,
// and only the items the experiment needs are checked.

#include "harness/runner/preflight.h"

#include <catch2/catch.hpp>

namespace {

using namespace faultline;
using runner::PreflightCheck;
using runner::PreflightProbes;

// A machine that has everything.
PreflightProbes healthy() {
  PreflightProbes p;
  p.is_root = [] { return true; };
  p.find_executable = [](const std::string& name) { return std::optional<std::string>("/usr/sbin/" + name); };
  p.version_line = [](const std::string& path) {
    return path.find("haproxy") != std::string::npos
               ? std::string("HAProxy version 2.6.12-1+deb12u4 2024/07/23")
               : std::string("nginx version: nginx/1.22.1");
  };
  p.kernel_feature = [](const std::string&) { return std::make_pair(true, std::string()); };
  p.cgroup_controller = [](const std::string&) { return true; };
  p.open_files_limit = [] { return uint64_t{65536}; };
  p.subnet_problem = [](const experiment::Experiment&) { return std::optional<std::string>(); };
  return p;
}

runner::ValidatedExperiment load_experiment(const std::string& name) {
  experiment::Diagnostics diags;
  auto v = runner::validate(std::string(FAULTLINE_TEST_DATA).append("/experiments/faults/").append(name), {},
                            diags);
  INFO(diags.format());
  REQUIRE(v);
  return std::move(*v);
}

const PreflightCheck* find(const std::vector<PreflightCheck>& checks, const std::string& name) {
  for (const auto& c : checks) {
    if (c.name == name) {
      return &c;
    }
  }
  return nullptr;
}

std::vector<std::string> failed(const std::vector<PreflightCheck>& checks) {
  std::vector<std::string> out;
  for (const auto& c : checks) {
    if (!c.ok) {
      out.push_back(c.name);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("a machine with everything passes, and the checks follow the experiment", "[runner][preflight]") {
  const auto v = load_experiment("net_bandwidth.yaml");
  const auto checks = runner::preflight(&v, healthy());
  CHECK(failed(checks).empty());
  CHECK(runner::format_failures(checks, "x").empty());
  // The bandwidth fault needs tbf; nothing here needs nftables.
  CHECK(find(checks, "kernel: tbf") != nullptr);
  CHECK(find(checks, "kernel: nftables") == nullptr);
  CHECK(find(checks, "subnet") != nullptr);
}

TEST_CASE("each missing item gets its own message and fix", "[runner][preflight]") {
  const auto v = load_experiment("net_bandwidth.yaml");
  auto p = healthy();
  p.find_executable = [](const std::string& name) -> std::optional<std::string> {
    if (name == "haproxy") {
      return std::nullopt;
    }
    return "/usr/sbin/" + name;
  };
  p.kernel_feature = [](const std::string& f) {
    return std::make_pair(f != "tbf", std::string(f == "tbf" ? "kernel has no sch_tbf" : ""));
  };
  p.open_files_limit = [] { return uint64_t{1024}; };
  p.subnet_problem = [](const experiment::Experiment&) {
    return std::optional<std::string>("no free /24 left in 10.213.0.0/16");
  };
  const auto checks = runner::preflight(&v, p);
  const auto names = failed(checks);
  CHECK(names == std::vector<std::string>{"haproxy", "kernel: tbf", "open files", "subnet"});
  const std::string text = runner::format_failures(checks, "faultline run: preflight");
  INFO(text);
  CHECK(text.find("faultline run: preflight: haproxy: not installed") != std::string::npos);
  CHECK(text.find("fix: apt-get install haproxy") != std::string::npos);
  CHECK(text.find("faultline run: preflight: kernel: tbf: kernel has no sch_tbf") != std::string::npos);
  CHECK(text.find("limit 1024 (needs") != std::string::npos);
  CHECK(text.find("fix: raise it: ulimit -n") != std::string::npos);
  CHECK(text.find("no free /24 left") != std::string::npos);
}

TEST_CASE("an old HAProxy is refused with the version it needs", "[runner][preflight]") {
  const auto v = load_experiment("net_bandwidth.yaml");
  auto p = healthy();
  p.version_line = [](const std::string& path) {
    return path.find("haproxy") != std::string::npos
               ? std::string("HA-Proxy version 1.8.19-1+deb10u3 2020/08/01")
               : std::string("nginx version: nginx/1.22.1");
  };
  const auto checks = runner::preflight(&v, p);
  const auto* haproxy = find(checks, "haproxy");
  REQUIRE(haproxy != nullptr);
  CHECK_FALSE(haproxy->ok);
  CHECK(haproxy->found == "/usr/sbin/haproxy 1.8");
  CHECK(haproxy->fix.find("haproxy 2.0 or newer") != std::string::npos);
}

TEST_CASE("without root only the root check fails, and the kernel is not probed", "[runner][preflight]") {
  const auto v = load_experiment("net_bandwidth.yaml");
  auto p = healthy();
  p.is_root = [] { return false; };
  bool probed = false;
  p.kernel_feature = [&probed](const std::string&) {
    probed = true;
    return std::make_pair(false, std::string("x"));
  };
  const auto checks = runner::preflight(&v, p);
  CHECK(failed(checks) == std::vector<std::string>{"root"});
  CHECK_FALSE(probed);
  CHECK(find(checks, "root")->fix.find("sudo") != std::string::npos);
}

TEST_CASE("doctor without an experiment checks every fault type's kernel needs", "[runner][preflight]") {
  auto p = healthy();
  p.kernel_feature = [](const std::string& f) {
    return std::make_pair(f == "nfqueue", std::string("no " + f));
  };
  const auto checks = runner::preflight(nullptr, p);
  // No netem but NFQUEUE: the network faults still work, through faultline's delayer.
  const auto* net = find(checks, "kernel: netem or NFQUEUE");
  REQUIRE(net != nullptr);
  CHECK(net->ok);
  CHECK(failed(checks) == std::vector<std::string>{"kernel: tbf", "kernel: nftables"});
  CHECK(find(checks, "nginx") != nullptr);
  CHECK(find(checks, "cgroup memory controller") != nullptr);
}

TEST_CASE("version lines of HAProxy and nginx are read as major.minor", "[runner][preflight]") {
  CHECK(runner::parse_version("HAProxy version 2.6.12-1+deb12u4 2024/07/23") == std::make_pair(2, 6));
  CHECK(runner::parse_version("nginx version: nginx/1.22.1") == std::make_pair(1, 22));
  CHECK_FALSE(runner::parse_version("command not found").has_value());
}

TEST_CASE("each fault's own kernel path is checked: netem present does not cover a fault that needs NFQUEUE",
          "[runner][preflight]") {
  // latency.yaml delays the backends' answers on lb's ingress: only the
  // NFQUEUE delayer can select them, whatever netem the kernel has.
  const auto v = load_experiment("latency.yaml");
  auto p = healthy();
  std::vector<std::string> asked;
  p.fault_path = [&](const faults::Fault& fault) -> std::optional<faults::KernelPath> {
    asked.push_back(fault.describe());
    return faults::KernelPath{"faultline's NFQUEUE packet delayer (netem cannot select by direction or peer)",
                              false, "adding an NFQUEUE rule failed in a scratch namespace",
                              "a kernel with nfnetlink_queue and xt_NFQUEUE"};
  };
  const auto checks = runner::preflight(&v, p);
  REQUIRE(asked.size() == 1);
  const auto* path = find(checks, "path: latency on lb");
  REQUIRE(path != nullptr);
  CHECK_FALSE(path->ok);
  CHECK(
      path->found ==
      "faultline's NFQUEUE packet delayer (netem cannot select by direction or peer): adding an NFQUEUE rule "
      "failed in a scratch namespace");
  CHECK(path->fix == "a kernel with nfnetlink_queue and xt_NFQUEUE");
  CHECK(runner::format_failures(checks, "faultline run: preflight").find("path: latency on lb") !=
        std::string::npos);

  // Available: the check passes and names the mechanism.
  p.fault_path = [](const faults::Fault&) {
    return std::optional<faults::KernelPath>(faults::KernelPath{"a netem qdisc on lb's eth0", true, "", ""});
  };
  const auto ok = runner::preflight(&v, p);
  REQUIRE(find(ok, "path: latency on lb") != nullptr);
  CHECK(find(ok, "path: latency on lb")->ok);
  CHECK(find(ok, "path: latency on lb")->found == "a netem qdisc on lb's eth0");
  CHECK(failed(ok).empty());
}

TEST_CASE("doctor lists the path each family of faults takes on the machine", "[runner][preflight]") {
  auto p = healthy();
  p.machine_fault_paths = [] {
    return std::vector<faults::FaultPathLine>{
        {"cpu_limit", {"cgroup v2 (cpu.max under /sys/fs/cgroup)", true, "", ""}},
        {"loss, partition, reset",
         {"an nftables table", false, "'nft add table' failed", "apt-get install nftables"}},
    };
  };
  const auto checks = runner::preflight(nullptr, p);
  REQUIRE(find(checks, "path: cpu_limit") != nullptr);
  CHECK(find(checks, "path: cpu_limit")->found == "cgroup v2 (cpu.max under /sys/fs/cgroup)");
  CHECK(failed(checks) == std::vector<std::string>{"path: loss, partition, reset"});
  // Without root nothing is probed, paths included.
  p.is_root = [] { return false; };
  CHECK(find(runner::preflight(nullptr, p), "path: cpu_limit") == nullptr);
}

TEST_CASE("a fault's own path replaces its type's needs: loss in bursts needs no nftables",
          "[runner][preflight]") {
  // loss with a correlation takes netem or the NFQUEUE delayer; the type's
  // needs name nftables too, for loss without one.
  const auto v = load_experiment("loss_bursts.yaml");
  auto p = healthy();
  p.kernel_feature = [](const std::string& feature) {
    return std::make_pair(feature != "nftables", std::string(feature == "nftables" ? "no nf_tables" : ""));
  };
  // Without the fault's own path, the type's needs are all checked.
  CHECK(failed(runner::preflight(&v, p)) == std::vector<std::string>{"kernel: nftables"});
  p.fault_path = [](const faults::Fault&) {
    return std::optional<faults::KernelPath>(
        faults::KernelPath{"a netem qdisc on web1's eth0", true, "", ""});
  };
  const auto checks = runner::preflight(&v, p);
  CHECK(failed(checks).empty());
  CHECK(find(checks, "kernel: nftables") == nullptr);
  REQUIRE(find(checks, "path: loss on web1") != nullptr);
  CHECK(find(checks, "path: loss on web1")->found == "a netem qdisc on web1's eth0");
}

TEST_CASE("a team's own config on runtime docker validates, and its preflight checks the daemon and images",
          "[runner][preflight][containers]") {
  experiment::Diagnostics diags;
  const auto v = runner::validate(
      std::string(FAULTLINE_TEST_DATA).append("/experiments/containers/docker.yaml"), {}, diags);
  INFO(diags.format());
  REQUIRE(v);
  CHECK(v->exp.stack.runtime == "docker");
  // web2 runs the team's config: built since issue 20's second step.
  CHECK(runner::runtime_not_built(v->exp.stack).empty());
  auto p = healthy();
  p.docker_daemon = [] { return std::make_pair(true, std::string("20.10.24+dfsg1 (API 1.41)")); };
  p.docker_image = [](const std::string& image) {
    return image == "registry.example/shop/web:1.4"
               ? std::make_pair(false, std::string("not on this Docker host"))
               : std::make_pair(true, std::string("present"));
  };
  const auto checks = runner::preflight(&*v, p);
  CHECK(find(checks, "runtime") == nullptr);
  const auto failures = failed(checks);
  REQUIRE(failures.size() == 1);
  CHECK_THAT(failures[0], Catch::Contains("registry.example/shop/web:1.4"));
}

TEST_CASE("runtime compose and netns are built: their preflight says nothing of the runtime",
          "[runner][preflight][containers]") {
  experiment::Diagnostics diags;
  const auto v = runner::validate(
      std::string(FAULTLINE_TEST_DATA).append("/experiments/containers/compose.yaml"), {}, diags);
  INFO(diags.format());
  REQUIRE(v);
  CHECK(v->exp.stack.runtime == "compose");
  CHECK(runner::runtime_not_built(v->exp.stack).empty());
  CHECK(find(runner::preflight(&*v, healthy()), "runtime") == nullptr);
  // The containers are the team's: this machine's servers and a subnet do
  // not matter, the Docker daemon does.
  auto p = healthy();
  p.find_executable = [](const std::string& name) {
    return name == "ip" ? std::optional<std::string>("/usr/sbin/ip") : std::optional<std::string>();
  };
  p.subnet_problem = [](const experiment::Experiment&) { return std::optional<std::string>("taken"); };
  p.docker_daemon = [] { return std::make_pair(false, std::string("no answer on /var/run/docker.sock")); };
  p.docker_image = [](const std::string&) { return std::make_pair(true, std::string("present")); };
  const auto checks = runner::preflight(&*v, p);
  CHECK(failed(checks) == std::vector<std::string>{"docker daemon"});
  CHECK(find(checks, "subnet") == nullptr);
  const auto netns = load_experiment("net_bandwidth.yaml");
  CHECK(runner::runtime_not_built(netns.exp.stack).empty());
  CHECK(find(runner::preflight(&netns, healthy()), "runtime") == nullptr);
  // A name no runtime has (a caller that skipped validation) is refused.
  experiment::Stack unknown;
  unknown.runtime = "local";
  CHECK_THAT(runner::runtime_not_built(unknown), Catch::StartsWith("runtime local is not built yet"));
}
