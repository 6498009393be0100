// The checks made while a run goes on, on a real stack: the steady-state
// gate stops a run whose stack is unhealthy before anything is injected,
// and an abort condition stops a run whose fault does too much harm,
// reverting it first.

#include <catch2/catch.hpp>
#include <fstream>

#include "journal_helpers.h"
#include "tests/skip.h"

using namespace faultline::testing;

namespace {

// HAProxy over two nginx; an http_abort fault answers every request with
// 503 from 3 s to 9 s of a 12 s load.
std::string write_experiment(const std::string& out, const std::string& latency_objective) {
  const std::string path = out + "/experiment.yaml";
  std::ofstream(path) << R"(version: 1
title: Integration - live checks
stack:
  services:
    lb: { kind: haproxy, backends: [web1, web2] }
    web1: { kind: nginx }
    web2: { kind: nginx }
load:
  target: lb
  rate: 200/s
  connections: 8
  timeout: 500ms
  duration: 12s
slo:
  window: 500ms
  steady_state: 2s
  abort_when: "error_rate > 50% for 1s"
  objectives:
    - name: availability
      expr: "error_rate < 1%"
    - name: latency
      expr: ")" + latency_objective +
                             R"("
method:
  - at: 3s
    fault: http_abort
    target: lb
    params: { percent: 100%, status: 503 }
    duration: 6s
expect: breach
)";
  return path;
}

}  // namespace

TEST_CASE("the steady-state gate stops a run before any fault when an objective fails from the start",
          "[integration][live]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const std::string out = fresh_out_dir("live/gate");
  // No proxied request on this stack answers in 10 us: the stack, not the
  // fault, breaks this objective.
  const std::string file = write_experiment(out, "p(50) < 0.01ms");
  const int code =
      run({FAULTLINE_BINARY, "run", file, "--out", out}, out + "/faultline.log", std::chrono::seconds(60));
  const std::string log = read_file(out + "/faultline.log");
  INFO("log:\n" << log);
  CHECK(code == 4);
  CHECK(log.find("steady state not reached") != std::string::npos);
  const json j = json::parse(read_file(out + "/journal.json"));
  CHECK(j["status"] == "steady_state_failed");
  CHECK(j["live_checks"] == true);
  REQUIRE(j["steady_state_failure"].is_object());
  CHECK(j["steady_state_failure"]["objective"] == "latency");
  // Nothing was injected, and the load stopped at the gate (the first
  // fault was due at 3 s), not at its planned 12 s.
  CHECK(j["activities"][0]["status"] == "not run");
  CHECK(j["activities"][0]["injected_s"].is_null());
  CHECK(j["load"]["ran_s"].get<double>() < 4.0);
  CHECK(leftovers(j["run_id"].get<std::string>()).empty());
}

TEST_CASE("an abort condition stops a run, reverts the fault and records why", "[integration][live]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const std::string out = fresh_out_dir("live/abort");
  const std::string file = write_experiment(out, "p(99) < 500ms");
  const int code =
      run({FAULTLINE_BINARY, "run", file, "--out", out}, out + "/faultline.log", std::chrono::seconds(60));
  const std::string log = read_file(out + "/faultline.log");
  INFO("log:\n" << log);
  CHECK(code == 5);
  CHECK(log.find("steady state held") != std::string::npos);
  const json j = json::parse(read_file(out + "/journal.json"));
  CHECK(j["status"] == "aborted");
  REQUIRE(j["abort"].is_object());
  CHECK(j["abort"]["condition"] == "error_rate > 50% for 1s");
  // Every request failed from the inject, so the condition held from the
  // first whole window after it; it is judged once a window can no longer
  // change (timeout + 0.1 s after its end).
  const auto& fault = j["activities"][0];
  const double injected = fault["injected_s"].get<double>();
  CHECK(fault["status"] == "reverted");
  CHECK(j["abort"]["since_s"].get<double>() >= injected - 0.5);
  CHECK(j["abort"]["since_s"].get<double>() <= injected + 0.6);
  const double reverted = fault["reverted_s"].get<double>();
  CHECK(reverted >= j["abort"]["until_s"].get<double>() + 0.5);
  CHECK(reverted <= j["abort"]["until_s"].get<double>() + 1.0);
  CHECK(reverted < 6.0);  // well before the planned 9 s
  CHECK(j["load"]["ran_s"].get<double>() < 7.0);
  CHECK(log.find("expect breach: not judged") != std::string::npos);
  // The availability objective was in breach from the inject to the stop.
  const auto& availability = j["slo"]["objectives"][0];
  CHECK(availability["breached"] == true);
  CHECK(availability["breach_s"].get<double>() >= 1.0);
  CHECK(j["analysis"]["total_breach_s"].get<double>() == Approx(availability["breach_s"].get<double>()));
  // Windows carry the corrected and uncorrected tails; with no stall the
  // two stay close.
  const auto& w = j["windows"][0];
  CHECK(w["p999_ms"].get<double>() >= w["p99_ms"].get<double>());
  CHECK(w["service_p99_ms"].get<double>() <= w["p99_ms"].get<double>() + 0.01);
  for (const auto& p : j["phases"]) {
    CHECK(p["kind"] != "recovery");  // nothing was sent after the revert
  }
  CHECK(leftovers(j["run_id"].get<std::string>()).empty());
}
