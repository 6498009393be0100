// `faultline compare`: the view and the Markdown built from two journals,
// the recorded weight-skew drill (tests/data/journals/weight_skew.json,
// expect: breach) and its fixed variant (weight_skew_fixed.json, expect:
// hold, traffic kept even while the same fault runs).

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "harness/common/verdict_rule.h"
#include "reporters/compare_view.h"
#include "reporters/time_format.h"
#include "tests/reporters/reporter_test_support.h"

namespace {

using json = nlohmann::ordered_json;
using namespace faultline::reporters::testing;
using faultline::reporters::compare_view;
using faultline::reporters::JournalError;
using faultline::reporters::load_journal_file;

std::string data(const std::string& name) {
  return std::string(FAULTLINE_TEST_DATA).append("/journals/").append(name);
}

json load(const std::string& name) {
  return load_journal_file(data(name));
}

json view_of(const json& before, const json& after) {
  return compare_view(before, after, "before.json", "after.json");
}

// The row with `label` in a section of the view.
const json& row(const json& rows, const std::string& label) {
  for (const auto& r : rows) {
    if (r["label"] == label) {
      return r;
    }
  }
  FAIL("no row " << label);
  static const json none;
  return none;
}

const json& objective(const json& view, const std::string& name) {
  for (const auto& o : view["objectives"]) {
    if (o["name"] == name) {
      return o;
    }
  }
  FAIL("no objective " << name);
  static const json none;
  return none;
}

const json& share(const json& view, const std::string& phase_key, const std::string& backend) {
  for (const auto& p : view["phases"]) {
    if (p["key"] == phase_key) {
      for (const auto& b : p["backends"]) {
        if (b["backend"] == backend) {
          return b;
        }
      }
    }
  }
  FAIL("no share for " << backend << " in " << phase_key);
  static const json none;
  return none;
}

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = "/tmp/faultline-compare-test-" + name;
  std::ofstream out(path);
  out << text;
  return path;
}

// Runs the validation and returns the error it raised (empty `what` if none).
JournalError error_for(const std::string& path) {
  try {
    load_journal_file(path);
  } catch (const JournalError& e) {
    return e;
  }
  return JournalError(path, "", "");
}

}  // namespace

TEST_CASE("compare reads the verdict of each run", "[reporters][compare]") {
  const json v = view_of(load("weight_skew.json"), load("weight_skew_fixed.json"));
  CHECK(v["before"]["expect"] == "breach");
  CHECK(v["after"]["expect"] == "hold");
  CHECK(v["before"]["breached"] == true);
  CHECK(v["after"]["breached"] == false);
  CHECK(row(v["verdict"], "Verdict")["before"] ==
        std::string(faultline::verdict_headline(faultline::RunOutcome::incident)));
  CHECK(row(v["verdict"], "Verdict")["after"] ==
        std::string(faultline::verdict_headline(faultline::RunOutcome::passed)));
  CHECK(row(v["verdict"], "Expectation")["before"] == "expect breach: met");
  CHECK(row(v["verdict"], "Expectation")["after"] == "expect hold: met");
  CHECK(row(v["verdict"], "SLOs")["before"] == "breached");
  CHECK(row(v["verdict"], "SLOs")["after"] == "held");
  CHECK(row(v["verdict"], "Exit code")["before"] == "0 (expectation met)");
  CHECK(v["before"]["title"] == "Integration - weight skew 8:1:1 on HAProxy");
  CHECK(v["after"]["file"] == "after.json");
}

TEST_CASE("compare shows failed requests, users and p99 of each run", "[reporters][compare]") {
  const json v = view_of(load("weight_skew.json"), load("pm_http_errors.json"));
  // pm_http_errors: 247 of its impact window's requests answered 503.
  const json after_journal = load("pm_http_errors.json");
  const auto& impact = after_journal["analysis"]["impact"];
  CHECK(v["after"]["failed"] == impact["failed"].get<double>());
  CHECK(row(v["impact"], "Failed requests")["before"] == "0.0% (0 of 1201)");
  const std::string after_failed = row(v["impact"], "Failed requests")["after"];
  CHECK(contains(after_failed,
                 fmt::format("({} of {})", impact["failed"].get<int>(), impact["requests"].get<int>())));
  CHECK(contains(row(v["impact"], "Errors by kind")["after"].get<std::string>(), "× HTTP 503"));
  CHECK(row(v["impact"], "Errors by kind")["before"] == "none");
  CHECK(row(v["impact"], "Users affected")["before"] == "0 of 199 (0.0%)");
  CHECK(row(v["impact"], "Peak p99")["before"] == "5.4 ms (baseline 2.8 ms)");
  // A fixed run that still breaches is called out, never "the fix holds".
  CHECK(v["conclusion"].get<std::string>().rfind("The after run still breached", 0) == 0);
  CHECK(v["same_faults"] == false);
}

TEST_CASE("compare shows detection and recovery, or why they are missing", "[reporters][compare]") {
  const json before = load("weight_skew.json");
  const json v = view_of(before, load("weight_skew_fixed.json"));
  CHECK(v["before"]["time_to_detect_s"].get<double>() == Approx(0.498804083));
  CHECK(v["after"]["time_to_detect_s"].is_null());
  CHECK(row(v["timing"], "Time to detect")["before"] ==
        faultline::reporters::human_duration(before["analysis"]["time_to_detect_s"].get<double>()));
  CHECK(row(v["timing"], "Time to detect")["after"] == "never breached");
  CHECK(row(v["timing"], "Time to recover")["after"] == "never breached");
  CHECK(row(v["timing"], "Total breach time")["before"] == faultline::reporters::human_duration(3.0));
  CHECK(row(v["timing"], "Total breach time")["after"] == "never breached");

  // Breached and never recovered: the cell says so.
  const json http = view_of(load("pm_http_errors.json"), load("weight_skew_fixed.json"));
  CHECK(row(http["timing"], "Time to recover")["before"] == "not recovered");
}

TEST_CASE("compare matches objectives by name", "[reporters][compare]") {
  json after = load("weight_skew_fixed.json");
  // An objective added by the fix, and one dropped.
  after["slo"]["objectives"][0]["name"] = "latency";
  after["slo"]["objectives"][0]["expr"] = "p99 < 50ms";
  const json v = view_of(load("weight_skew.json"), after);
  REQUIRE(v["objectives"].size() == 3);

  const json& balance = objective(v, "balance");
  CHECK(balance["expr"] == "max_backend_share < 60%");
  CHECK(balance["before"]["result"] == "breached");
  CHECK(balance["before"]["worst_text"] == "80.0%");
  CHECK(balance["before"]["breach_s"].get<double>() == Approx(3.0));
  CHECK(balance["after"]["result"] == "held");
  CHECK(balance["after"]["worst_text"] == "33.5%");
  CHECK(balance["after"]["breach_s"].get<double>() == Approx(0.0));

  CHECK(objective(v, "availability")["after"]["present"] == false);
  CHECK(objective(v, "availability")["after"]["cell"] == "—");
  CHECK(objective(v, "latency")["before"]["present"] == false);
  CHECK(objective(v, "latency")["after"]["result"] == "held");
}

TEST_CASE("compare shows each backend's share per phase", "[reporters][compare]") {
  const json v = view_of(load("weight_skew.json"), load("weight_skew_fixed.json"));
  REQUIRE(v["phases"].size() == 3);
  CHECK(v["phases"][0]["name"] == "Before the fault");
  CHECK(v["phases"][1]["name"] == "During fault 1: lb_weight on lb");
  CHECK(v["phases"][2]["name"] == "After the revert");
  // The drill sent 960 of 1201 requests to web1 during the fault; the fixed
  // run kept 400 of 1201.
  CHECK(share(v, "fault#1", "web1")["before_share"].get<double>() == Approx(960.0 / 1201));
  CHECK(share(v, "fault#1", "web1")["before"] == "79.9%");
  CHECK(share(v, "fault#1", "web1")["after"] == "33.3%");
  CHECK(share(v, "fault#1", "web2")["before"] == "10.0%");
  CHECK(share(v, "baseline", "web2")["after"] == "33.4%");
}

TEST_CASE("compare lists the faults and whether they are the same", "[reporters][compare]") {
  const json v = view_of(load("weight_skew.json"), load("weight_skew_fixed.json"));
  REQUIRE(v["faults"].size() == 1);
  CHECK(v["faults"][0]["before"] == "`lb_weight` on lb (server=web1, weight=8, others=1)");
  CHECK(v["faults"][0]["same"] == true);
  CHECK(v["same_faults"] == true);
}

TEST_CASE("compare concludes from the data", "[reporters][compare]") {
  const json v = view_of(load("weight_skew.json"), load("weight_skew_fixed.json"));
  CHECK(v["conclusion"] ==
        "The fix holds: failed requests 0.0% → 0.0%, p99 peak 5.4 ms → 4.5 ms, balance worst 80.0% → 33.5%; "
        "every objective held.");

  json aborted = load("weight_skew_fixed.json");
  aborted["status"] = "aborted";
  aborted["expectation_met"] = false;
  const json va = view_of(load("weight_skew.json"), aborted);
  CHECK(va["conclusion"].get<std::string>().rfind("The after run did not complete (aborted)", 0) == 0);
  CHECK(row(va["verdict"], "Exit code")["after"] == "5 (aborted by an abort_when condition)");
}

TEST_CASE("the Markdown comparison has every section and row", "[reporters][compare][md]") {
  const json v = view_of(load("weight_skew.json"), load("weight_skew_fixed.json"));
  const std::string md = faultline::reporters::render_compare_md(v);
  for (const char* part : {
           "# Before and after: Integration - weight skew 8:1:1 on HAProxy, weight guard on",
           "- **Before:** Integration - weight skew 8:1:1 on HAProxy (run `c49950`, `before.json`)",
           "| | Before | After |",
           "| Expectation | expect breach: met | expect hold: met |",
           "| Failed requests | 0.0% (0 of 1201) | 0.0% (0 of 1201) |",
           "| Time to detect | ",
           "| Total breach time | 3.0 s | never breached |",
           "| balance (`max_backend_share < 60%`) | **breached**, worst 80.0%, 3.0 s in breach | held, worst "
           "33.5% |",
           "| availability (`error_rate < 1%`) | held, worst 0.00% | held, worst 0.00% |",
           "### During fault 1: lb_weight on lb",
           "| web1 | 79.9% | 33.3% |",
           "| 1 | `lb_weight` on lb (server=web1, weight=8, others=1) |",
           "The fix holds: failed requests 0.0% → 0.0%",
       }) {
    INFO(part);
    CHECK(contains(md, part));
  }
  CHECK_FALSE(contains(md, "did not inject the same faults"));
}

TEST_CASE("compare refuses files that are not faultline journals", "[reporters][compare][errors]") {
  SECTION("missing file") {
    const auto e = error_for("/tmp/faultline-compare-test-does-not-exist.json");
    CHECK(std::string(e.what()) == "no such file");
    CHECK(
        e.message("compare").rfind("faultline compare: error: "
                                   "/tmp/faultline-compare-test-does-not-exist.json: no such file\n  hint: ",
                                   0) == 0);
  }
  SECTION("not JSON") {
    const std::string path = write_temp("not-json.json", "title: an experiment\n");
    const auto e = error_for(path);
    CHECK(contains(e.what(), "not JSON"));
    CHECK(e.file() == path);
    CHECK_FALSE(e.hint().empty());
    std::remove(path.c_str());
  }
  SECTION("JSON without the journal schema") {
    const std::string path = write_temp("other.json", R"({"schema": "something/2", "status": "completed"})");
    const auto e = error_for(path);
    CHECK(contains(e.what(), "not a faultline journal"));
    CHECK(contains(e.what(), "something/2"));
    std::remove(path.c_str());
  }
  SECTION("JSON with no schema at all") {
    CHECK_THROWS_AS(faultline::reporters::check_journal(json::array({1, 2}), "x.json"), JournalError);
    CHECK_THROWS_AS(faultline::reporters::check_journal(json{{"status", "completed"}}, "x.json"),
                    JournalError);
  }
  SECTION("a real journal passes") {
    CHECK_NOTHROW(load_journal_file(data("weight_skew.json")));
    CHECK_NOTHROW(load_journal_file(data("weight_skew_fixed.json")));
  }
}

TEST_CASE("compare lists the services that crashed in each run", "[reporters][compare]") {
  json before = load("weight_skew.json");
  const json after = load("weight_skew_fixed.json");
  CHECK(row(view_of(before, after)["impact"], "Services crashed")["before"] == "none");
  before["service_events"] =
      json::array({{{"t", 4.31}, {"service", "web1"}, {"event", "crashed"}, {"text", "queue full"}},
                   {{"t", 6.0}, {"service", "web2"}, {"event", "crashed"}, {"text", "queue full"}}});
  const json v = view_of(before, after);
  CHECK(row(v["impact"], "Services crashed")["before"] == "web1 at t+4.3 s, web2 at t+6.0 s");
  CHECK(row(v["impact"], "Services crashed")["after"] == "none");
}

TEST_CASE("compare says when a run was stopped by a harness failure",
          "[reporters][compare][harness-failure]") {
  const json v = view_of(load("pm_http_errors.json"), load("pm_harness_died.json"));
  CHECK(v["after"]["harness_failure"] == "a harness failure stopped the run at t+6.2 s (service lb died)");
  CHECK(v["before"]["harness_failure"].is_null());
  CHECK(row(v["verdict"], "Exit code")["after"] ==
        "3 (a harness failure stopped the run at t+6.2 s; not a result of the experiment)");
  CHECK(contains(
      v["conclusion"].get<std::string>(),
      "In the after run, a harness failure stopped the run at t+6.2 s (service lb died): its figures after "
      "that are not the fault's effect, and this comparison is not a result of the experiment."));
}
