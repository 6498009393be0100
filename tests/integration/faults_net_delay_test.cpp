// End-to-end: the real faultline binary brings up HAProxy + 2 nginx in
// namespaces and applies the packet faults (latency, loss, duplicate,
// reorder) under real load, through netem where the kernel has it and
// faultline's NFQUEUE delayer otherwise. Each test asserts the measured
// effect during the fault, the return to steady state after its revert, and
// that nothing (namespace, link, process, iptables rule, nft table, queue)
// is left behind, also when the run is stopped by a signal mid-fault.

#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "faults/common/kernel_features.h"
#include "process.h"

namespace fs = std::filesystem;
using faultline::testing::is_root;
using faultline::testing::leftovers;
using faultline::testing::read_file;
using faultline::testing::run;
using faultline::testing::shell;
using json = nlohmann::json;

namespace {

std::string delay_experiment(const std::string& name) {
  return std::string(FAULTLINE_TEST_DATA) + "/experiments/faults/" + name;
}

std::string delay_out_dir(const std::string& name) {
  const std::string dir = std::string(FAULTLINE_BINARY_DIR) + "/test-output/" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

json phase_of(const json& j, const std::string& kind) {
  for (const auto& p : j["phases"]) {
    if (p["kind"] == kind) {
      return p;
    }
  }
  FAIL("no phase of kind " << kind);
  return {};
}

// What a run of the packet faults could leave behind on top of the common
// leftovers: rules or tables carrying its run id in the host namespace. (The
// delayer is a thread of faultline itself, gone with the process the tests
// have reaped; rules and queues inside the run's namespaces go with them.)
std::string delay_leftovers(const std::string& run_id) {
  std::string left = leftovers(run_id);
  left += shell("iptables-save 2>/dev/null | grep -- 'faultline:" + run_id + "' || true");
  left += shell("iptables-legacy-save 2>/dev/null | grep -- 'faultline:" + run_id + "' || true");
  left += shell("nft list tables 2>/dev/null | grep -- 'faultline_" + run_id + "' || true");
  return left;
}

struct Run {
  json journal;
  std::string log;
};

Run run_experiment(const std::string& file, const std::string& name) {
  const std::string out = delay_out_dir(name);
  const int code = run({FAULTLINE_BINARY, "run", delay_experiment(file), "--out", out},
                       out + "/faultline.log", std::chrono::seconds(60));
  Run r;
  r.log = read_file(out + "/faultline.log");
  INFO("reports and log in " << out << "\n" << r.log);
  REQUIRE(code == 0);
  r.journal = json::parse(read_file(out + "/journal.json"));
  REQUIRE(r.journal["status"] == "completed");
  return r;
}

void check_fault_window(const json& j) {
  const auto& fault = j["activities"][0];
  CHECK(fault["status"] == "reverted");
  CHECK(fault["injected_s"].get<double>() == Approx(3.0).margin(0.2));
  CHECK(fault["reverted_s"].get<double>() == Approx(6.0).margin(0.3));
}

// A TcpExt counter of /proc/net/netstat inside a namespace.
long tcp_ext_counter(const std::string& netns, const std::string& name) {
  std::istringstream in(shell("ip netns exec " + netns + " cat /proc/net/netstat 2>/dev/null"));
  std::string keys;
  std::string values;
  while (std::getline(in, keys) && std::getline(in, values)) {
    if (keys.rfind("TcpExt:", 0) != 0) {
      continue;
    }
    std::istringstream k(keys);
    std::istringstream v(values);
    std::string key;
    std::string value;
    while (k >> key && v >> value) {
      if (key == name) {
        return std::stol(value);
      }
    }
  }
  return -1;
}

}  // namespace

TEST_CASE("latency of 100 ms moves the median by 100 ms and goes away on revert",
          "[integration][net][net-delay][latency]") {
  if (!is_root()) {
    WARN("skipped: needs root for network namespaces and iptables (CI runs as root)");
    return;
  }
  const auto r = run_experiment("latency.yaml", "net_latency");
  INFO(r.log);
  const auto& j = r.journal;
  check_fault_window(j);
  const double base = phase_of(j, "baseline")["p50_ms"].get<double>();
  const double during = phase_of(j, "fault")["p50_ms"].get<double>();
  const double after = phase_of(j, "recovery")["p50_ms"].get<double>();
  // Each answer crosses the delayed hop exactly once.
  CHECK(during - base == Approx(100.0).margin(3.0));
  CHECK(std::abs(after - base) <= 3.0);
  CHECK(phase_of(j, "fault")["errors"].get<double>() == 0);
  // The journal names the mechanism: ingress from some peers is beyond a
  // root netem qdisc, so this is the NFQUEUE delayer on every kernel.
  const std::string how = j["activities"][0]["description"].get<std::string>();
  CHECK(how.find("delayed by 100ms") != std::string::npos);
  CHECK(how.find("NFQUEUE packet delayer") != std::string::npos);
  CHECK(delay_leftovers(j["run_id"].get<std::string>()).empty());
}

TEST_CASE("loss of 20% shows in tail latency and errors, and goes away on revert",
          "[integration][net][net-delay][loss]") {
  if (!is_root()) {
    WARN("skipped: needs root for network namespaces and nftables (CI runs as root)");
    return;
  }
  const auto r = run_experiment("loss.yaml", "net_loss");
  INFO(r.log);
  const auto& j = r.journal;
  check_fault_window(j);
  const auto base = phase_of(j, "baseline");
  const auto during = phase_of(j, "fault");
  const auto after = phase_of(j, "recovery");
  // Lost segments wait for TCP's retransmission timeout (>= 200 ms), lost
  // SYNs for 1 s: the tail grows by at least that, and some requests fail.
  CHECK(during["p99_ms"].get<double>() >= base["p99_ms"].get<double>() + 200.0);
  CHECK(during["errors"].get<double>() + (during["p99_ms"].get<double>() >= 1000.0 ? 1 : 0) >= 1);
  CHECK(base["errors"].get<double>() == 0);
  CHECK(after["errors"].get<double>() == 0);
  CHECK(after["p99_ms"].get<double>() <= base["p99_ms"].get<double>() + 20.0);
  CHECK(std::abs(after["p50_ms"].get<double>() - base["p50_ms"].get<double>()) <= 3.0);
  CHECK(delay_leftovers(j["run_id"].get<std::string>()).empty());
}

TEST_CASE("reorder lets most answers through at once and holds the rest",
          "[integration][net][net-delay][reorder]") {
  if (!is_root()) {
    WARN("skipped: needs root for network namespaces and iptables (CI runs as root)");
    return;
  }
  const auto r = run_experiment("reorder.yaml", "net_reorder");
  INFO(r.log);
  const auto& j = r.journal;
  check_fault_window(j);
  const auto base = phase_of(j, "baseline");
  const auto during = phase_of(j, "fault");
  const auto after = phase_of(j, "recovery");
  // 75% overtake: the median stays fast, the tail waits the 100 ms.
  CHECK(during["p50_ms"].get<double>() <= base["p50_ms"].get<double>() + 10.0);
  CHECK(during["p99_ms"].get<double>() == Approx(100.0).margin(15.0));
  CHECK(after["p99_ms"].get<double>() <= 50.0);
  CHECK(std::abs(after["p50_ms"].get<double>() - base["p50_ms"].get<double>()) <= 3.0);
  CHECK(delay_leftovers(j["run_id"].get<std::string>()).empty());
}

TEST_CASE("duplicate makes the backends see segments twice, and stops on revert",
          "[integration][net][net-delay][duplicate]") {
  if (!is_root()) {
    WARN("skipped: needs root for network namespaces and iptables (CI runs as root)");
    return;
  }
  const std::string out = delay_out_dir("net_duplicate");
  INFO("reports and log in " << out);
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = faultline::testing::spawn(
      {FAULTLINE_BINARY, "run", delay_experiment("duplicate.yaml"), "--out", out}, out + "/faultline.log");
  // The run id is in the log's first line; lb's namespace is named after it.
  std::string netns;
  for (int i = 0; i < 40 && netns.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::smatch m;
    const std::string log = read_file(out + "/faultline.log");
    if (std::regex_search(log, m, std::regex("run ([0-9a-f]{6}):"))) {
      netns = "fl-" + m[1].str() + "-lb";
    }
  }
  // D-SACKs that lb receives: a backend got a segment it already had. The
  // load starts ~0.2 s after spawn (stack bring-up), the fault runs from
  // 3 s to 6 s of the load: sample well inside each phase.
  auto at = [&](int ms) {
    std::this_thread::sleep_until(start + std::chrono::milliseconds(ms));
    return tcp_ext_counter(netns, "TCPDSACKRecv");
  };
  const long at_3s = at(2700);
  const long at_6s = at(5900);
  const long after_revert = at(7000);
  const long at_9s = at(9000);
  const int code = faultline::testing::wait_for(pid, std::chrono::seconds(60));
  const std::string log = read_file(out + "/faultline.log");
  INFO(log);
  REQUIRE(code == 0);  // expect: hold (no request is harmed by duplicates)
  INFO("TCPDSACKRecv in " << netns << ": " << at_3s << " " << at_6s << " " << after_revert << " " << at_9s);
  REQUIRE(at_3s >= 0);
  CHECK(at_3s <= 2);
  // ~30% of ~600 requests' segments duplicated.
  CHECK(at_6s - at_3s >= 50);
  CHECK(at_9s - after_revert <= 2);
  const json j = json::parse(read_file(out + "/journal.json"));
  check_fault_window(j);
  CHECK(phase_of(j, "fault")["errors"].get<double>() == 0);
  CHECK(delay_leftovers(j["run_id"].get<std::string>()).empty());
}

TEST_CASE("a run stopped by a signal in the middle of a packet fault leaves nothing behind",
          "[integration][net][net-delay][signals]") {
  if (!is_root()) {
    WARN("skipped: needs root for network namespaces and iptables (CI runs as root)");
    return;
  }
  // latency runs the NFQUEUE delayer (without netem); loss an nft table.
  const std::string file = GENERATE(as<std::string>{}, "latency.yaml", "loss.yaml");
  const int sig = GENERATE(SIGINT, SIGTERM);
  const std::string out = delay_out_dir("net_signal_" + std::to_string(sig) + "_" + file);
  INFO("reports and log in " << out);
  const pid_t pid = faultline::testing::spawn({FAULTLINE_BINARY, "run", delay_experiment(file), "--out", out},
                                              out + "/faultline.log");
  std::this_thread::sleep_for(std::chrono::milliseconds(4500));  // fault active 3 s .. 6 s
  kill(pid, sig);
  const int code = faultline::testing::wait_for(pid, std::chrono::seconds(30));
  INFO("log:\n" << read_file(out + "/faultline.log"));
  CHECK(code == 130);
  const json j = json::parse(read_file(out + "/journal.json"));
  CHECK(j["status"] == "interrupted");
  CHECK(j["activities"][0]["status"] == "reverted");
  CHECK(delay_leftovers(j["run_id"].get<std::string>()).empty());
}

TEST_CASE("the netem path delays like the NFQUEUE path where the kernel has sch_netem",
          "[integration][net][net-delay][netem]") {
  if (!is_root()) {
    WARN("skipped: needs root for network namespaces (CI runs as root)");
    return;
  }
  const auto& netem = faultline::faults::netem_support();
  if (!netem.available) {
    WARN("skipped: " << netem.reason);
    return;
  }
  // netem takes egress on the whole interface: web1, lb's only backend,
  // sends every answer through it once.
  const auto r = run_experiment("latency_netem.yaml", "net_netem");
  INFO(r.log);
  const auto& j = r.journal;
  check_fault_window(j);
  const std::string how = j["activities"][0]["description"].get<std::string>();
  CHECK(how.find("netem qdisc") != std::string::npos);
  const double base = phase_of(j, "baseline")["p50_ms"].get<double>();
  CHECK(phase_of(j, "fault")["p50_ms"].get<double>() - base == Approx(100.0).margin(3.0));
  CHECK(std::abs(phase_of(j, "recovery")["p50_ms"].get<double>() - base) <= 3.0);
  CHECK(delay_leftovers(j["run_id"].get<std::string>()).empty());
}

TEST_CASE("a run killed by SIGKILL mid-fault leaves only namespace state, which cleanup removes",
          "[integration][net][net-delay][sigkill]") {
  if (!is_root()) {
    WARN("skipped: needs root for network namespaces and iptables (CI runs as root)");
    return;
  }
  const std::string out = delay_out_dir("net_sigkill");
  INFO("reports and log in " << out);
  const pid_t pid = faultline::testing::spawn(
      {FAULTLINE_BINARY, "run", delay_experiment("latency.yaml"), "--out", out}, out + "/faultline.log");
  std::this_thread::sleep_for(std::chrono::milliseconds(4500));  // fault active 3 s .. 6 s
  std::smatch m;
  const std::string early_log = read_file(out + "/faultline.log");
  const bool found = std::regex_search(early_log, m, std::regex("run ([0-9a-f]{6}):"));
  const std::string run_id = found ? m[1].str() : "";
  const std::string netns = "fl-" + run_id + "-lb";
  // While the fault is on, the delayer is bound to the queue.
  const std::string bound =
      shell("ip netns exec " + netns + " cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null");
  kill(pid, SIGKILL);
  faultline::testing::wait_for(pid, std::chrono::seconds(10));
  INFO(read_file(out + "/faultline.log"));
  REQUIRE(found);
  CHECK_FALSE(bound.empty());
  // The rules are inside lb's namespace and carry the run id; nothing is
  // bound to their queue any more, so --queue-bypass lets packets through.
  const std::string rules = shell("ip netns exec " + netns + " iptables -S INPUT 2>/dev/null");
  CHECK(rules.find("faultline:" + run_id) != std::string::npos);
  CHECK(rules.find("--queue-bypass") != std::string::npos);
  CHECK(shell("ip netns exec " + netns + " cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null").empty());
  // Nothing of the run outside its namespaces: cleanup removing those
  // removes everything.
  CHECK(shell("iptables-save 2>/dev/null | grep -- 'faultline:" + run_id + "' || true").empty());
  const int code = run({FAULTLINE_BINARY, "cleanup"}, out + "/cleanup.log", std::chrono::seconds(30));
  INFO(read_file(out + "/cleanup.log"));
  CHECK(code == 0);
  const std::string left = delay_leftovers(run_id);
  INFO("left behind:\n" << left);
  CHECK(left.empty());
}
