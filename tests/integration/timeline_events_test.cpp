// The timeline's entries that come from outside the method: HAProxy's own
// view of its servers (a killed backend marked DOWN by health checks, UP
// again once restarted) and a note sent with `faultline note` from another
// terminal while the run goes on.

#include <catch2/catch.hpp>
#include <fstream>

#include "journal_helpers.h"
#include "tests/skip.h"

using namespace faultline::testing;

namespace {

std::string write_experiment(const std::string& out) {
  const std::string path = out + "/experiment.yaml";
  std::ofstream(path) << R"(version: 1
title: Integration - timeline events
stack:
  services:
    lb:
      kind: haproxy
      backends: [web1, web2]
      health_check: { path: /health, interval: 200ms, fall: 2, rise: 1 }
    web1: { kind: nginx }
    web2: { kind: nginx }
load:
  target: lb
  rate: 100/s
  connections: 4
  timeout: 1s
  duration: 7s
slo:
  window: 500ms
  objectives:
    - name: availability
      expr: "error_rate < 1%"
method:
  - at: 2s
    fault: kill
    target: web2
    duration: 2s
expect: breach
)";
  return path;
}

}  // namespace

TEST_CASE("HAProxy's health-check verdicts and operator notes land in the journal's timeline",
          "[integration][timeline]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const std::string out = fresh_out_dir("timeline_events");
  const std::string registry = out + "/registry";
  const std::string log = out + "/faultline.log";
  const pid_t pid = start_run(write_experiment(out), out, {"--registry", registry});
  const bool injected = wait_for_text(log, "injected kill on", std::chrono::seconds(20));
  // Two notes, one with a newline inside (it becomes a space).
  const int first = run({FAULTLINE_BINARY, "note", "--registry", registry, "paged", "the on-call"},
                        out + "/note1.log", std::chrono::seconds(10));
  const int second = run({FAULTLINE_BINARY, "note", "--registry", registry, "suspect:\ndatabase"},
                         out + "/note2.log", std::chrono::seconds(10));
  const int code = wait_for(pid, std::chrono::seconds(60));
  INFO("log:\n" << read_file(log));
  REQUIRE(injected);
  CHECK(first == 0);
  CHECK(second == 0);
  CHECK(read_file(out + "/note1.log").find("note added to run") != std::string::npos);
  // Completed (0 or 1: whether the kill breached the SLO is not at stake).
  CHECK((code == 0 || code == 1));

  const json j = json::parse(read_file(out + "/journal.json"));
  CHECK(j["status"] == "completed");
  const double injected_s = j["activities"][0]["injected_s"].get<double>();
  const double reverted_s = j["activities"][0]["reverted_s"].get<double>();
  std::vector<json> operator_notes;
  for (const auto& n : j["notes"]) {
    if (n["source"] == "operator") {
      operator_notes.push_back(n);
    }
  }
  REQUIRE(operator_notes.size() == 2);
  CHECK(operator_notes[0]["text"] == "paged the on-call");
  CHECK(operator_notes[1]["text"] == "suspect: database");
  CHECK(operator_notes[0]["t"].get<double>() >= injected_s);
  CHECK(operator_notes[1]["t"].get<double>() <= reverted_s);

  // web2 goes DOWN after two failed checks 200 ms apart (polled every
  // 250 ms), and UP after one good check once it is restarted.
  const json* down = nullptr;
  const json* up = nullptr;
  for (const auto& e : j["lb_events"]) {
    if (e["server"] == "web2" && e["to"] == "DOWN" && down == nullptr) {
      down = &e;
    }
    if (e["server"] == "web2" && e["to"] == "UP" && down != nullptr && up == nullptr) {
      up = &e;
    }
  }
  INFO("lb_events: " << j["lb_events"].dump());
  REQUIRE(down != nullptr);
  CHECK((*down)["service"] == "lb");
  CHECK((*down)["text"] == "lb marked web2 DOWN");
  CHECK((*down)["t"].get<double>() > injected_s);
  CHECK((*down)["t"].get<double>() < injected_s + 1.5);
  REQUIRE(up != nullptr);
  CHECK((*up)["t"].get<double>() > reverted_s);
  CHECK((*up)["t"].get<double>() < reverted_s + 1.5);
  // The run's inbox went with its registry entry.
  CHECK(run({FAULTLINE_BINARY, "note", "--registry", registry, "too late"}, out + "/note3.log",
            std::chrono::seconds(10)) == 2);
  CHECK(leftovers(j["run_id"].get<std::string>()).empty());
}
