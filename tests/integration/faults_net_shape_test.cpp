// End-to-end: the real faultline binary brings up HAProxy + 2 nginx in
// namespaces and applies the network shaping faults (bandwidth, partition,
// reset) under real load. Each test asserts the measured effect during the
// fault and the return to steady state after its revert, and that nothing
// (namespace, link, process, nft table, qdisc) is left behind, also when the
// run is stopped by a signal in the middle of the faults.

#include <catch2/catch.hpp>

#include "journal_helpers.h"
#include "kernel_needs.h"
#include "tests/skip.h"

using namespace faultline::testing;

namespace {

// The 256 KiB body nginx backends serve on /blob.
constexpr double kBlobBytes = 262144;

// Runs faults/<name>.yaml to completion (each expects a breach, and gets
// one) and checks that it left nothing behind; returns its journal.
json run_and_read(const std::string& name) {
  const std::string out = fresh_out_dir(name);
  INFO("reports and log in " << out);
  json j = run_to_journal(fault_experiment(name), out);
  REQUIRE(j["activities"].size() >= 1);
  CHECK(leftovers(j["run_id"].get<std::string>()).empty());
  return j;
}

// A partition or reset of web1 (the load balancer's other server is web2):
// steady before, web1 out of rotation without errors once the health checks
// have marked it down, no errors after the revert, and web1 back to half of
// the traffic once it is up again (rise 2 x 500 ms).
void check_web1_out_then_back(const json& j) {
  const double injected = j["activities"][0]["injected_s"].get<double>();
  const double reverted = j["activities"][0]["reverted_s"].get<double>();
  // Steady state: windows wholly before the fault (a request sent just
  // before the injection may still be caught by it).
  const WindowSum steady = windows_between(j, 0, injected - 0.5);
  REQUIRE(steady.requests > 100);
  CHECK(steady.errors == 0);
  CHECK(backend_share(steady.backends, "web1") == Approx(0.5).margin(0.1));
  const WindowSum down = windows_between(j, injected + 1.5, reverted);
  REQUIRE(down.requests >= 150);
  CHECK(count_of(down.backends, "web1") == 0);
  CHECK(down.errors == 0);
  const json& after = journal_phase(j, "recovery");
  CHECK(after["errors"].get<int>() == 0);
  CHECK(after["p99_ms"].get<double>() < 100);
  const WindowSum healed = windows_between(j, reverted + 2.0, 1e9);
  REQUIRE(healed.requests > 100);
  CHECK(backend_share(healed.backends, "web1") == Approx(0.5).margin(0.1));
}

}  // namespace

TEST_CASE(
    "bandwidth caps a load balancer's throughput within 10% of the cap, either way, and lifts it on revert",
    "[integration][net][shape][bandwidth]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces and tbf (CI runs as root)");
  }
  // Egress: tbf on the LB's eth0 (responses to the client); ingress: tbf on
  // the root-side end of its veth (responses from the backends).
  const std::string variant = GENERATE(std::string("net_bandwidth"), std::string("net_bandwidth_ingress"));
  const json j = run_and_read(variant);
  INFO("phases: " << j["phases"].dump());
  // One connection, two 256 KiB responses a second: each response crosses the
  // link alone, so body / latency is the link's throughput. (Phases count
  // requests by their intended send time, so a saturating load would not
  // show its throughput in completed responses per phase second.)
  const double cap = 8e6 / 8;  // 8mbit in bytes per second
  const json& before = journal_phase(j, "baseline");
  const json& during = journal_phase(j, "fault");
  const json& after = journal_phase(j, "recovery");
  for (const auto* p : {&before, &during, &after}) {
    CHECK((*p)["errors"].get<int>() == 0);
    CHECK((*p)["requests"].get<int>() >= 5);
  }
  const double capped = kBlobBytes / (during["p50_ms"].get<double>() / 1000);
  const double uncapped_before = kBlobBytes / (before["p50_ms"].get<double>() / 1000);
  const double uncapped_after = kBlobBytes / (after["p50_ms"].get<double>() / 1000);
  CHECK(capped == Approx(cap).epsilon(0.10));
  // Steady state before and after: far above the cap.
  CHECK(uncapped_before > 5 * cap);
  CHECK(uncapped_after > 5 * cap);
  CHECK(after["p50_ms"].get<double>() < 3 * before["p50_ms"].get<double>() + 5);
}

TEST_CASE(
    "a partition between web1 and the load balancer fails requests until web1 is marked down, then heals",
    "[integration][net][shape][partition]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces and nftables (CI runs as root)");
  }
  FAULTLINE_REQUIRE_NFTABLES();
  const json j = run_and_read("net_partition");
  INFO("phases: " << j["phases"].dump());
  const json& during = journal_phase(j, "fault");
  // Requests HAProxy sends web1 before two checks (500 ms apart) fail hang
  // until the connect timeout (500 ms); HAProxy then fails them or moves
  // them to web2 once web1 is down: either way they are slow or failed.
  CHECK((during["p99_ms"].get<double>() > 450 || during["errors"].get<double>() > 0));
  CHECK(backend_share(during["backends"], "web2") > 0.7);
  // Once web1 is down, everything goes to web2 without error; after the
  // revert web1 is back to half.
  check_web1_out_then_back(j);
}

TEST_CASE("resets from web1 turn into errors at the load balancer during the fault and none after",
          "[integration][net][shape][reset]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces and nftables (CI runs as root)");
  }
  FAULTLINE_REQUIRE_NFTABLES();
  const json j = run_and_read("net_reset");
  INFO("phases: " << j["phases"].dump());
  const json& during = journal_phase(j, "fault");
  // Every request HAProxy sends web1 is refused or reset: 502/503 until the
  // checks take web1 out.
  const double bad = status_count(during, "502") + status_count(during, "503");
  CHECK(bad >= 5);
  CHECK(during["errors"].get<double>() >= bad);
  check_web1_out_then_back(j);
}

TEST_CASE("a run stopped by a signal while bandwidth, partition and reset are active leaves nothing behind",
          "[integration][net][shape][signals]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  FAULTLINE_REQUIRE_NFTABLES();  // partition and reset
  const int sig = GENERATE(SIGINT, SIGTERM);
  const std::string out = fresh_out_dir(sig == SIGINT ? "net_sigint" : "net_sigterm");
  INFO("reports and log in " << out);
  const pid_t pid = start_run(fault_experiment("net_all_sigint"), out);
  // 4 s: the stack is up and the three faults (2 s .. 8 s) are active.
  std::this_thread::sleep_for(std::chrono::seconds(4));

  // The faults' state is really in place before the signal, so the checks
  // below prove it was removed.
  const std::string run_id = run_id_from_log(out + "/faultline.log");
  const std::string web1_tables = shell("ip netns exec fl-" + run_id + "-web1 nft list tables 2>&1");
  const std::string web2_tables = shell("ip netns exec fl-" + run_id + "-web2 nft list tables 2>&1");
  const std::string lb_qdisc = shell("ip netns exec fl-" + run_id + "-lb tc qdisc show dev eth0 2>&1");
  const std::string root_qdiscs = shell("tc qdisc show 2>&1 | grep -- '" + run_id + "' || true");

  const json j = stop_run(pid, out, sig);
  REQUIRE_FALSE(run_id.empty());
  CHECK(web1_tables.find("faultline_" + run_id + "_partition") != std::string::npos);
  CHECK(web2_tables.find("faultline_" + run_id + "_reset") != std::string::npos);
  CHECK(lb_qdisc.find("tbf") != std::string::npos);
  CHECK(root_qdiscs.find("tbf") != std::string::npos);
  REQUIRE(j["activities"].size() == 3);
  for (const auto& a : j["activities"]) {
    CHECK(a["status"] == "reverted");
  }
  CHECK(leftovers(run_id).empty());
}
