// Every fault type, interrupted in the middle of its fault: a run stopped by
// SIGINT or SIGTERM while the fault is in force reverts it, tears the stack
// down and leaves nothing of the run on the machine; a run killed by SIGKILL
// leaves its resources, and `faultline cleanup` removes all of them. The
// table below must name every registered fault type, so a new fault cannot
// ship without this coverage.

#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>

#include "faults/registry.h"
#include "journal_helpers.h"
#include "tests/skip.h"

using namespace faultline::testing;

namespace {

struct Case {
  std::string fault;
  std::string target;
  std::string params;        // YAML flow mapping
  std::string nginx_params;  // when nginx as load balancer needs others
  bool lb_fault = false;     // runs on HAProxy and on nginx as load balancer
  bool tls = false;          // the load balancer terminates TLS, the load speaks https
};

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {"lb_weight", "lb", "{ server: web1, weight: 100 }", "", true},
      {"lb_drain", "lb", "{ server: web2 }", "", true},
      {"lb_maintenance", "lb", "{ server: web2 }", "", true},
      {"lb_wrong_backend", "lb", "{ server: web2 }", "", true},
      {"lb_health_check_off", "lb", "{}", "", true},
      {"lb_balance", "lb", "{ algorithm: source }", "", true},
      {"lb_maxconn", "lb", "{ maxconn: 1 }", "", true},
      {"lb_timeout", "lb", "{ timeout: server, value: 1ms }", "", true},
      {"lb_config", "lb", "{ section: frontend, fragment: 'http-request deny deny_status 429' }",
       "{ section: frontend, fragment: 'return 429;' }", true},
      {"http_abort", "lb", "{ percent: 50% }", "", true},
      {"http_delay", "lb", "{ delay: 50ms }", "", true},
      {"lb_cert", "lb", "{ serve: expired }", "", true, true},
      {"latency", "web1", "{ delay: 50ms }", "", false},
      {"loss", "web1", "{ percent: 20% }", "", false},
      {"duplicate", "web1", "{ percent: 10% }", "", false},
      {"reorder", "web1", "{ percent: 25%, delay: 20ms }", "", false},
      {"bandwidth", "web1", "{ rate: 8mbit }", "", false},
      {"partition", "web1", "{}", "", false},
      {"reset", "web1", "{}", "", false},
      {"kill", "web1", "{}", "", false},
      {"pause", "web1", "{}", "", false},
      {"cpu_limit", "web1", "{ cpus: 0.1 }", "", false},
      {"memory_limit", "web1", "{ limit: 64MiB }", "", false},
  };
  return all;
}

// One fault from 300 ms of load to its end (20 s, far beyond the signal).
std::string write_experiment(const Case& c, const std::string& lb_kind, const std::string& dir) {
  const std::string& params = lb_kind == "nginx" && !c.nginx_params.empty() ? c.nginx_params : c.params;
  const std::string path = dir + "/experiment.yaml";
  std::ofstream out(path);
  out << "version: 1\n"
         "title: Interrupted "
      << c.fault << " on " << lb_kind
      << "\n"
         "stack:\n"
         "  services:\n"
         "    lb: { kind: "
      << lb_kind
      << ", backends: [web1, web2], health_check: { path: /health, interval: 250ms, fall: 2, rise: 2 }"
      << (c.tls ? ", tls: true" : "")
      << " }\n"
         "    web1: { kind: nginx }\n"
         "    web2: { kind: nginx }\n"
         "load: { target: lb, rate: 200/s, connections: 8, timeout: 1s, duration: 20s"
      << (c.tls ? ", scheme: https" : "")
      << " }\n"
         "slo:\n"
         "  window: 500ms\n"
         "  objectives:\n"
         "    - { name: availability, expr: \"error_rate < 1%\" }\n"
         "method:\n"
         "  - { at: 300ms, fault: "
      << c.fault << ", target: " << c.target << ", params: " << params
      << " }\n"
         "expect: hold\n";
  return path;
}

struct Started {
  std::string out;
  std::string run_id;
  pid_t pid = -1;
};

// Starts the run (start_run), waits until the fault is in and lets it act
// for a moment; the caller then stops it.
Started start_with_fault(const Case& c, const std::string& lb_kind, const std::string& tag) {
  Started r;
  r.out = fresh_out_dir("interrupt/" + c.fault + "_" + lb_kind + "_" + tag);
  const std::string log = r.out + "/faultline.log";
  r.pid = start_run(write_experiment(c, lb_kind, r.out), r.out);
  const bool injected = wait_for_text(log, "injected " + c.fault + " on", std::chrono::seconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  r.run_id = run_id_from_log(log);
  if (!injected || r.run_id.empty()) {
    kill(r.pid, SIGKILL);
    wait_for(r.pid, std::chrono::seconds(10));
  }
  INFO("log:\n" << read_file(log));
  REQUIRE(injected);
  REQUIRE_FALSE(r.run_id.empty());
  return r;
}

}  // namespace

TEST_CASE("the interrupt table covers every registered fault type", "[integration][signals]") {
  std::map<std::string, int> covered;
  for (const auto& c : cases()) {
    ++covered[c.fault];
  }
  for (const auto& name : faultline::faults::Registry::instance().names()) {
    INFO(name << " has no row in tests/integration/interrupt_test.cpp");
    CHECK(covered[name] == 1);
  }
  CHECK(covered.size() == faultline::faults::Registry::instance().names().size());
}

TEST_CASE("a run stopped by SIGINT or SIGTERM mid-fault reverts every fault type and leaves nothing",
          "[integration][signals]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  int n = 0;
  for (const auto& c : cases()) {
    for (const std::string lb_kind : {"haproxy", "nginx"}) {
      if (lb_kind == "nginx" && !c.lb_fault) {
        continue;
      }
      // Alternate the signals so each fault family meets both.
      const int sig = n++ % 2 == 0 ? SIGINT : SIGTERM;
      INFO(c.fault << " on " << lb_kind << ", signal " << sig);
      const auto r = start_with_fault(c, lb_kind, std::to_string(sig));
      // stop_run checks the exit code (130), the status and the revert.
      const json j = stop_run(r.pid, r.out, sig);
      CHECK(j["activities"][0]["error"].is_null());
      const std::string left = leftovers(r.run_id);
      INFO("left behind:\n" << left);
      CHECK(left.empty());
    }
  }
}

TEST_CASE("after a SIGKILL mid-fault, faultline cleanup removes what every fault type left",
          "[integration][signals][sigkill]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  for (const auto& c : cases()) {
    INFO(c.fault);
    const auto r = start_with_fault(c, "haproxy", "kill");
    kill(r.pid, SIGKILL);
    CHECK(wait_for(r.pid, std::chrono::seconds(30)) == 128 + SIGKILL);
    // The run's namespaces at least are still there: cleanup has work to do.
    CHECK_FALSE(leftovers(r.run_id).empty());
    const int code = run({FAULTLINE_BINARY, "cleanup"}, r.out + "/cleanup.log", std::chrono::seconds(30));
    INFO("cleanup:\n" << read_file(r.out + "/cleanup.log"));
    CHECK(code == 0);
    const std::string left = leftovers(r.run_id);
    INFO("left behind:\n" << left);
    CHECK(left.empty());
  }
}
