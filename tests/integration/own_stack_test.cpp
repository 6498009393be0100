// A team's own stack, end to end: its haproxy.cfg or nginx.conf run as
// written (tests/data/own/shop/), its own program as the backends (kind:
// process, tests/data/own/http_server.py, which sends no backend header),
// process and network faults on those programs, and nothing left behind
// after a run, SIGINT, SIGTERM, or SIGKILL and `faultline cleanup`. The
// team's files and the host's /etc/hosts are the same bytes afterwards.

#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "journal_helpers.h"
#include "tests/skip.h"

using namespace faultline::testing;

namespace {

std::string own_data(const std::string& name) {
  std::string path = FAULTLINE_TEST_DATA;
  path.append("/own/").append(name);
  return path;
}

// The backend program's command: the test data's server, named after the
// test's `tag` and the service, so that the check for programs left over
// sees this test's alone (CTest runs other tests using the same server at
// the same time).
std::string server_command(const std::string& tag, const std::string& name) {
  return "python3 " + own_data("http_server.py") + " 9000 " + tag + "-" + name;
}

// An experiment running the team's `lb_kind` config in front of api1, api2
// (and static1 for HAProxy's default backend) as processes; `method` and
// `duration` as given.
std::string write_experiment(const std::string& dir, const std::string& tag, const std::string& lb_kind,
                             const std::string& method, const std::string& duration = "6s") {
  const bool haproxy = lb_kind == "haproxy";
  const std::string config =
      haproxy ? own_data("shop/haproxy/haproxy.cfg") : own_data("shop/nginx/nginx.conf");
  const std::string path = dir + "/experiment.yaml";
  std::ofstream out(path);
  out << "version: 1\n"
         "title: The team's own "
      << lb_kind
      << " config\n"
         "stack:\n"
         "  services:\n"
         "    lb: { kind: "
      << lb_kind << ", config: " << config << ", port: 8080, backends: [api1, api2"
      << (haproxy ? ", static1" : "")
      << "] }\n"
         "    api1: { kind: process, command: \""
      << server_command(tag, "api1")
      << "\", port: 9000, ready: { http: /health } }\n"
         "    api2: { kind: process, command: \""
      << server_command(tag, "api2") << "\", port: 9000, env: { APP_MODE: staging } }\n";
  if (haproxy) {
    out << "    static1: { kind: process, command: \"" << server_command(tag, "static1")
        << "\", port: 9000, ready: { tcp: true } }\n";
  }
  out << "load: { target: lb, path: /api/items, rate: 100/s, connections: 8, timeout: 1s, duration: "
      << duration
      << " }\n"
         "slo:\n"
         "  window: 500ms\n"
         "  objectives:\n"
         "    - { name: availability, expr: \"error_rate < 90%\" }\n"
      << method << "expect: hold\n";
  return path;
}

// This test's programs (by their `tag`) still running anywhere on the
// machine.
std::string own_programs_left(const std::string& tag) {
  return shell("pgrep -af -- '" + own_data("http_server.py") + " 9000 " + tag + "-' | grep -v pgrep || true");
}

std::string bytes_of(const std::string& path) {
  return read_file(path);
}

}  // namespace

TEST_CASE("a team's own haproxy.cfg and nginx.conf run as written in front of its own programs",
          "[integration][own]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const std::string hosts_before = bytes_of("/etc/hosts");
  for (const std::string lb_kind : {"haproxy", "nginx"}) {
    INFO(lb_kind);
    const std::string config =
        lb_kind == "haproxy" ? own_data("shop/haproxy/haproxy.cfg") : own_data("shop/nginx/conf.d/shop.conf");
    const std::string config_before = bytes_of(config);
    const std::string out = fresh_out_dir("own/plain_" + lb_kind);
    const json j = run_to_journal(write_experiment(out, "own-plain", lb_kind, ""), out);
    const auto& baseline = journal_phase(j, "baseline");
    INFO(baseline.dump());
    // Every request went through the team's routing (/api -> be_api) to
    // the team's programs, which resolved by their service names.
    CHECK(baseline["requests"].get<double>() > 400);
    CHECK(baseline["error_rate"].get<double>() == 0.0);
    CHECK(status_count(baseline, "200") == baseline["requests"].get<long>());
    // Shares without a backend header: from HAProxy's per-server
    // counters, or the upstream log faultline added to nginx's copy.
    CHECK(j["shares_basis"]["source"] == (lb_kind == "haproxy" ? "haproxy-counters" : "nginx-access-log"));
    CHECK(backend_share(baseline["backends"], "api1") == Approx(0.5).margin(0.07));
    CHECK(backend_share(baseline["backends"], "api2") == Approx(0.5).margin(0.07));
    // The journal names the team's file and what the copy changed.
    CHECK(j["stack"]["services"][0]["config"].get<std::string>().find("/own/") != std::string::npos);
    CHECK(j["stack"]["services"][0]["config_changes"].size() >= 2);
    CHECK_FALSE(j["stack"]["services"][0].contains("health_check"));
    CHECK(bytes_of(config) == config_before);
    CHECK(bytes_of("/etc/hosts") == hosts_before);
    const std::string run_id = j["run_id"].get<std::string>();
    CHECK(leftovers(run_id).empty());
    CHECK(own_programs_left("own-plain").empty());
  }
}

TEST_CASE("a kind: process backend is killed, paused and delayed, and serves again after each revert",
          "[integration][own]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  struct Case {
    std::string fault;
    std::string params;
  };
  for (const Case& c : {Case{"kill", "{}"}, Case{"pause", "{}"}, Case{"latency", "{ delay: 150ms }"}}) {
    INFO(c.fault);
    const std::string out = fresh_out_dir("own/process_" + c.fault);
    const std::string method = "method:\n  - { at: 1500ms, fault: " + c.fault +
                               ", target: api1, duration: 2s, params: " + c.params + " }\n";
    const json j = run_to_journal(write_experiment(out, "own-" + c.fault, "haproxy", method, "7s"), out);
    const auto& fault = journal_phase(j, "fault");
    const auto& after = journal_phase(j, "recovery");
    INFO("fault: " << fault.dump() << "\nrecovery: " << after.dump());
    if (c.fault == "latency") {
      // Every second request goes to api1, 150 ms further away.
      CHECK(fault["p99_ms"].get<double>() >= 150.0);
      // ...and no longer once it is lifted (the baseline holds the
      // programs' warm-up, so the recovery is the fair comparison).
      CHECK(after["p99_ms"].get<double>() < 150.0);
    } else {
      // Killed or frozen: its requests fail or stall until HAProxy's
      // checks (every 500 ms, fall 2) take it out.
      CHECK((fault["errors"].get<double>() > 0 || fault["p99_ms"].get<double>() >= 500.0));
    }
    // Restarted or thawed: serving again once the checks let it back in.
    const WindowSum settled = windows_between(j, j["activities"][0]["reverted_s"].get<double>() + 1.5, 1e9);
    REQUIRE(settled.requests > 0);
    CHECK(settled.errors == 0);
    CHECK(leftovers(j["run_id"].get<std::string>()).empty());
    CHECK(own_programs_left("own-" + c.fault).empty());
  }
}

TEST_CASE("a run of a team's stack stopped by SIGINT, SIGTERM or SIGKILL and cleanup leaves nothing",
          "[integration][own][signals]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const std::string method = "method:\n  - { at: 500ms, fault: pause, target: api2, params: {} }\n";
  for (const int sig : {SIGINT, SIGTERM, SIGKILL}) {
    INFO("signal " << sig);
    const std::string out = fresh_out_dir("own/signal_" + std::to_string(sig));
    const std::string log = out + "/faultline.log";
    const pid_t pid =
        start_run(write_experiment(out, "own-sig" + std::to_string(sig), "nginx", method, "30s"), out);
    const bool injected = wait_for_text(log, "injected pause on", std::chrono::seconds(30));
    const std::string run_id = run_id_from_log(log);
    INFO(read_file(log));
    if (!injected) {
      kill(pid, SIGKILL);
      wait_for(pid, std::chrono::seconds(10));
    }
    REQUIRE(injected);
    REQUIRE_FALSE(run_id.empty());
    if (sig == SIGKILL) {
      kill(pid, SIGKILL);
      CHECK(wait_for(pid, std::chrono::seconds(30)) == 128 + SIGKILL);
      const int code = run({FAULTLINE_BINARY, "cleanup"}, out + "/cleanup.log", std::chrono::seconds(30));
      INFO("cleanup:\n" << read_file(out + "/cleanup.log"));
      CHECK(code == 0);
    } else {
      stop_run(pid, out, sig);
    }
    CHECK(leftovers(run_id).empty());
    CHECK(own_programs_left("own-sig" + std::to_string(sig)).empty());
  }
}
