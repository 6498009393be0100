// End-to-end runs of the load-balancer faults on HAProxy and on nginx as
// load balancer (2 nginx backends each): the real binary, real load, and
// the measured shares, statuses and error rates of each fault's phase,
// then the return to steady state after the revert. Several faults share
// one timeline so the whole file stays within the CI budget.

#include <catch2/catch.hpp>

#include "journal_helpers.h"
#include "tests/skip.h"

using namespace faultline::testing;

namespace {

double max_share(const json& backends) {
  double best = 0;
  for (const auto& [k, v] : backends.items()) {
    best = std::max(best, backend_share(backends, k));
  }
  return best;
}

// Runs lb_<name>.yaml on a load balancer of `kind`: the file is written for
// HAProxy, nginx takes its place by --set. Checks that the run completed,
// met its expectation (each expects a breach, and gets one) and reverted
// every fault; returns its journal.
json run_on(const std::string& name, const std::string& kind, const std::string& out) {
  return run_to_journal(fault_experiment("lb_" + name), out, {"--set", "stack.services.lb.kind=" + kind});
}

// Steady state: an even split and no errors.
void check_steady(const json& p) {
  INFO(p.dump());
  CHECK(p["error_rate"].get<double>() < 0.01);
  CHECK(backend_share(p["backends"], "web1") == Approx(0.5).margin(0.05));
  CHECK(backend_share(p["backends"], "web2") == Approx(0.5).margin(0.05));
}

}  // namespace

TEST_CASE("lb_weight, lb_drain, lb_maintenance and lb_balance move the measured shares on HAProxy and nginx",
          "[integration][lb]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const std::string kind = GENERATE("haproxy", "nginx");
  const std::string out = fresh_out_dir("lb_share_" + kind);
  INFO(kind << ": reports and log in " << out);
  const json j = run_on("share", kind, out);

  check_steady(journal_phase(j, "baseline"));
  const json& weight = journal_phase(j, "fault", 0);
  const json& drain = journal_phase(j, "fault", 1);
  const json& maint = journal_phase(j, "fault", 2);
  const json& balance = journal_phase(j, "fault", 3);
  // weight 9:1 -> 90/10 within 3 points.
  CHECK(backend_share(weight["backends"], "web1") == Approx(0.9).margin(0.03));
  CHECK(backend_share(weight["backends"], "web2") == Approx(0.1).margin(0.03));
  // drain web2, maintenance web1: no traffic to that server.
  CHECK(backend_share(drain["backends"], "web2") < 0.01);
  CHECK(backend_share(maint["backends"], "web1") < 0.01);
  // source hashing with one client address: one server takes everything.
  CHECK(max_share(balance["backends"]) > 0.97);
  // None of these drops a request.
  for (const auto* p : {&weight, &drain, &maint, &balance}) {
    INFO((*p)["name"]);
    CHECK((*p)["error_rate"].get<double>() < 0.01);
    CHECK((*p)["requests"].get<long>() > 500);
  }
  check_steady(journal_phase(j, "recovery"));
  CHECK(leftovers(j["run_id"].get<std::string>()).empty());
}

TEST_CASE("a drained server stays drained while a config rewrite reloads the load balancer twice",
          "[integration][lb]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  // HAProxy's drain is set through the runtime API, in the running process
  // only: each reload must carry it over to the new one. nginx's is in the
  // config, which the timeout's rewrite starts from.
  const std::string kind = GENERATE("haproxy", "nginx");
  const std::string out = fresh_out_dir("lb_nested_" + kind);
  INFO(kind << ": reports and log in " << out);
  const json j = run_on("nested", kind, out);
  REQUIRE(j["activities"].size() == 2);
  for (const auto& a : j["activities"]) {
    INFO(a.dump());
    CHECK(a["status"] == "reverted");
  }
  check_steady(journal_phase(j, "baseline"));
  // From half a second into the drain (connections it had finish) to its
  // revert, across both reloads: nothing for web2, nothing dropped.
  const double drained = j["activities"][0]["injected_s"].get<double>() + 0.5;
  const double undrained = j["activities"][0]["reverted_s"].get<double>();
  const double reload_in = j["activities"][1]["injected_s"].get<double>();
  const double reload_out = j["activities"][1]["reverted_s"].get<double>();
  CHECK(drained < reload_in);
  CHECK(reload_out < undrained);
  const WindowSum during = windows_between(j, drained, undrained);
  INFO(during.backends.dump());
  CHECK(during.requests > 1200);
  CHECK(during.errors == 0);
  CHECK(backend_share(during.backends, "web2") < 0.01);
  const WindowSum after_reloads = windows_between(j, reload_out, undrained);
  CHECK(after_reloads.requests > 300);
  CHECK(backend_share(after_reloads.backends, "web2") < 0.01);
  check_steady(journal_phase(j, "recovery"));
  CHECK(leftovers(j["run_id"].get<std::string>()).empty());
}

TEST_CASE(
    "lb_wrong_backend fails that server's share until health checks take it out, and for good with "
    "lb_health_check_off",
    "[integration][lb]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const std::string kind = GENERATE("haproxy", "nginx");
  const std::string out = fresh_out_dir("lb_errors_" + kind);
  INFO(kind << ": reports and log in " << out);
  const json j = run_on("errors", kind, out);
  // HAProxy answers 503 when it cannot connect to the server, nginx 502.
  const std::string code = kind == "haproxy" ? "503" : "502";

  check_steady(journal_phase(j, "baseline"));
  // Checks on: the wrong server fails a few requests, then it is out of
  // rotation (HAProxy: 2 failed checks 250 ms apart; nginx: 2 failed
  // requests) and the rest of the window is clean.
  const json& with_checks = journal_phase(j, "fault", 0);
  INFO(with_checks.dump());
  CHECK(with_checks["errors"].get<long>() >= 1);
  CHECK(with_checks["error_rate"].get<double>() < 0.15);
  CHECK(backend_share(with_checks["backends"], "web1") > 0.97);
  const double injected = j["activities"][0]["injected_s"].get<double>();
  int clean_windows = 0;
  for (const auto& w : fault_windows(j, 0)) {
    if (w["start_s"].get<double>() >= injected + 1.0) {
      INFO(w.dump());
      // nginx's checks are passive: once per fail_timeout (1 s) it sends
      // one request to the server it took out, to see whether it is back.
      CHECK(w["errors"].get<long>() <= (kind == "haproxy" ? 0 : 1));
      ++clean_windows;
    }
  }
  CHECK(clean_windows >= 2);

  // Checks off, same mistake: every window of the fault fails its share.
  const json& without_checks = journal_phase(j, "fault", 2);
  INFO(without_checks.dump());
  CHECK(without_checks["error_rate"].get<double>() == Approx(0.5).margin(0.05));
  CHECK(status_count(without_checks, code) == without_checks["errors"].get<long>());
  const auto failing_windows = fault_windows(j, 2);
  for (const auto& w : failing_windows) {
    INFO(w.dump());
    CHECK(w["error_rate"].get<double>() > 0.4);
  }
  CHECK(failing_windows.size() >= 3);

  check_steady(journal_phase(j, "recovery"));
  CHECK(leftovers(j["run_id"].get<std::string>()).empty());
}

TEST_CASE("lb_maxconn and lb_timeout set too low fail requests under load, and lb_config applies a fragment",
          "[integration][lb]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const std::string kind = GENERATE("haproxy", "nginx");
  const std::string out = fresh_out_dir("lb_limits_" + kind);
  INFO(kind << ": reports and log in " << out);
  const json j = run_to_journal(fault_experiment("lb_" + kind + "_limits"), out);

  // HAProxy: requests that wait longer than `timeout queue` get 503; nginx
  // has no queue and answers 502 when every server is at max_conns.
  const json& maxconn = journal_phase(j, "fault", 0);
  INFO(maxconn.dump());
  // With 5 ms added to every answer (the experiment's latency step) two
  // servers with one connection each serve at most 400 req/s of the 1000
  // offered: a large part of the phase must fail.
  CHECK(status_count(maxconn, kind == "haproxy" ? "503" : "502") >= 0.2 * maxconn["requests"].get<double>());
  // A 1 ms server timeout against answers that take 5 ms: most become 504
  // (requests sent in the reloads at the phase's edges may still pass).
  const json& timeout = journal_phase(j, "fault", 1);
  INFO(timeout.dump());
  CHECK(status_count(timeout, "504") >= 0.5 * timeout["requests"].get<double>());

  // lb_config: the fragment (a deny-everything rule) passed the server's
  // check, was applied by a reload, and refused every request.
  const json& config = journal_phase(j, "fault", 2);
  INFO(config.dump());
  CHECK(status_count(config, "429") > 0.97 * config["requests"].get<double>());

  // Back to steady state: under the same load, not one failed request.
  check_steady(journal_phase(j, "recovery"));
  CHECK(journal_phase(j, "recovery")["errors"].get<long>() == 0);
  CHECK(leftovers(j["run_id"].get<std::string>()).empty());
}

TEST_CASE("a run interrupted by SIGINT during a reload-based fault leaves nothing behind",
          "[integration][lb]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const std::string out = fresh_out_dir("lb_sigint");
  INFO("reports and log in " << out);
  const pid_t pid = start_run(fault_experiment("lb_haproxy_limits"), out);
  // lb_maxconn (a new HAProxy took over with -sf) runs from 1.5 s to 3.5 s
  // of load; the stack takes well under a second to come up.
  std::this_thread::sleep_for(std::chrono::milliseconds(2700));
  const json j = stop_run(pid, out, SIGINT);
  const std::string run_id = j["run_id"].get<std::string>();
  CHECK(leftovers(run_id).empty());
  // The HAProxy processes of the reloads (old and new) are gone too.
  CHECK(shell("pgrep -af -- 'haproxy.*" + run_id + "' | grep -v pgrep || true").empty());
}
