// End-to-end: the real faultline binary brings up HAProxy + 2 nginx in
// namespaces and applies the packet faults (latency, loss, duplicate,
// reorder) under real load, through netem where the kernel has it and
// faultline's NFQUEUE delayer otherwise. Each test asserts the measured
// effect during the fault, the return to steady state after its revert, and
// that nothing (namespace, link, process, iptables rule, nft table, queue)
// is left behind, also when the run is stopped by a signal mid-fault.

#include <algorithm>
#include <catch2/catch.hpp>
#include <sstream>
#include <vector>

#include "harness/platform/kernel_features.h"
#include "journal_helpers.h"
#include "kernel_needs.h"
#include "tests/skip.h"

using namespace faultline::testing;

namespace {

void check_fault_window(const json& j) {
  const auto& fault = j["activities"][0];
  CHECK(fault["status"] == "reverted");
  CHECK(fault["injected_s"].get<double>() == Approx(3.0).margin(0.2));
  // Revert starts on time; how long it takes depends on the path and the
  // machine: the NFQUEUE delayer removes its rules in one iptables-restore,
  // measured in well under 0.3 s on the host. In user-mode Linux, where
  // iptables (legacy) runs every system call through ptrace, it took 0.24 to
  // 0.40 s on one host and 1.4 to 1.9 s on another (kernel 6.18, where a
  // fork and exec of /bin/true in the guest takes 0.1 s).
  const double took_s = fault["revert_took_ms"].get<double>() / 1000;
  CHECK(fault["reverted_s"].get<double>() - took_s == Approx(6.0).margin(0.3));
  CHECK(took_s < (in_uml_guest() ? 3.0 : 0.3));
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

// Runs faults/<name>.yaml, whose one fault is active from 3 s to 6 s of the
// load, to completion; checks the fault window, that the median is back to
// the baseline's after the revert, and that nothing is left behind. Returns
// the journal for the fault's own figures.
json run_packet_fault(const std::string& name, const std::string& out_name) {
  const std::string out = fresh_out_dir(out_name);
  INFO("reports and log in " << out);
  const json j = run_to_journal(fault_experiment(name), out);
  check_fault_window(j);
  const double base = journal_phase(j, "baseline")["p50_ms"].get<double>();
  CHECK(std::abs(journal_phase(j, "recovery")["p50_ms"].get<double>() - base) <= 3.0);
  CHECK(leftovers(j["run_id"].get<std::string>()).empty());
  return j;
}

// Lost health checks may mark every server down during a loss fault (fall
// 3 at 500 ms in these experiments); HAProxy then answers 503 until rise 2
// checks pass after the revert, about 1 s. That is HAProxy's own recovery,
// measured: seen once in a CI run, 49 answers of 503 between 6.0 s and
// 7.0 s after a revert at 6.03 s. So after the revert the errors are 503s
// only, and from one second after it there are none (in at least one
// whole window). The tail is judged there too: a segment lost just before
// the revert is sent again after it (the retransmission timeout is at
// least 200 ms, and backs off), and a request behind it on the same
// connection waits with it (a fresh run in user-mode Linux had a recovery
// phase p99 of 28.8 ms against a baseline of 5.7 ms). So from one second
// after the revert no window's p99 shows a retransmission: each is within
// 100 ms of the baseline's, half the 200 ms a lost segment costs at least
// (windows of 100 requests, whose p99 is their second slowest, on a guest
// whose scheduling alone can add tens of milliseconds).
void check_recovers_within_rise(const json& j, const json& base, const json& after) {
  INFO("after the revert: " << after.dump());
  CHECK((!after.contains("transport_errors") || after["transport_errors"].empty()));
  CHECK(count_of(after["statuses"], "200") + count_of(after["statuses"], "503") ==
        after["requests"].get<double>());
  const double reverted = j["activities"][0]["reverted_s"].get<double>();
  const WindowSum settled = windows_between(j, reverted + 1.0, 1e9);
  CHECK(settled.errors == 0);
  CHECK(settled.requests >= 100);  // at least one whole window observed
  CHECK(settled.worst_p99_ms <= base["p99_ms"].get<double>() + 100.0);
}

}  // namespace

TEST_CASE("latency of 100 ms moves the median by 100 ms and goes away on revert",
          "[integration][net][net-delay][latency]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces and iptables (CI runs as root)");
  }
  const json j = run_packet_fault("latency", "net_latency");
  const double base = journal_phase(j, "baseline")["p50_ms"].get<double>();
  const json& during = journal_phase(j, "fault");
  // Each answer crosses the delayed hop exactly once.
  CHECK(during["p50_ms"].get<double>() - base == Approx(100.0).margin(3.0));
  CHECK(during["errors"].get<double>() == 0);
  // The journal names the mechanism apart from the description: ingress
  // from some peers is beyond a root netem qdisc, so this is the NFQUEUE
  // delayer on every kernel.
  const std::string what = j["activities"][0]["description"].get<std::string>();
  const std::string how = j["activities"][0]["mechanism"].get<std::string>();
  CHECK(what.find("delayed by 100ms") != std::string::npos);
  CHECK(what.find("NFQUEUE") == std::string::npos);
  CHECK(how.find("NFQUEUE packet delayer") != std::string::npos);
}

TEST_CASE("loss of 20% shows in tail latency and errors, and goes away on revert",
          "[integration][net][net-delay][loss]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces and nftables (CI runs as root)");
  }
  FAULTLINE_REQUIRE_NFTABLES();
  const json j = run_packet_fault("loss", "net_loss");
  const json& base = journal_phase(j, "baseline");
  const json& during = journal_phase(j, "fault");
  const json& after = journal_phase(j, "recovery");
  // Lost segments wait for TCP's retransmission timeout (>= 200 ms), lost
  // SYNs for 1 s: the tail grows by at least that, and some requests fail.
  CHECK(during["p99_ms"].get<double>() >= base["p99_ms"].get<double>() + 200.0);
  CHECK(during["errors"].get<double>() + (during["p99_ms"].get<double>() >= 1000.0 ? 1 : 0) >= 1);
  CHECK(base["errors"].get<double>() == 0);
  check_recovers_within_rise(j, base, after);
}

TEST_CASE("loss in bursts takes netem or the NFQUEUE delayer and shows in the tail, then goes away",
          "[integration][net][net-delay][loss]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  // With a correlation, loss is netem's (or the delayer's) rather than an
  // nftables rule's: on web1's whole egress, netem where the kernel has it.
  const json j = run_packet_fault("loss_bursts", "net_loss_bursts");
  const bool netem = faultline::platform::netem_support().available;
  const std::string how = j["activities"][0]["kernel_path"].get<std::string>();
  CHECK(how.find(netem ? "a netem qdisc on web1's eth0" : "faultline's NFQUEUE packet delayer") == 0);
  const json& base = journal_phase(j, "baseline");
  const json& during = journal_phase(j, "fault");
  const json& after = journal_phase(j, "recovery");
  INFO("kernel path: " << how << "\nbaseline: " << base.dump() << "\nfault: " << during.dump());
  // Lost answers wait for the retransmission timeout (>= 200 ms).
  CHECK(during["p99_ms"].get<double>() >= base["p99_ms"].get<double>() + 200.0);
  CHECK(base["errors"].get<double>() == 0);
  check_recovers_within_rise(j, base, after);
}

TEST_CASE("reorder lets most answers through at once and holds the rest",
          "[integration][net][net-delay][reorder]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces and iptables (CI runs as root)");
  }
  const json j = run_packet_fault("reorder", "net_reorder");
  const json& during = journal_phase(j, "fault");
  // 75% overtake: the median stays fast, the tail waits the 100 ms.
  CHECK(during["p50_ms"].get<double>() <= journal_phase(j, "baseline")["p50_ms"].get<double>() + 10.0);
  CHECK(during["p99_ms"].get<double>() == Approx(100.0).margin(15.0));
  CHECK(journal_phase(j, "recovery")["p99_ms"].get<double>() <= 50.0);
}

TEST_CASE("duplicate makes the backends see segments twice, and stops on revert",
          "[integration][net][net-delay][duplicate]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces and iptables (CI runs as root)");
  }
  const std::string out = fresh_out_dir("net_duplicate");
  INFO("reports and log in " << out);
  const std::string log = out + "/faultline.log";
  const pid_t pid = start_run(fault_experiment("duplicate"), out);
  // D-SACKs that lb receives: a backend got a segment it already had. The
  // counter is read by the run's own log lines, not by the clock: how long
  // the stack takes to come up and the fault to go in differs a lot between
  // the host and user-mode Linux (there 1.6 s and 1.4 s). First 1 s into
  // the load, 2 s before the fault is due.
  REQUIRE(wait_for_text(log, " to lb for ", std::chrono::seconds(30)));
  const std::string run_id = run_id_from_log(log);
  REQUIRE_FALSE(run_id.empty());
  const std::string netns = "fl-" + run_id + "-lb";
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const long before = tcp_ext_counter(netns, "TCPDSACKRecv");
  CHECK(wait_for_text(log, "injected duplicate on", std::chrono::seconds(30)));
  // After the revert is done (its line), and once the duplicates still in
  // flight have landed, for 1 s of load.
  CHECK(wait_for_text(log, "reverted duplicate on", std::chrono::seconds(30)));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const long after_revert = tcp_ext_counter(netns, "TCPDSACKRecv");
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  const long a_second_later = tcp_ext_counter(netns, "TCPDSACKRecv");
  const int code = wait_for(pid, std::chrono::seconds(60));
  INFO(read_file(log));
  REQUIRE((code == 0 || guest_late_sends_only(out)));  // expect: hold (no request is harmed by duplicates)
  INFO("TCPDSACKRecv in " << netns << ": " << before << " " << after_revert << " " << a_second_later);
  REQUIRE(before >= 0);
  CHECK(before <= 2);
  // ~30% of the segments of the fault's requests (~600 on the host, ~300
  // in user-mode Linux, where the fault goes in later) duplicated.
  CHECK(after_revert - before >= 50);
  CHECK(a_second_later - after_revert <= 2);
  const json j = json::parse(read_file(out + "/journal.json"));
  check_fault_window(j);
  CHECK(journal_phase(j, "fault")["errors"].get<double>() == 0);
  CHECK(leftovers(j["run_id"].get<std::string>()).empty());
}

TEST_CASE("a run stopped by a signal in the middle of a packet fault leaves nothing behind",
          "[integration][net][net-delay][signals]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces and iptables (CI runs as root)");
  }
  // latency runs the NFQUEUE delayer (without netem); loss an nft table.
  const std::string name = GENERATE(as<std::string>{}, "latency", "loss");
  const int sig = GENERATE(SIGINT, SIGTERM);
  if (name == "loss") {
    FAULTLINE_REQUIRE_NFTABLES();
  }
  const std::string out = fresh_out_dir("net_signal_" + std::to_string(sig) + "_" + name);
  INFO("reports and log in " << out);
  const pid_t pid = start_run(fault_experiment(name), out);
  CHECK(wait_for_fault_in_force(out + "/faultline.log"));
  const json j = stop_run(pid, out, sig);
  CHECK(leftovers(j["run_id"].get<std::string>()).empty());
}

TEST_CASE("the netem path delays like the NFQUEUE path where the kernel has sch_netem",
          "[integration][net][net-delay][netem]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const auto& netem = faultline::platform::netem_support();
  if (!netem.available) {
    FAULTLINE_SKIP_KERNEL("netem (sch_netem): " << netem.reason);
  }
  // netem takes egress on the whole interface: web1, lb's only backend,
  // sends every answer through it once.
  const json j = run_packet_fault("latency_netem", "net_netem");
  const std::string how = j["activities"][0]["mechanism"].get<std::string>();
  CHECK(how.find("netem qdisc") != std::string::npos);
  CHECK(j["activities"][0]["description"].get<std::string>().find("netem") == std::string::npos);
  const double base = journal_phase(j, "baseline")["p50_ms"].get<double>();
  CHECK(journal_phase(j, "fault")["p50_ms"].get<double>() - base == Approx(100.0).margin(3.0));
}

namespace {

// Latencies (ms) of the answered requests whose intended send time lies in
// [from_s, to_s), from the run's requests.csv (faultline run --samples).
std::vector<double> latencies_between(const std::string& csv_path, double from_s, double to_s) {
  std::vector<double> out;
  for (const auto& r : read_requests(csv_path)) {
    if (r.status == 200 && r.intended_s >= from_s && r.intended_s < to_s) {
      out.push_back(r.latency_ms);
    }
  }
  return out;
}

double share_below(const std::vector<double>& xs, double limit) {
  return xs.empty()
             ? 0.0
             : static_cast<double>(std::count_if(xs.begin(), xs.end(), [&](double x) { return x < limit; })) /
                   static_cast<double>(xs.size());
}

}  // namespace

TEST_CASE("jitter spreads the delay uniformly over delay ± jitter, on either path",
          "[integration][net][net-delay][jitter]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  // 100 ms ± 50 ms on web1's whole egress: netem where the kernel has it,
  // the NFQUEUE delayer otherwise; both draw uniformly (netem without a
  // distribution table). Every answer crosses the delayed hop once.
  const std::string out = fresh_out_dir("net_jitter");
  INFO("reports and log in " << out);
  const json j = run_to_journal(fault_experiment("latency_jitter"), out, {"--samples"});
  check_fault_window(j);
  const double base = journal_phase(j, "baseline")["p50_ms"].get<double>();
  const bool netem = faultline::platform::netem_support().available;
  const std::string how = j["activities"][0]["kernel_path"].get<std::string>();
  CHECK(how.find(netem ? "a netem qdisc on web1's eth0" : "faultline's NFQUEUE packet delayer") == 0);
  // Well inside the fault (3 s .. 6 s): 3.3 s .. 5.7 s, ~480 answers.
  std::vector<double> added = latencies_between(out + "/requests.csv", 3.3, 5.7);
  for (double& x : added) {
    x -= base;
  }
  REQUIRE(added.size() > 300);
  std::sort(added.begin(), added.end());
  INFO("kernel path: " << how << "\nadded delay (ms): min " << added.front() << ", max " << added.back()
                       << ", below 75/100/125 ms: " << share_below(added, 75) << " "
                       << share_below(added, 100) << " " << share_below(added, 125));
  // Within the range, give or take the clock and scheduling (a few ms).
  // The floor holds for every answer: nothing on the path can answer
  // sooner than the fault lets it. The ceiling is checked on a share, not
  // on the slowest answers: on a shared 2-core runner a scheduler stall of
  // the load generator, nginx or the NFQUEUE delayer adds tens of ms to a
  // few answers whatever the fault does (seen: one answer at 258.7 ms with
  // every other figure in bounds; and a p99 of 167 ms, the slowest 206 ms,
  // on the delayer path beside other tests). A fault that overshot its
  // range would put far more past it: 100 ms ± 100 ms would put a quarter
  // of the answers over 150 ms. So at most 3% may be past 150 + 15 ms.
  const double p99 = added[(added.size() * 99) / 100];
  INFO("added delay p99 (ms): " << p99);
  CHECK(added.front() >= 50 - 3);
  CHECK(share_below(added, 150 + 15) >= 0.97);
  // Uniform: the quartiles at 75, 100 and 125 ms. With ~480 draws a
  // share's standard error is ~0.02; the bounds allow four of it.
  CHECK(share_below(added, 75) == Approx(0.25).margin(0.08));
  CHECK(share_below(added, 100) == Approx(0.50).margin(0.08));
  CHECK(share_below(added, 125) == Approx(0.75).margin(0.08));
}

TEST_CASE("a run killed by SIGKILL mid-fault leaves only namespace state, which cleanup removes",
          "[integration][net][net-delay][sigkill]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces and iptables (CI runs as root)");
  }
  const std::string out = fresh_out_dir("net_sigkill");
  INFO("reports and log in " << out);
  // The fault held for 30 s rather than the file's 3, so that the SIGKILL
  // lands in it however long the checks before it take (in user-mode Linux
  // the fault goes in 1.3 s late and `ip netns exec` takes 0.3 s).
  const pid_t pid = start_run(fault_experiment("latency"), out,
                              {"--set", "method.0.duration=30s", "--set", "load.duration=40s"});
  CHECK(wait_for_fault_in_force(out + "/faultline.log"));
  const std::string run_id = run_id_from_log(out + "/faultline.log");
  const std::string netns = "fl-" + run_id + "-lb";
  // While the fault is on, the delayer is bound to the queue.
  const std::string bound =
      shell("ip netns exec " + netns + " cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null");
  kill(pid, SIGKILL);
  wait_for(pid, std::chrono::seconds(10));
  INFO(read_file(out + "/faultline.log"));
  REQUIRE_FALSE(run_id.empty());
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
  const std::string left = leftovers(run_id);
  INFO("left behind:\n" << left);
  CHECK(left.empty());
}
