// The Markdown postmortem rendered from a journal recorded by a real run
// (tests/data/journals/weight_skew.json: HAProxy + 3 nginx, web1 weighted
// 8:1:1 from t+3 s to t+6 s).

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "reporters/reporter.h"
#include "tests/reporters/reporter_test_support.h"

namespace {

using json = nlohmann::ordered_json;
using namespace faultline::reporters::testing;

json load_journal(const std::string& name = "weight_skew.json") {
  return journal_at(name);
}

// The timeline rows whose event mentions `part`, in document order.
std::vector<std::string> timeline_rows(const std::string& md, const std::string& part) {
  std::vector<std::string> rows;
  std::istringstream lines(md);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("| ", 0) == 0 && line.find(" | t+") != std::string::npos &&
        line.find(part) != std::string::npos) {
      rows.push_back(line);
    }
  }
  return rows;
}

// Position of a timeline row in the document, to check the order of events.
size_t row_position(const std::string& md, const std::string& part) {
  const auto rows = timeline_rows(md, part);
  REQUIRE(!rows.empty());
  return md.find(rows.front());
}

}  // namespace

TEST_CASE("the postmortem has the sections of the hand-written ones", "[reporters][md]") {
  const std::string md = render_md(load_journal());
  // The sections of a hand-written web-outage postmortem, and the Google
  // SRE template's.
  for (const char* section :
       {"## Issue Summary", "## Trigger", "## Contributing Factors", "## Timeline (UTC)",
        "### Traffic per backend", "## Root Cause and Resolution", "## Detection", "## Lessons Learned",
        "**What went well**", "**What went wrong**", "**Where we got lucky**", "## Action Items",
        "| Action | Type | Priority | Owner |", "## Conclusion", "## Supporting Information"}) {
    INFO(section);
    CHECK(contains(md, section));
  }
}

TEST_CASE("the postmortem states the measured shares and the breach", "[reporters][md]") {
  const json j = load_journal();
  const std::string md = render_md(j);
  // The fault phase's measured split, as the journal has it.
  const auto& during = j["phases"][1]["backends"];
  const double total =
      during["web1"].get<double>() + during["web2"].get<double>() + during["web3"].get<double>();
  const int web1 = static_cast<int>(std::lround(100 * during["web1"].get<double>() / total));
  CHECK(contains(md,
                 "web1 received " + std::to_string(web1) + "% of the requests while the fault was in force"));
  CHECK(contains(md, "| balance | `max_backend_share < 60%` | breached |"));
  CHECK(contains(md, "| availability | `error_rate < 1%` | held |"));
  CHECK(contains(md, "the weight of web1 on load balancer lb was set to 8"));
  CHECK(contains(md, "**SLO breach detected**"));
  CHECK(contains(md, "Scripted note, from the experiment's method: “operator note from the method”"));
}

TEST_CASE("the postmortem prints times in the experiment's timezone", "[reporters][md]") {
  json j = load_journal();
  j["timezone"] = "America/New_York";
  const std::string md = render_md(j);
  CHECK(contains(md, "## Timeline (America/New_York)"));
  // November: Eastern Standard Time.
  CHECK(contains(md, " EST"));
  CHECK_FALSE(contains(md, " UTC to "));
}

TEST_CASE("a journal of a run that did not complete says so at the top", "[reporters][md]") {
  json j = load_journal();
  j["status"] = "interrupted";
  j["error"] = "interrupted by signal 2 (Interrupt)";
  const std::string md = render_md(j);
  CHECK(contains(md, "This run did not complete (interrupted): interrupted by signal 2 (Interrupt)."));
}

TEST_CASE("a journal missing its analysis still renders", "[reporters][md]") {
  json j = load_journal();
  j.erase("analysis");
  j.erase("phases");
  const std::string md = render_md(j);
  CHECK(contains(md, "## Issue Summary"));
  CHECK_FALSE(contains(md, "### Traffic per backend"));
}

TEST_CASE("a user template replaces the built-in one", "[reporters][md]") {
  const std::string path = "/tmp/faultline-test-template.mustache";
  {
    std::ofstream out(path);
    out << "Incident {{title}} on {{service}}: {{#impact}}[{{.}}]{{/impact}}";
  }
  const auto* r = faultline::reporters::ReporterRegistry::instance().find("md");
  const std::string text = r->render(load_journal(), path);
  CHECK(
      text.rfind(
          "Incident Integration - weight skew 8:1:1 on HAProxy on Integration stack: [0% of requests failed",
          0) == 0);
  std::remove(path.c_str());
}

TEST_CASE("the timeline shows the first errors after a fault, by kind and window",
          "[reporters][md][timeline]") {
  const json j = load_journal("pm_http_errors.json");
  const std::string md = render_md(j);
  // The journal's first window with errors after the 503 fault went in at
  // t+1.0 s: 34 of 200 requests answered 503.
  const auto rows = timeline_rows(md, "**First errors after fault 1**");
  REQUIRE(rows.size() == 1);
  CHECK(contains(rows[0],
                 "34 HTTP 503 (Service Unavailable) responses, out of 200 requests in the window "
                 "t+1.0 s–t+1.5 s"));
  CHECK(row_position(md, "**Fault 1 injected**") < row_position(md, "**First errors after fault 1**"));
  CHECK(row_position(md, "**First errors after fault 1**") < row_position(md, "**SLO breach detected**"));
  // The second fault only delays requests: no first-error line for it.
  CHECK(timeline_rows(md, "**First errors after fault 2**").empty());
  CHECK(contains(md, "Users saw 247 HTTP 503 (Service Unavailable) responses."));
}

TEST_CASE("a run with no errors has no first-error line", "[reporters][md][timeline]") {
  CHECK(timeline_rows(render_md(load_journal()), "First errors").empty());
}

TEST_CASE("load-balancer health-check transitions appear in the timeline", "[reporters][md][timeline]") {
  json j = load_journal();
  j["lb_events"] = json::array({
      {{"t", 3.2},
       {"service", "lb"},
       {"server", "web2"},
       {"from", "UP"},
       {"to", "DOWN"},
       {"text", "HAProxy marked web2 DOWN"}},
      {{"t", 6.3}, {"service", "lb"}, {"server", "web2"}, {"from", "DOWN"}, {"to", "UP"}, {"text", ""}},
  });
  const std::string md = render_md(j);
  const auto down = timeline_rows(md, "HAProxy marked web2 DOWN (UP → DOWN)");
  REQUIRE(down.size() == 1);
  CHECK(contains(down[0], "| t+3.2 s |"));
  // Without a text the line is built from the fields.
  const auto up = timeline_rows(md, "lb marked web2 UP (DOWN → UP)");
  REQUIRE(up.size() == 1);
  CHECK(row_position(md, "**Fault injected**") < row_position(md, "HAProxy marked web2 DOWN"));
  CHECK(row_position(md, "**Fault reverted**") < row_position(md, "lb marked web2 UP"));
}

TEST_CASE("a journal without lb_events, or with an empty list, renders the same timeline",
          "[reporters][md][timeline]") {
  json old = load_journal();
  old.erase("lb_events");
  json empty = load_journal();
  empty["lb_events"] = json::array();
  const std::string md = render_md(old);
  CHECK(md == render_md(empty));
  CHECK(timeline_rows(md, "Health check").empty());
  CHECK(contains(md, "**SLO breach detected**"));
}

TEST_CASE("operator notes are quoted as typed during the run, method notes are not",
          "[reporters][md][timeline]") {
  json j = load_journal();
  j["notes"].push_back({{"t", 5.0}, {"text", "web1 looks hot, checking weights"}, {"source", "operator"}});
  const std::string md = render_md(j);
  const auto rows =
      timeline_rows(md, "Operator note, typed during the run: “web1 looks hot, checking weights”");
  REQUIRE(rows.size() == 1);
  CHECK(contains(rows[0], "| t+5.0 s |"));
  CHECK(contains(md, "Scripted note, from the experiment's method: “operator note from the method”"));
  CHECK_FALSE(contains(md, "typed during the run: “operator note from the method”"));
}

TEST_CASE("the timeline ends with revert, recovery and the end of the load, in that order",
          "[reporters][md][timeline]") {
  const std::string md = render_md(load_journal());
  CHECK(row_position(md, "**Baseline load started**") < row_position(md, "**Fault injected**"));
  CHECK(row_position(md, "**Fault reverted**") < row_position(md, "**SLOs met again**"));
  CHECK(row_position(md, "**SLOs met again**") < row_position(md, "**Load stopped**"));
  CHECK(contains(md, "**SLOs met again**: every objective held, 497 ms after the revert."));
}

TEST_CASE("an aborted run says when and why it was aborted", "[reporters][md][aborted]") {
  const std::string md = render_md(load_journal("pm_aborted.json"));
  CHECK(contains(md, "# Postmortem: "));
  const auto rows = timeline_rows(md, "**Run aborted**");
  REQUIRE(rows.size() == 1);
  CHECK(contains(rows[0], "the abort condition `error_rate > 50% for 1s` held from t+3.0 s to t+4.0 s"));
  CHECK(row_position(md, "**Run aborted**") < row_position(md, "**Fault reverted**"));
  CHECK(contains(md, "ahead of the planned t+9.0 s because the run stopped"));
  CHECK(contains(md,
                 "The run was aborted at t+4.6 s when its safety condition `error_rate > 50% for 1s` held"));
  CHECK(contains(md, "**Load stopped** after 4.6 s of the planned 12.0 s"));
  CHECK(contains(md, "Inconclusive: the experiment's abort condition stopped the run"));
  CHECK(contains(md, "The SLOs had been breached, but recovery was not measured."));
  // A breach that an abort cut short is not "not reproduced".
  CHECK_FALSE(contains(md, "not reproduced"));
}

TEST_CASE("a run stopped at the steady-state gate reads as no incident", "[reporters][md][gate]") {
  const std::string md = render_md(load_journal("pm_steady_state_failed.json"));
  CHECK(contains(md, "# Experiment stopped at the steady-state gate: "));
  const auto rows = timeline_rows(md, "**Stopped at the steady-state gate**");
  REQUIRE(rows.size() == 1);
  CHECK(contains(rows[0], "latency (`p(50) < 0.01ms`) measured 0.35 ms in the window t+1.0 s–t+1.5 s"));
  CHECK(timeline_rows(md, "injected**").empty());
  CHECK(contains(md, "there is no incident to analyse"));
  CHECK(contains(md, "No verdict"));
  // The planned fault is not listed as "never injected because the run stopped" twice.
  CHECK_FALSE(contains(md, "Never injected"));
}

TEST_CASE("a regression test that held reads as a passed test, not an incident", "[reporters][md][hold]") {
  const json j = load_journal("pm_hold_passed.json");
  REQUIRE(j["expect"] == "hold");
  REQUIRE(j["expectation_met"] == true);
  const std::string md = render_md(j);
  CHECK(contains(md, "# Regression test passed: "));
  CHECK(contains(md, "every SLO held, as the regression test expected"));
  CHECK(contains(
      md, "Regression test passed: no breach (none expected) with the fault in force (expect: hold)."));
  CHECK(contains(md, "The SLOs never broke, so nothing else had to be done."));
  CHECK(contains(md, "## What the Protection Withstood"));
  CHECK_FALSE(contains(md, "**SLO breach detected**"));
  CHECK_FALSE(contains(md, "# Postmortem"));
  // No incident: no detection, lessons or investigation prompts.
  CHECK_FALSE(contains(md, "## Detection"));
  CHECK_FALSE(contains(md, "## Lessons Learned"));
  CHECK_FALSE(contains(md, "## Contributing Factors"));
  CHECK_FALSE(contains(md, "**[team]** Who was paged"));
  CHECK_FALSE(contains(md, "Which alert"));
  // The section names that apply stay, so the document still lines up with the others.
  CHECK(contains(md, "## Root Cause and Resolution"));
  CHECK(contains(md, "Keep this experiment in the pipeline with `expect: hold`"));
}

TEST_CASE("a regression test that breached reads as a failed test and an incident", "[reporters][md][hold]") {
  json j = load_journal();
  j["expect"] = "hold";
  j["expectation_met"] = false;
  const std::string md = render_md(j);
  CHECK(contains(md, "# Postmortem: "));
  CHECK(contains(md, "Regression test failed"));
  CHECK(contains(md, "the protection it checks did not work"));
}

TEST_CASE("the summary gives date, span, timezone, effect and cause in sentences", "[reporters][md]") {
  const std::string md = render_md(load_journal());
  CHECK(contains(md,
                 "On 2026-11-23, from 23:02:52 to 23:02:55 UTC (3.0 s), Integration stack answered every "
                 "request, but web1 received 80% of the requests while the fault was in force, against 33% "
                 "in the baseline."));
  CHECK(contains(md,
                 "The trigger was a deliberate fault: the weight of web1 on load balancer lb was set to 8"));
  CHECK(contains(md,
                 "The balance objective caught it 499 ms after the fault; every objective held again 497 ms "
                 "after the revert."));
  CHECK(contains(md, "**[team]**"));
}

TEST_CASE("an interrupted run lists faults never injected and reverts that came after the load",
          "[reporters][md]") {
  json j = load_journal();
  j["status"] = "interrupted";
  j["error"] = "interrupted by signal 2 (Interrupt)";
  j["end"]["t"] = 4.4;
  j["load"]["ran_s"] = 4.4;
  j["activities"][0]["reverted_s"] = 4.45;
  j["activities"].push_back({{"type", "fault"},
                             {"name", "lb_timeout"},
                             {"target", "lb"},
                             {"description", "the server timeout of load balancer lb was set to 1ms"},
                             {"planned_at_s", 7.0},
                             {"planned_duration_s", 1.0},
                             {"injected_s", nullptr},
                             {"reverted_s", nullptr},
                             {"status", "not run"}});
  const std::string md = render_md(j);
  CHECK(contains(
      md,
      "Never injected because the run stopped first: fault 2 (`lb_timeout` on lb, planned for t+7.0 s)."));
  CHECK(row_position(md, "**Run stopped early**: interrupted by signal 2 (Interrupt).") <
        row_position(md, "**Fault 1 reverted**"));
  CHECK(contains(md, "ahead of the planned t+6.0 s because the run stopped"));
  // The teardown is not claimed before the revert that followed the load.
  CHECK_FALSE(contains(md, "torn down"));
  CHECK(contains(md, "Inconclusive"));
}

TEST_CASE("requests no backend answered count in the shares, and the backend that lost its share is named",
          "[reporters][md][shares]") {
  // As a wrong address on web2 gives: its third of the requests fails at
  // the load balancer (502), web1 and web3 answer the rest.
  json j = load_journal();
  auto& fault = j["phases"][1];
  fault["requests"] = 1200;
  fault["errors"] = 400;
  fault["backends"] = {{"web1", 400}, {"web3", 400}};
  fault["statuses"] = {{"200", 800}, {"502", 400}};
  const std::string md = render_md(j);
  INFO(md);
  // web2's share fell from 33% to nothing; web1 and web3 did not move.
  CHECK(contains(md,
                 "web2 answered 0% of the requests while the fault was in force, against 33% in the baseline "
                 "(no backend answered 33% of them)"));
  // Which errors those were is measured (the 502s), not guessed.
  CHECK_FALSE(contains(md, "errors and timeouts"));
  CHECK_FALSE(contains(md, "web1 received"));
  // The chart of the fault phase has a row for what no backend answered.
  const auto chart = md.substr(md.find("**fault 1: lb_weight on lb**"));
  CHECK(contains(chart.substr(0, chart.find("```\n\n")), "(no backend)"));
  CHECK(contains(chart, "web1  █████████████ 33%"));
}

TEST_CASE("a crashed service is in the timeline and the summary", "[reporters][md][crash]") {
  json j = load_journal();
  j["service_events"] = json::array({{{"t", 4.2}, {"service", "web1"}, {"event", "crashed"}, {"text", "x"}}});
  const std::string md = render_md(j);
  INFO(md);
  CHECK(timeline_rows(md, "**web1 crashed**").size() == 1);
  CHECK(contains(md, "Service web1 crashed at "));
  CHECK(contains(md, "(t+4.2 s) under the load and did not come back during the run."));
}

TEST_CASE("a run stopped by a server that died says the harness failed, not the fault",
          "[reporters][md][harness-failure]") {
  const json j = load_journal("pm_harness_died.json");
  const std::string md = render_md(j);
  INFO(md);
  CHECK(contains(md, "# Run stopped by a harness failure: "));
  CHECK(contains(md,
                 "> **Warning:** This run did not complete: a harness failure stopped the run at t+6.2 s: "
                 "service lb died (the haproxy process (pid 4242) was killed by signal 9 (Killed)"));
  CHECK(contains(md, "\n\nAt 04:35:45 (t+6.2 s) a harness failure stopped the run: service lb died ("));
  CHECK(contains(md,
                 "The figures after t+6.2 s are not the fault's effect, and the verdict is not a result of "
                 "the experiment."));
  CHECK(contains(md,
                 "- **Verdict:** No verdict: a harness failure stopped the run at t+6.2 s (service lb died), "
                 "so the outcome is not a result of the experiment."));
  CHECK(timeline_rows(md, "**lb died**").size() == 1);
  // Neither a crash under the load nor an incident to investigate.
  CHECK_FALSE(contains(md, "crashed"));
  CHECK_FALSE(contains(md, "The cause was a deliberate fault"));
  CHECK_FALSE(contains(md, "Who was paged"));
}

TEST_CASE("a failure record without a died event is reported as a harness failure too",
          "[reporters][md][harness-failure]") {
  json j = load_journal("pm_harness_died.json");
  j["service_events"] = json::array();
  j["failure"]["service"] = nullptr;
  const std::string md = render_md(j);
  INFO(md);
  CHECK(contains(md,
                 "At 04:35:45 (t+6.2 s) a harness failure stopped the run: the harness failed (service lb "
                 "(haproxy, pid 4242) was killed by signal 9 (Killed))."));
  CHECK_FALSE(contains(md, "[NOTICE]"));  // the error's log lines stay in the journal
}

TEST_CASE("an app crash the experiment asked for is not a harness failure",
          "[reporters][md][harness-failure]") {
  json j = load_journal("pm_http_errors.json");
  j["service_events"] = json::array({{{"t", 4.2}, {"service", "web1"}, {"event", "crashed"}, {"text", "x"}}});
  const std::string md = render_md(j);
  CHECK_FALSE(contains(md, "harness failure"));
  CHECK(contains(md, "Service web1 crashed at "));
}
