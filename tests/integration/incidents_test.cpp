// The incident library on a real stack: each experiment of
// experiments/incidents/ must reproduce the symptoms its description states
// (`expect: breach`, exit 0), and its `.fixed.yaml` sibling must keep
// the SLOs through the same fault (`expect: hold`, exit 0). Each run is
// 15 s of load; the pair of a test runs one after the other.

#include <catch2/catch.hpp>

#include "journal_helpers.h"
#include "tests/skip.h"

using namespace faultline::testing;

namespace {

std::string incident_file(const std::string& name) {
  return std::string(FAULTLINE_SOURCE_DIR) + "/experiments/incidents/" + name + ".yaml";
}

// Runs one experiment of the library; returns its journal after checking
// the exit code and that nothing of the run is left on the machine.
json run_incident(const std::string& name, int expected_code = 0) {
  const std::string out = fresh_out_dir("incidents/" + name);
  const int code = run({FAULTLINE_BINARY, "run", incident_file(name), "--out", out}, out + "/faultline.log",
                       std::chrono::seconds(90));
  const std::string log = read_file(out + "/faultline.log");
  INFO(name << " log:\n" << log);
  REQUIRE(code == expected_code);
  const json j = json::parse(read_file(out + "/journal.json"));
  CHECK(j["status"] == "completed");
  CHECK(leftovers(j["run_id"].get<std::string>()).empty());
  return j;
}

double failed_share(const json& phase) {
  const double requests = phase["requests"].get<double>();
  return requests > 0 ? phase["errors"].get<double>() / requests : 0.0;
}

double largest_share(const json& backends) {
  double top = 0;
  for (const auto& [name, n] : backends.items()) {
    top = std::max(top, backend_share(backends, name));
  }
  return top;
}

bool objective_breached(const json& j, const std::string& name) {
  for (const auto& o : j["slo"]["objectives"]) {
    if (o["name"] == name) {
      return o["breached"].get<bool>();
    }
  }
  FAIL("no objective " << name);
  return false;
}

// The fixed variant: the same fault ran, nothing failed, every objective held.
void check_fixed(const json& j) {
  CHECK(j["deviated"] == false);
  CHECK(j["activities"][0]["status"] == "reverted");
  for (const auto& o : j["slo"]["objectives"]) {
    INFO(o["name"]);
    CHECK(o["breached"] == false);
  }
  CHECK(journal_phase(j, "fault")["errors"].get<double>() == 0);
  CHECK(j["service_events"].empty());
}

// `faultline compare` on the pair: exit 0, and its conclusion reads the
// journals as the checks above do.
std::string compare_pair(const std::string& incident, const std::string& fixed) {
  const std::string dir = std::string(FAULTLINE_BINARY_DIR) + "/test-output/incidents/";
  const std::string out = dir + incident + ".compare.md";
  const int code = run({FAULTLINE_BINARY, "compare", dir + incident + "/journal.json",
                        dir + fixed + "/journal.json", "-o", out},
                       dir + incident + ".compare.log", std::chrono::seconds(30));
  INFO(read_file(dir + incident + ".compare.log"));
  CHECK(code == 0);
  return read_file(out);
}

}  // namespace

TEST_CASE("000: a weight change overloads one app, a third of requests slow and some shed, maxconn fixes it",
          "[integration][incidents]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const json incident = run_incident("000-uneven-distribution");
  const json& fault = journal_phase(incident, "fault");
  // Weights 4:2:2:2 give web1 40% of the traffic.
  CHECK(backend_share(fault["backends"], "web1") == Approx(0.40).margin(0.05));
  // A minority degraded: web1's requests slow (queue), a few shed.
  CHECK(fault["p99_ms"].get<double>() > 150);
  CHECK(failed_share(fault) > 0.01);
  CHECK(failed_share(fault) < 0.20);
  CHECK(status_count(fault, "503") > 0);
  CHECK(objective_breached(incident, "latency"));
  CHECK(failed_share(journal_phase(incident, "baseline")) == 0);

  const json fixed = run_incident("000-uneven-distribution.fixed");
  check_fixed(fixed);
  CHECK(journal_phase(fixed, "fault")["p99_ms"].get<double>() < 150);
}

TEST_CASE(
    "001: source hashing sends everything to one of four apps, most requests fail, bounded hashing fixes it",
    "[integration][incidents]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const json incident = run_incident("001-misrouting-idle-servers");
  const json& fault = journal_phase(incident, "fault");
  // One server takes every answered request while three idle; it can serve
  // a third of the load.
  CHECK(largest_share(fault["backends"]) > 0.95);
  CHECK(failed_share(fault) > 0.5);
  CHECK(objective_breached(incident, "balance"));
  CHECK(objective_breached(incident, "availability"));

  const json fixed = run_incident("001-misrouting-idle-servers.fixed");
  check_fixed(fixed);
  // Still sticky where capacity allows, but no app above about half.
  CHECK(largest_share(journal_phase(fixed, "fault")["backends"]) < 0.5);
}

TEST_CASE("002: an overloaded app crashes and its share keeps failing, maxconn and health checks fix it",
          "[integration][incidents]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const json incident = run_incident("002-overload-crash");
  // The crash is part of the incident, recorded in the journal, not a
  // harness failure.
  REQUIRE(incident["service_events"].size() == 1);
  CHECK(incident["service_events"][0]["service"] == "web1");
  CHECK(incident["service_events"][0]["event"] == "crashed");
  const double crashed_at = incident["service_events"][0]["t"].get<double>();
  CHECK(crashed_at >= incident["activities"][0]["injected_s"].get<double>());
  CHECK(crashed_at < incident["activities"][0]["reverted_s"].get<double>());
  // Most requests fail while web1 has weight 10, and web1's third still
  // fails after the revert: the service did not recover.
  CHECK(failed_share(journal_phase(incident, "fault")) > 0.6);
  CHECK(failed_share(journal_phase(incident, "recovery")) > 0.2);
  CHECK(incident["analysis"]["time_to_recover_s"].is_null());

  const json fixed = run_incident("002-overload-crash.fixed");
  check_fixed(fixed);

  const std::string report = compare_pair("002-overload-crash", "002-overload-crash.fixed");
  INFO(report);
  CHECK(report.find("The fix holds") != std::string::npos);
  CHECK(report.find("| Services crashed | web1 at t+") != std::string::npos);
  CHECK(report.find("| Time to recover | not recovered | never breached |") != std::string::npos);
}

TEST_CASE("003: behind nginx, a weight change slows about a third of requests, max_conns and retries fix it",
          "[integration][incidents]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const json incident = run_incident("003-uneven-distribution-nginx");
  const json& fault = journal_phase(incident, "fault");
  CHECK(backend_share(fault["backends"], "web1") == Approx(0.40).margin(0.05));
  CHECK(fault["p99_ms"].get<double>() > 150);
  CHECK(failed_share(fault) < 0.20);
  CHECK(objective_breached(incident, "latency"));

  const json fixed = run_incident("003-uneven-distribution-nginx.fixed");
  check_fixed(fixed);
}

TEST_CASE("004: a routing change gives 502 on one upstream's share, retries and passive checks fix it",
          "[integration][incidents]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const json incident = run_incident("004-routing-change-502");
  const json& fault = journal_phase(incident, "fault");
  const double share_502 = double(status_count(fault, "502")) / fault["requests"].get<double>();
  CHECK(share_502 == Approx(1.0 / 3).margin(0.05));
  // Several requests per user: most users saw at least one 502.
  const auto& impact = incident["analysis"]["impact"];
  CHECK(impact["users_affected"].get<double>() / impact["users_seen"].get<double>() > 0.5);

  const json fixed = run_incident("004-routing-change-502.fixed");
  check_fixed(fixed);
  CHECK(status_count(journal_phase(fixed, "fault"), "502") == 0);
}
