// faultline on a host where Docker runs: dockerd sets the iptables FORWARD
// policy to DROP, puts a DOCKER-USER chain first in FORWARD and turns on
// bridge-nf-call-iptables, so traffic between a run's namespaces across its
// bridge would be dropped. The run must add exactly one ACCEPT rule for its
// own bridge, take it away on every exit path (and `faultline cleanup` after
// a SIGKILL), and leave the ruleset as it found it.
//
// Where: iptables rules and the bridge-nf-call-iptables sysctl belong to a
// network namespace. By default the test builds Docker's state in a
// namespace of its own and runs faultline (run, doctor, cleanup) inside it,
// as that namespace's "host": the kernel paths are the same, and the real
// host's FORWARD chain is never set to DROP under the runs of anyone else
// sharing this machine. FAULTLINE_DOCKER_TEST_ON_HOST=1 does it on the
// host's own namespace instead. Either way the previous FORWARD policy,
// sysctl and DOCKER-USER chain are saved first and restored at scope exit,
// also when a REQUIRE fails.

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <sstream>

#include "journal_helpers.h"
#include "machine_state.h"
#include "tests/skip.h"

namespace fs = std::filesystem;
using namespace faultline::testing;

namespace {

const std::string kExperiment = std::string(FAULTLINE_SOURCE_DIR) + "/experiments/haproxy-weight-skew.yaml";
// The shortest load the default experiment allows: its fault ends at 20 s.
const std::string kDuration = "load.duration=21s";

// The namespace Docker's state is made in and faultline runs in.
class HostNamespace {
 public:
  HostNamespace() {
    const char* on_host = std::getenv("FAULTLINE_DOCKER_TEST_ON_HOST");
    if (on_host != nullptr && std::string(on_host) == "1") {
      return;
    }
    name_ = "fltest-docker-" + std::to_string(getpid());
    // A test process killed before its destructor ran (a CTest timeout
    // sends SIGKILL) leaves its namespace: remove those of dead processes.
    shell(
        "for ns in $(ip netns list 2>/dev/null | grep -oE '^fltest-docker-[0-9]+'); do "
        "kill -0 \"${ns#fltest-docker-}\" 2>/dev/null || ip netns del \"$ns\"; done");
    shell("ip netns del " + name_ + " 2>/dev/null");
    REQUIRE(shell("ip netns add " + name_ + " 2>&1 && echo made").find("made") != std::string::npos);
    // faultline talks to itself on loopback (its live monitor).
    shell("ip netns exec " + name_ + " ip link set lo up");
  }
  HostNamespace(const HostNamespace&) = delete;
  HostNamespace& operator=(const HostNamespace&) = delete;
  ~HostNamespace() {
    if (!name_.empty()) {
      shell("ip netns del " + name_ + " 2>/dev/null");
    }
  }

  bool is_host() const { return name_.empty(); }
  // argv run inside the namespace (nsenter execs it: the pid is argv's).
  std::vector<std::string> argv(std::vector<std::string> args) const {
    if (!name_.empty()) {
      args.insert(args.begin(), {"/usr/bin/nsenter", "--net=/run/netns/" + name_});
    }
    return args;
  }
  // One command (no pipes) run inside the namespace, its stdout.
  std::string sh(const std::string& command) const {
    return shell((name_.empty() ? "" : "nsenter --net=/run/netns/" + name_ + " ") + command + " 2>&1");
  }

 private:
  std::string name_;
};

// The filter table as iptables-save prints it, without its comment lines
// and packet counters (which move with any traffic); then, as nft sees it
// (without counters), the table iptables-nft keeps it in: iptables-save
// prints the built-in chains whether or not the table exists, nft does not.
std::string ruleset(const HostNamespace& ns) {
  static const std::regex counters(R"(\[\d+:\d+\])");
  std::istringstream in(ns.sh("iptables-save -t filter"));
  std::string out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') {
      out += std::regex_replace(line, counters, "") + "\n";
    }
  }
  const std::string table = ns.sh("nft -s list table ip filter");
  return out + "--- nft table ip filter:\n" + (table.rfind("Error:", 0) == 0 ? "(none)\n" : table);
}

bool nft_filter_table_exists(const HostNamespace& ns) {
  return ns.sh("nft list table ip filter >/dev/null 2>&1 && echo yes").find("yes") != std::string::npos;
}

std::string forward_policy(const HostNamespace& ns) {
  std::smatch m;
  const std::string listing = ns.sh("iptables -S FORWARD");
  return std::regex_search(listing, m, std::regex(R"(-P FORWARD (\w+))")) ? m[1].str() : std::string();
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

// Saves the FORWARD policy, bridge-nf-call-iptables and whether DOCKER-USER
// exists; makes Docker's state; restores what it changed, and only that, at
// scope exit or on restore().
class DockerState {
 public:
  DockerState(const HostNamespace& ns, bool with_docker_user) : ns_(ns) {
    policy_ = forward_policy(ns_);
    table_existed_ = nft_filter_table_exists(ns_);
    call_iptables_ = trimmed(ns_.sh("cat /proc/sys/net/bridge/bridge-nf-call-iptables"));
    docker_user_existed_ = ns_.sh("iptables -S DOCKER-USER").rfind("-N DOCKER-USER", 0) == 0;
    REQUIRE((policy_ == "ACCEPT" || policy_ == "DROP"));
    REQUIRE((call_iptables_ == "0" || call_iptables_ == "1"));
    if (with_docker_user && !docker_user_existed_) {
      // As dockerd makes it: the chain (older releases end it with a
      // RETURN) and FORWARD jumping to it first.
      changed_chain_ = true;
      REQUIRE(ns_.sh("iptables -w 5 -N DOCKER-USER").empty());
      REQUIRE(ns_.sh("iptables -w 5 -A DOCKER-USER -j RETURN").empty());
      REQUIRE(ns_.sh("iptables -w 5 -I FORWARD 1 -j DOCKER-USER").empty());
    }
    changed_policy_ = true;
    REQUIRE(ns_.sh("iptables -w 5 -P FORWARD DROP").empty());
    changed_sysctl_ = true;
    REQUIRE(ns_.sh("sysctl -q -w net.bridge.bridge-nf-call-iptables=1").empty());
  }
  DockerState(const DockerState&) = delete;
  DockerState& operator=(const DockerState&) = delete;
  ~DockerState() { restore(); }

  bool docker_user_existed() const { return docker_user_existed_; }

  void restore() {
    if (changed_chain_) {
      ns_.sh("iptables -w 5 -D FORWARD -j DOCKER-USER");
      ns_.sh("iptables -w 5 -F DOCKER-USER");
      ns_.sh("iptables -w 5 -X DOCKER-USER");
      changed_chain_ = false;
    }
    if (changed_policy_) {
      ns_.sh("iptables -w 5 -P FORWARD " + policy_);
      changed_policy_ = false;
    }
    if (changed_sysctl_) {
      ns_.sh("sysctl -q -w net.bridge.bridge-nf-call-iptables=" + call_iptables_);
      changed_sysctl_ = false;
    }
    // Setting a policy made iptables-nft create its filter table; one that
    // was not there goes again, if it holds nothing but the defaults.
    if (!table_existed_ && nft_filter_table_exists(ns_) &&
        ns_.sh("iptables -S") == "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n") {
      ns_.sh("nft delete table ip filter");
    }
  }

 private:
  const HostNamespace& ns_;
  std::string policy_;
  std::string call_iptables_;
  bool docker_user_existed_ = false;
  bool table_existed_ = false;
  bool changed_chain_ = false;
  bool changed_policy_ = false;
  bool changed_sysctl_ = false;
};

bool skip_unless_root() {
  if (!is_root()) {
    ::faultline::testing::skip_test("needs root for network namespaces and iptables (CI runs as root)");
    return true;
  }
  return false;
}

// What of the run is still in the namespace faultline ran in, and in the
// shared namespace list.
std::string left_in(const HostNamespace& ns, const std::string& run_id) {
  std::string left;
  for (const auto& line : lines_of(ns.sh("iptables-save"))) {
    if (line.find("faultline:" + run_id) != std::string::npos) {
      left += line + "\n";
    }
  }
  for (const auto& line : lines_of(ns.sh("ip -o link"))) {
    if (line.find(run_id) != std::string::npos) {
      left += line + "\n";
    }
  }
  left += shell("ip netns list 2>/dev/null | grep -- '-" + run_id + "-' || true");
  return left;
}

// Runs the default experiment in the namespace and checks it completed
// with the servers answering, its rule gone and the ruleset as before.
void run_default_experiment(const HostNamespace& ns, const std::string& out, const std::string& chain) {
  const std::string registry = out + "/registry";
  const std::string before = ruleset(ns);
  const int code = run(ns.argv({FAULTLINE_BINARY, "run", kExperiment, "--out", out + "/run", "--set",
                                kDuration, "--registry", registry}),
                       out + "/faultline.log", std::chrono::seconds(90));
  const std::string log = read_file(out + "/faultline.log");
  INFO("log in " << out << ":\n" << log);
  // 0 or 1 as the experiment's expect judges it; 3 would be the harness
  // failing (the load balancer not reaching its backends).
  CHECK((code == 0 || code == 1));
  CHECK(log.find("host firewall: FORWARD policy DROP, bridge-nf-call-iptables=1: ACCEPT for flbr-") !=
        std::string::npos);
  CHECK(log.find("added to " + chain + " (removed at the end)") != std::string::npos);

  REQUIRE(fs::exists(out + "/run/journal.json"));
  const json j = json::parse(read_file(out + "/run/journal.json"));
  CHECK(j["status"] == "completed");
  // Every backend answered through the load balancer, before and during
  // the fault, and the load from the host reached the load balancer.
  for (const char* phase : {"baseline", "fault", "recovery"}) {
    const json& p = journal_phase(j, phase);
    INFO(phase << ": " << p.dump());
    CHECK(status_count(p, "200") > 0);
    for (const char* web : {"web1", "web2", "web3"}) {
      CHECK(count_of(p["backends"], web) > 0);
    }
  }
  for (const auto& o : j["slo"]["objectives"]) {
    if (o["name"] == "availability") {
      CHECK(o["breached"] == false);
    }
  }
  const std::string run_id = j["run_id"].get<std::string>();
  CHECK(left_in(ns, run_id).empty());
  CHECK(ruleset(ns) == before);
}

TEST_CASE(
    "on a Docker host the default experiment runs, its DOCKER-USER rule goes and the ruleset is as before",
    "[integration][docker-host]") {
  if (skip_unless_root()) {
    return;
  }
  const std::string out = fresh_out_dir("docker_host/docker_user");
  HostNamespace ns;
  const std::string original = ruleset(ns);
  DockerState docker(ns, true);
  INFO("Docker's state:\n" << ruleset(ns));
  if (trimmed(ns.sh("cat /proc/sys/net/bridge/bridge-nf-call-iptables")) != "1") {
    FAULTLINE_SKIP_KERNEL("br_netfilter is not active here, so FORWARD never sees bridged traffic");
  }

  // doctor says what it found and what a run will do, as information.
  const int doctor =
      run(ns.argv({FAULTLINE_BINARY, "doctor"}), out + "/doctor.log", std::chrono::seconds(60));
  const std::string doctor_log = read_file(out + "/doctor.log");
  INFO(doctor_log);
  CHECK(doctor_log.find("ok   host firewall (FORWARD)") != std::string::npos);
  CHECK(doctor_log.find("bridge-nf-call-iptables=1 (Docker): faultline will add one ACCEPT rule for its own "
                        "bridge to DOCKER-USER for the run, removed at the end") != std::string::npos);
  CHECK((doctor == 0 || doctor == 6));  // the firewall line never fails it

  run_default_experiment(ns, out, "DOCKER-USER");

  docker.restore();
  CHECK(ruleset(ns) == original);
}

TEST_CASE("with a plain FORWARD policy DROP (no DOCKER-USER) the rule goes at the top of FORWARD and away",
          "[integration][docker-host]") {
  if (skip_unless_root()) {
    return;
  }
  const std::string out = fresh_out_dir("docker_host/plain_drop");
  HostNamespace ns;
  const std::string original = ruleset(ns);
  DockerState docker(ns, false);
  if (docker.docker_user_existed()) {
    FAULTLINE_SKIP("this host has a DOCKER-USER chain (Docker runs here); the other cases cover it");
  }
  if (trimmed(ns.sh("cat /proc/sys/net/bridge/bridge-nf-call-iptables")) != "1") {
    FAULTLINE_SKIP_KERNEL("br_netfilter is not active here, so FORWARD never sees bridged traffic");
  }
  run_default_experiment(ns, out, "FORWARD");
  docker.restore();
  CHECK(ruleset(ns) == original);
}

TEST_CASE("a run SIGKILLed on a Docker host leaves its rule until faultline cleanup removes it",
          "[integration][docker-host]") {
  if (skip_unless_root()) {
    return;
  }
  const std::string out = fresh_out_dir("docker_host/sigkill");
  const std::string registry = out + "/registry";
  HostNamespace ns;
  const std::string original = ruleset(ns);
  DockerState docker(ns, true);
  if (trimmed(ns.sh("cat /proc/sys/net/bridge/bridge-nf-call-iptables")) != "1") {
    FAULTLINE_SKIP_KERNEL("br_netfilter is not active here, so FORWARD never sees bridged traffic");
  }
  const std::string before = ruleset(ns);

  const pid_t pid = spawn(ns.argv({FAULTLINE_BINARY, "run", kExperiment, "--out", out + "/run", "--set",
                                   kDuration, "--registry", registry}),
                          out + "/faultline.log");
  // Killed once the stack is up and the load runs, the rule in place.
  const bool up = wait_for_text(out + "/faultline.log", "stack up in", std::chrono::seconds(30));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  kill(pid, SIGKILL);
  CHECK(wait_for(pid, std::chrono::seconds(10)) == 128 + SIGKILL);
  const std::string log = read_file(out + "/faultline.log");
  INFO("log:\n" << log);
  REQUIRE(up);
  const std::string run_id = run_id_from_log(out + "/faultline.log");
  REQUIRE_FALSE(run_id.empty());

  // Nothing could run in faultline: the rule is still there, and the
  // manifest recorded it.
  const std::string rule = "-A DOCKER-USER -i flbr-" + run_id + " -o flbr-" + run_id +
                           " -m comment --comment \"faultline:" + run_id + " owner=";
  CHECK(ns.sh("iptables -S DOCKER-USER").find(rule) != std::string::npos);
  CHECK(read_file(registry + "/" + run_id + "/manifest").find("iptables DOCKER-USER/flbr-" + run_id) !=
        std::string::npos);

  const int code = run(ns.argv({FAULTLINE_BINARY, "cleanup", "--registry", registry}), out + "/cleanup.log",
                       std::chrono::seconds(60));
  const std::string cleanup_log = read_file(out + "/cleanup.log");
  INFO("cleanup:\n" << cleanup_log);
  CHECK(code == 0);
  CHECK(cleanup_log.find("removed run " + run_id + ": iptables rule accepting flbr-" + run_id +
                         " in DOCKER-USER") != std::string::npos);
  CHECK(left_in(ns, run_id).empty());
  CHECK(ruleset(ns) == before);

  docker.restore();
  CHECK(ruleset(ns) == original);
}

}  // namespace
