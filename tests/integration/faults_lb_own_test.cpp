// End-to-end runs of every load-balancer fault on a team's own config
// (docs/EXPERIMENT_FORMAT.md, "Your own stack"): tests/data/own/haproxy/
// haproxy.cfg, and tests/data/own/nginx/nginx.conf with its upstream in an
// included file (the HTTP faults: nginx/http.conf, its server blocks in
// included files too). The faults name servers and sections as those files name
// them; the runs' measured shares, statuses and error rates show each fault
// took effect on the copy the run made, and the team's files are
// byte-for-byte what they were. The backends are rendered nginx servers
// (their header gives the shares) or the team's own program (kind: process,
// tests/data/own/http_server.py).

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>

#include "harness/runner/journal.h"
#include "harness/runner/runner.h"
#include "http_fault_checks.h"
#include "journal_helpers.h"
#include "tests/skip.h"

using namespace faultline::testing;
namespace fs = std::filesystem;
namespace runner = faultline::runner;
namespace journal = faultline::journal;

namespace {

// tests/data/own/lb_<kind>_<name>.yaml
std::string own_experiment(const std::string& kind, const std::string& name) {
  return std::string(FAULTLINE_TEST_DATA) + "/own/lb_" + kind + "_" + name + ".yaml";
}

// Every file of the team's folder for `kind` and its bytes.
std::map<std::string, std::string> team_files(const std::string& kind) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(std::string(FAULTLINE_TEST_DATA) + "/own/" + kind)) {
    if (e.is_regular_file()) {
      out[e.path().string()] = read_file(e.path().string());
    }
  }
  return out;
}

// Runs an experiment of tests/data/own (bounded in time by run_to_journal)
// and checks that the team's files were left as they were.
json run_own(const std::string& kind, const std::string& name, const std::string& out) {
  const auto before = team_files(kind);
  REQUIRE_FALSE(before.empty());
  const json j = run_to_journal(own_experiment(kind, name), out);
  CHECK(team_files(kind) == before);
  return j;
}

double max_share(const json& backends) {
  double best = 0;
  for (const auto& [k, v] : backends.items()) {
    best = std::max(best, backend_share(backends, k));
  }
  return best;
}

void check_steady(const json& p) {
  INFO(p.dump());
  CHECK(p["error_rate"].get<double>() < 0.01);
  CHECK(backend_share(p["backends"], "web1") == Approx(0.5).margin(0.05));
  CHECK(backend_share(p["backends"], "web2") == Approx(0.5).margin(0.05));
}

// Every fault's mechanism says it rewrote the copy or used the runtime API:
// never the team's file.
void check_mechanisms(const json& j) {
  for (const auto& a : j["activities"]) {
    INFO(a.dump());
    const std::string m = a["mechanism"].get<std::string>();
    CHECK((m.find("runtime API") != std::string::npos || m.find("copy of") != std::string::npos));
  }
}

}  // namespace

TEST_CASE("lb_weight, lb_drain, lb_maintenance and lb_balance on a team's own config move the shares",
          "[integration][lb][own]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const std::string kind = GENERATE("haproxy", "nginx");
  const std::string out = fresh_out_dir("lb_own_share_" + kind);
  INFO(kind << ": reports and log in " << out);
  const json j = run_own(kind, "share", out);

  check_steady(journal_phase(j, "baseline"));
  const json& weight = journal_phase(j, "fault", 0);
  const json& drain = journal_phase(j, "fault", 1);
  const json& maint = journal_phase(j, "fault", 2);
  const json& balance = journal_phase(j, "fault", 3);
  // be_web/web1 at weight 9, the rest of its backend at 1: 90/10.
  CHECK(backend_share(weight["backends"], "web1") == Approx(0.9).margin(0.03));
  // drain web2, maintenance web1 (named without their backend): no traffic.
  CHECK(backend_share(drain["backends"], "web2") < 0.01);
  CHECK(backend_share(maint["backends"], "web1") < 0.01);
  // source hashing in every backend of the file: one client, one server.
  CHECK(max_share(balance["backends"]) > 0.97);
  for (const auto* p : {&weight, &drain, &maint, &balance}) {
    INFO((*p)["name"]);
    CHECK((*p)["error_rate"].get<double>() < 0.01);
    CHECK((*p)["requests"].get<long>() > 500);
  }
  check_steady(journal_phase(j, "recovery"));
  check_mechanisms(j);
  CHECK(leftovers(j["run_id"].get<std::string>()).empty());
}

TEST_CASE("lb_wrong_backend and lb_health_check_off on a team's own config: its checks, then none",
          "[integration][lb][own]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const std::string kind = GENERATE("haproxy", "nginx");
  const std::string out = fresh_out_dir("lb_own_errors_" + kind);
  INFO(kind << ": reports and log in " << out);
  const json j = run_own(kind, "errors", out);
  const std::string code = kind == "haproxy" ? "503" : "502";

  check_steady(journal_phase(j, "baseline"));
  // The file's checks (HAProxy: inter 250ms fall 2; nginx: max_fails=2)
  // take web2, pointed at port 1, out after a few failed requests.
  const json& with_checks = journal_phase(j, "fault", 0);
  INFO(with_checks.dump());
  CHECK(with_checks["errors"].get<long>() >= 1);
  CHECK(with_checks["error_rate"].get<double>() < 0.15);
  CHECK(backend_share(with_checks["backends"], "web1") > 0.97);
  // Checks off for every server of be_web: the same mistake fails web2's
  // half of the traffic in every window.
  const json& without_checks = journal_phase(j, "fault", 2);
  INFO(without_checks.dump());
  CHECK(without_checks["error_rate"].get<double>() == Approx(0.5).margin(0.05));
  CHECK(status_count(without_checks, code) == without_checks["errors"].get<long>());
  const auto failing = fault_windows(j, 2);
  for (const auto& w : failing) {
    INFO(w.dump());
    CHECK(w["error_rate"].get<double>() > 0.4);
  }
  CHECK(failing.size() >= 3);
  check_steady(journal_phase(j, "recovery"));
  check_mechanisms(j);
  CHECK(leftovers(j["run_id"].get<std::string>()).empty());
}

TEST_CASE("lb_maxconn, lb_timeout and lb_config on a team's own config with the team's own backends",
          "[integration][lb][own]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const std::string kind = GENERATE("haproxy", "nginx");
  const std::string out = fresh_out_dir("lb_own_limits_" + kind);
  INFO(kind << ": reports and log in " << out);
  const json j = run_own(kind, "limits", out);

  // One connection per server of be_web, each answer 10 ms: at most 200
  // of the 300 requests a second get through. HAProxy answers the rest
  // 503 after its 1 ms queue timeout; nginx, with no queue, 502.
  const json& maxconn = journal_phase(j, "fault", 0);
  INFO(maxconn.dump());
  CHECK(status_count(maxconn, kind == "haproxy" ? "503" : "502") >= 0.2 * maxconn["requests"].get<double>());
  // A 1 ms server timeout against 10 ms answers: HAProxy answers 504;
  // nginx too, until the file's max_fails takes both servers out and it
  // answers 502 (no live upstream).
  // The 504s come first, before max_fails takes the servers out: counted
  // over every window the fault overlaps, since the phase begins a little
  // after the inject (a fresh run on nginx had its four 504s between the
  // inject at 4.00 s and the phase's start at 4.17 s, and 502 after).
  const json& timeout = journal_phase(j, "fault", 1);
  INFO(timeout.dump());
  CHECK(timeout["errors"].get<double>() >= 0.8 * timeout["requests"].get<double>());
  double gateway_timeouts = 0;
  for (const auto& w : windows_touching_fault(j, 1)) {
    gateway_timeouts += count_of(w["statuses"], "504");
  }
  CHECK(gateway_timeouts >= 1);
  // lb_config: the deny rule (HAProxy's frontend fe_main, nginx's location
  // /) refused every request once the reload took it.
  const json& config = journal_phase(j, "fault", 2);
  INFO(config.dump());
  CHECK(status_count(config, "429") > 0.9 * config["requests"].get<double>());

  const json& recovery = journal_phase(j, "recovery");
  INFO(recovery.dump());
  CHECK(recovery["errors"].get<long>() == 0);
  CHECK(recovery["requests"].get<long>() > 500);
  check_mechanisms(j);
  CHECK(leftovers(j["run_id"].get<std::string>()).empty());
}

TEST_CASE("http_abort and http_delay on a team's own config act where the load enters",
          "[integration][http][own]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  // nginx: nginx/http.conf, whose server blocks are in sites/*.conf, one
  // with a regex location and a proxy_pass with a URI part.
  const std::string kind = GENERATE("haproxy", "nginx");
  const std::string out = fresh_out_dir("http_own_" + kind);
  INFO(kind << ": reports and log in " << out);
  const json j = run_own(kind, "http", out);
  check_abort_then_delay(j);
  check_mechanisms(j);
  CHECK(leftovers(j["run_id"].get<std::string>()).empty());
}

TEST_CASE("a fragment the check mode rejects where a team's config runs leaves the load balancer as it was",
          "[integration][lb][own]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const std::string kind = GENERATE("haproxy", "nginx");
  const std::string file = own_experiment(kind, "rejected");
  const auto before = team_files(kind);
  faultline::experiment::Diagnostics diags(file);
  runner::ValidateOptions options;
  options.check_faults_before_run = false;  // let the rejected fragment reach inject()
  auto v = runner::validate(file, {}, diags, options);
  INFO(diags.format());
  REQUIRE(v.has_value());

  const std::string out = fresh_out_dir("lb_own_rejected_" + kind);
  runner::RunOptions ropts;
  ropts.out_dir = out;
  ropts.live_progress = false;
  const auto record = runner::run_experiment(*v, ropts);
  const json j = journal::to_json(runner::make_journal(*v, record));
  INFO(j.dump());

  REQUIRE(j["activities"].size() == 1);
  CHECK(j["activities"][0]["status"] == "inject_failed");
  const std::string error = j["activities"][0]["error"].get<std::string>();
  CHECK_THAT(error, Catch::Contains(kind == "haproxy" ? "haproxy -c rejected" : "nginx -t rejected"));
  CHECK_THAT(error, Catch::Contains("balancee"));
  // The complaint names the team's file (nginx: the included one), where
  // the line would have been added, not faultline's copy.
  CHECK_THAT(error, Catch::Contains(kind == "haproxy" ? "own/haproxy/haproxy.cfg"
                                                      : "own/nginx/conf.d/upstreams.conf"));
  CHECK_THAT(error, Catch::Contains("a line faultline added"));
  // The copy was put back and nothing reloaded: not one request failed.
  for (const auto& p : j["phases"]) {
    INFO(p.dump());
    CHECK(p["errors"].get<long>() == 0);
  }
  CHECK(team_files(kind) == before);
  CHECK(leftovers(record.run_id).empty());
}
