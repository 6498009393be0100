// End-to-end: the real faultline binary brings up HAProxy + 2 nginx in
// namespaces and applies the network shaping faults (bandwidth, partition,
// reset) under real load. Each test asserts the measured effect during the
// fault and the return to steady state after its revert, and that nothing
// (namespace, link, process, nft table, qdisc) is left behind, also when the
// run is stopped by a signal in the middle of the faults.

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "process.h"

namespace fs = std::filesystem;
using faultline::testing::is_root;
using faultline::testing::leftovers;
using faultline::testing::read_file;
using faultline::testing::run;
using faultline::testing::shell;
using json = nlohmann::json;

namespace {

// The 256 KiB body nginx backends serve on /blob.
constexpr double kBlobBytes = 262144;

std::string experiment(const std::string& name) {
  return std::string(FAULTLINE_TEST_DATA) + "/experiments/faults/" + name;
}

// Reports of integration runs stay in the build tree, so a failing CI run
// can be inspected; the path is part of every failure message.
std::string out_dir(const std::string& name) {
  const std::string dir = std::string(FAULTLINE_BINARY_DIR) + "/test-output/" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

const json& phase(const json& j, const std::string& kind) {
  for (const auto& p : j["phases"]) {
    if (p["kind"] == kind) {
      return p;
    }
  }
  FAIL("no phase of kind " << kind);
  static const json none;
  return none;
}

double count(const json& map, const std::string& key) {
  return map.contains(key) ? map[key].get<double>() : 0.0;
}

double share(const json& backends, const std::string& name) {
  double total = 0;
  for (const auto& [k, v] : backends.items()) {
    total += v.get<double>();
  }
  return total > 0 ? count(backends, name) / total : 0.0;
}

// Requests, errors and per-backend counts of the windows lying wholly
// inside [from, to).
struct Span {
  double requests = 0;
  double errors = 0;
  json backends = json::object();
};
Span windows_between(const json& j, double from, double to) {
  Span s;
  for (const auto& w : j["windows"]) {
    if (w["start_s"].get<double>() < from || w["end_s"].get<double>() > to) {
      continue;
    }
    s.requests += w["requests"].get<double>();
    s.errors += w["errors"].get<double>();
    for (const auto& [k, v] : w["backends"].items()) {
      s.backends[k] = count(s.backends, k) + v.get<double>();
    }
  }
  return s;
}

// Everything a run of these faults may leave outside its namespaces, on top
// of leftovers(): nft tables named after it in the root namespace and
// qdiscs on its links.
std::string net_leftovers(const std::string& run_id) {
  return leftovers(run_id) +
         shell("nft list tables 2>/dev/null | grep -- 'faultline_" + run_id + "' || true") +
         shell("tc qdisc show 2>/dev/null | grep -- '" + run_id + "' || true");
}

json run_and_read(const std::string& name, const std::string& file) {
  const std::string out = out_dir(name);
  INFO("reports and log in " << out);
  const int code = run({FAULTLINE_BINARY, "run", experiment(file), "--out", out}, out + "/faultline.log",
                       std::chrono::seconds(60));
  INFO("log:\n" << read_file(out + "/faultline.log"));
  REQUIRE(code == 0);  // expect: breach, and it was met
  json j = json::parse(read_file(out + "/journal.json"));
  REQUIRE(j["status"] == "completed");
  REQUIRE(j["activities"].size() >= 1);
  CHECK(j["activities"][0]["status"] == "reverted");
  CHECK(net_leftovers(j["run_id"].get<std::string>()).empty());
  return j;
}

}  // namespace

TEST_CASE(
    "bandwidth caps a load balancer's throughput within 10% of the cap, either way, and lifts it on revert",
    "[integration][net][shape][bandwidth]") {
  if (!is_root()) {
    WARN("skipped: needs root for network namespaces and tbf (CI runs as root)");
    return;
  }
  // Egress: tbf on the LB's eth0 (responses to the client); ingress: tbf on
  // the root-side end of its veth (responses from the backends).
  const std::string variant = GENERATE(std::string("net_bandwidth"), std::string("net_bandwidth_ingress"));
  const json j = run_and_read(variant, variant + ".yaml");
  INFO("phases: " << j["phases"].dump());
  // One connection, two 256 KiB responses a second: each response crosses the
  // link alone, so body / latency is the link's throughput. (Phases count
  // requests by their intended send time, so a saturating load would not
  // show its throughput in completed responses per phase second.)
  const double cap = 8e6 / 8;  // 8mbit in bytes per second
  const json& before = phase(j, "baseline");
  const json& during = phase(j, "fault");
  const json& after = phase(j, "recovery");
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
    WARN("skipped: needs root for network namespaces and nftables (CI runs as root)");
    return;
  }
  const json j = run_and_read("net_partition", "net_partition.yaml");
  INFO("phases: " << j["phases"].dump());
  const double injected = j["activities"][0]["injected_s"].get<double>();
  const double reverted = j["activities"][0]["reverted_s"].get<double>();
  const json& during = phase(j, "fault");
  const json& after = phase(j, "recovery");

  // Steady state: windows wholly before the fault (a request sent just
  // before the injection may still be caught by it).
  const Span steady = windows_between(j, 0, injected - 0.5);
  REQUIRE(steady.requests > 100);
  CHECK(steady.errors == 0);
  CHECK(share(steady.backends, "web1") == Approx(0.5).margin(0.1));
  // Requests HAProxy sends web1 before two checks (500 ms apart) fail hang
  // until the connect timeout (500 ms); HAProxy then fails them or moves
  // them to web2 once web1 is down: either way they are slow or failed.
  CHECK((during["p99_ms"].get<double>() > 450 || during["errors"].get<double>() > 0));
  CHECK(share(during["backends"], "web2") > 0.7);
  // Once web1 is down, everything goes to web2 without error.
  const Span down = windows_between(j, injected + 1.5, reverted);
  REQUIRE(down.requests >= 150);
  CHECK(count(down.backends, "web1") == 0);
  CHECK(down.errors == 0);
  // After revert: no errors, and web1 is back (rise 2 x 500 ms) to half.
  CHECK(after["errors"].get<int>() == 0);
  CHECK(after["p99_ms"].get<double>() < 100);
  const Span healed = windows_between(j, reverted + 2.0, 1e9);
  REQUIRE(healed.requests > 100);
  CHECK(share(healed.backends, "web1") == Approx(0.5).margin(0.1));
}

TEST_CASE("resets from web1 turn into errors at the load balancer during the fault and none after",
          "[integration][net][shape][reset]") {
  if (!is_root()) {
    WARN("skipped: needs root for network namespaces and nftables (CI runs as root)");
    return;
  }
  const json j = run_and_read("net_reset", "net_reset.yaml");
  INFO("phases: " << j["phases"].dump());
  const double injected = j["activities"][0]["injected_s"].get<double>();
  const double reverted = j["activities"][0]["reverted_s"].get<double>();
  const json& during = phase(j, "fault");
  const json& after = phase(j, "recovery");

  const Span steady = windows_between(j, 0, injected - 0.5);
  REQUIRE(steady.requests > 100);
  CHECK(steady.errors == 0);
  CHECK(share(steady.backends, "web1") == Approx(0.5).margin(0.1));
  // Every request HAProxy sends web1 is refused or reset: 502/503 until the
  // checks take web1 out.
  const double bad = count(during["statuses"], "502") + count(during["statuses"], "503");
  CHECK(bad >= 5);
  CHECK(during["errors"].get<double>() >= bad);
  const Span down = windows_between(j, injected + 1.5, reverted);
  REQUIRE(down.requests >= 150);
  CHECK(count(down.backends, "web1") == 0);
  CHECK(down.errors == 0);
  CHECK(after["errors"].get<int>() == 0);
  CHECK(after["p99_ms"].get<double>() < 100);
  const Span healed = windows_between(j, reverted + 2.0, 1e9);
  REQUIRE(healed.requests > 100);
  CHECK(share(healed.backends, "web1") == Approx(0.5).margin(0.1));
}

TEST_CASE("a run stopped by a signal while bandwidth, partition and reset are active leaves nothing behind",
          "[integration][net][shape][signals]") {
  if (!is_root()) {
    WARN("skipped: needs root for network namespaces (CI runs as root)");
    return;
  }
  const int sig = GENERATE(SIGINT, SIGTERM);
  const std::string out = out_dir(sig == SIGINT ? "net_sigint" : "net_sigterm");
  INFO("reports and log in " << out);
  const pid_t pid = faultline::testing::spawn(
      {FAULTLINE_BINARY, "run", experiment("net_all_sigint.yaml"), "--out", out}, out + "/faultline.log");
  // 4 s: the stack is up and the three faults (2 s .. 8 s) are active.
  std::this_thread::sleep_for(std::chrono::seconds(4));

  // The faults' state is really in place before the signal, so the checks
  // below prove it was removed.
  std::smatch m;
  const std::string log = read_file(out + "/faultline.log");
  const bool found = std::regex_search(log, m, std::regex("run ([0-9a-f]{6}):"));
  std::string run_id = found ? m[1].str() : "";
  const std::string web1_tables = shell("ip netns exec fl-" + run_id + "-web1 nft list tables 2>&1");
  const std::string web2_tables = shell("ip netns exec fl-" + run_id + "-web2 nft list tables 2>&1");
  const std::string lb_qdisc = shell("ip netns exec fl-" + run_id + "-lb tc qdisc show dev eth0 2>&1");
  const std::string root_qdiscs = shell("tc qdisc show 2>&1 | grep -- '" + run_id + "' || true");

  kill(pid, sig);
  const int code = faultline::testing::wait_for(pid, std::chrono::seconds(30));
  INFO("log:\n" << read_file(out + "/faultline.log"));
  REQUIRE(found);
  CHECK(web1_tables.find("faultline_" + run_id + "_partition") != std::string::npos);
  CHECK(web2_tables.find("faultline_" + run_id + "_reset") != std::string::npos);
  CHECK(lb_qdisc.find("tbf") != std::string::npos);
  CHECK(root_qdiscs.find("tbf") != std::string::npos);
  CHECK(code == 130);

  const json j = json::parse(read_file(out + "/journal.json"));
  CHECK(j["status"] == "interrupted");
  REQUIRE(j["activities"].size() == 3);
  for (const auto& a : j["activities"]) {
    CHECK(a["status"] == "reverted");
  }
  CHECK(net_leftovers(run_id).empty());
}
