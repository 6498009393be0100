// The HTML postmortem and its SVG charts, rendered from a journal recorded
// by a real run (tests/data/journals/weight_skew.json: HAProxy + 3 nginx,
// web1 weighted 8:1:1 from t+3 s to t+6 s) and from journals cut down to
// the edge cases a failed or aborted run leaves behind.

#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "harness/journal/journal.h"
#include "reporters/reporter.h"
#include "reporters/svg_charts.h"
#include "tests/reporters/reporter_test_support.h"

namespace {

using json = nlohmann::ordered_json;
using namespace faultline::reporters::testing;
using faultline::reporters::WindowMetric;

json load_journal() {
  return journal_at("weight_skew.json");
}

std::string render_html(const json& j) {
  return render_as("html", j);
}

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) {
    ++n;
  }
  return n;
}

// The numeric value of attribute `name` in the first element matching
// `element_start` (e.g. "<rect class=\"fault\"").
double attribute(const std::string& svg, const std::string& element_start, const std::string& name) {
  const size_t at = svg.find(element_start);
  REQUIRE(at != std::string::npos);
  const size_t end = svg.find('>', at);
  const std::string element = svg.substr(at, end - at);
  std::smatch m;
  REQUIRE(std::regex_search(element, m, std::regex(" " + name + "=\"([-0-9.]+)\"")));
  return std::stod(m[1].str());
}

}  // namespace

TEST_CASE("the HTML postmortem has the sections of the Markdown one", "[reporters][html]") {
  const std::string html = render_html(load_journal());
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  for (const char* section :
       {"<h2>Issue Summary</h2>", "<h2>Trigger</h2>", "<h2>Contributing Factors</h2>",
        "<h2>Timeline (UTC)</h2>", ">Traffic per backend</h3>", "<h2>Root Cause and Resolution</h2>",
        "<h2>Detection</h2>", "<h2>Lessons Learned</h2>", "<h2>Action Items</h2>", "<h2>Conclusion</h2>",
        "<h2>Supporting Information</h2>"}) {
    INFO(section);
    CHECK(contains(html, section));
  }
  // The same measured text as the Markdown postmortem, with its **bold**
  // shown as HTML rather than as asterisks.
  CHECK(contains(html, "the weight of web1 on load balancer lb was set to 8"));
  CHECK(contains(html, "<strong>SLO breach detected</strong>"));
  CHECK(contains(html, "Scripted note, from the experiment&#39;s method"));
  CHECK(contains(html, "<code>max_backend_share &lt; 60%</code>"));
  CHECK_FALSE(contains(html, "**"));
}

TEST_CASE("the HTML postmortem has one svg per chart", "[reporters][html]") {
  const std::string html = render_html(load_journal());
  // Throughput, error rate, p99 latency, the busiest backend's share over
  // time, and traffic per backend per phase.
  CHECK(count(html, "<svg") == 5);
  CHECK(count(html, "</svg>") == 5);
  CHECK(contains(html, "Throughput (responses/s)"));
  CHECK(contains(html, "Error rate (%)"));
  CHECK(contains(html, "p99 latency (ms)"));
  CHECK(contains(html, "Max backend share (%)"));
}

TEST_CASE("a fault is shaded from its injection to its revert on the time axis", "[reporters][html]") {
  const json j = load_journal();
  const std::string svg =
      faultline::reporters::window_metric_svg(faultline::journal::from_json(j), WindowMetric::throughput);
  const double plot_x = attribute(svg, "<rect class=\"plot\"", "x");
  const double plot_w = attribute(svg, "<rect class=\"plot\"", "width");
  const double fault_x = attribute(svg, "<rect class=\"fault\"", "x");
  const double fault_w = attribute(svg, "<rect class=\"fault\"", "width");
  // The run lasted 9 s; web1 was reweighted at t+3.001 s and back at t+6.003 s.
  const double end = j["end"]["t"].get<double>();
  const double injected = j["activities"][0]["injected_s"].get<double>();
  const double reverted = j["activities"][0]["reverted_s"].get<double>();
  CHECK(fault_x == Approx(plot_x + injected / end * plot_w).margin(0.2));
  CHECK(fault_x + fault_w == Approx(plot_x + reverted / end * plot_w).margin(0.2));
  CHECK(contains(svg, "Fault 1: lb_weight"));
  CHECK(count(svg, "class=\"fault\"") == 1);
}

TEST_CASE("a journal without faults has no shaded band", "[reporters][html]") {
  json j = load_journal();
  j["activities"] = json::array();
  CHECK_FALSE(contains(
      faultline::reporters::window_metric_svg(faultline::journal::from_json(j), WindowMetric::error_rate),
      "class=\"fault\""));
}

TEST_CASE("an objective on a charted metric is drawn as a dashed threshold", "[reporters][html]") {
  json j = load_journal();
  // The recorded run judged only error rate and balance: no latency line.
  CHECK_FALSE(contains(
      faultline::reporters::window_metric_svg(faultline::journal::from_json(j), WindowMetric::p99_latency),
      "threshold"));
  j["slo"]["objectives"].push_back({{"name", "latency"},
                                    {"expr", "p(99) < 4ms"},
                                    {"metric", "p99 latency"},
                                    {"comparator", "<"},
                                    {"threshold", 4.0}});
  const std::string svg =
      faultline::reporters::window_metric_svg(faultline::journal::from_json(j), WindowMetric::p99_latency);
  REQUIRE(count(svg, "class=\"threshold\"") == 1);
  CHECK(contains(svg, "stroke-dasharray"));
  CHECK(contains(svg, "SLO latency: p(99) &lt; 4ms"));
  // The line sits at 4 ms on the chart's own axis, which runs from 0 to 8 ms
  // (the 5.4 ms peak plus headroom, rounded up to a tick of 2 ms): halfway.
  CHECK(contains(svg, ">8</text>"));
  const double plot_y = attribute(svg, "<rect class=\"plot\"", "y");
  const double plot_h = attribute(svg, "<rect class=\"plot\"", "height");
  const double line_y = attribute(svg, "<line class=\"threshold\"", "y1");
  CHECK(line_y == Approx(plot_y + plot_h / 2).margin(0.2));
  // The balance objective is drawn on the busiest backend's share, at 60%.
  CHECK(contains(faultline::reporters::window_metric_svg(faultline::journal::from_json(j),
                                                         WindowMetric::max_backend_share),
                 "SLO balance: max_backend_share &lt; 60%"));
}

TEST_CASE("objective thresholds are read in the chart's unit", "[reporters][html]") {
  using faultline::reporters::objective_threshold;
  auto typed_objective = [](const char* metric, double threshold) {
    faultline::journal::Objective o;
    o.metric = metric;
    o.comparator = "<";
    o.threshold = threshold;
    return o;
  };
  CHECK(objective_threshold(typed_objective("p99 latency", 250), WindowMetric::p99_latency) == Approx(250));
  CHECK(objective_threshold(typed_objective("error rate", 0.005), WindowMetric::error_rate) == Approx(0.5));
  CHECK(objective_threshold(typed_objective("max backend share", 0.6), WindowMetric::max_backend_share) ==
        Approx(60));
  CHECK(objective_threshold(typed_objective("throughput", 500), WindowMetric::throughput) == Approx(500));
  CHECK_FALSE(objective_threshold(typed_objective("p95 latency", 250), WindowMetric::p99_latency));
  CHECK_FALSE(objective_threshold(typed_objective("error rate", 0.01), WindowMetric::p99_latency));
  // A journal from before thresholds were recorded: no line rather than a guess.
  faultline::journal::Objective old;
  old.metric = "error rate";
  old.expr = "error_rate < 1%";
  CHECK_FALSE(objective_threshold(old, WindowMetric::error_rate));
}

TEST_CASE("text from the journal is escaped in the page and in the charts", "[reporters][html]") {
  json j = load_journal();
  j["experiment"]["title"] = "<script>alert('title')</script>";
  j["activities"][0]["name"] = "<script>alert(1)</script>";
  j["phases"][1]["name"] = "<b>fault</b>";
  const std::string html = render_html(j);
  CHECK_FALSE(contains(html, "<script"));
  CHECK_FALSE(contains(html, "<b>fault"));
  CHECK(contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  CHECK(contains(html, "<h1>Postmortem: &lt;script&gt;"));
}

TEST_CASE("the page references nothing outside itself", "[reporters][html]") {
  const std::string html = render_html(load_journal());
  // A URL may appear in text (the journal records HAProxy's version line,
  // which has one) but never inside a tag, where it would be fetched or
  // followed: no src, href, xmlns or CSS url().
  const std::regex tag("<[^>]*>");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), tag); it != std::sregex_iterator(); ++it) {
    const std::string t = it->str();
    INFO(t);
    CHECK_FALSE(contains(t, "http://"));
    CHECK_FALSE(contains(t, "https://"));
    CHECK_FALSE(contains(t, " src="));
    CHECK_FALSE(contains(t, " href="));
  }
  CHECK_FALSE(contains(html, "url("));
  CHECK_FALSE(contains(html, "@import"));
  CHECK_FALSE(contains(html, "<link"));
  CHECK_FALSE(contains(html, "<script"));
}

TEST_CASE("the traffic chart gives each backend the same colour as the legend", "[reporters][html]") {
  const json j = load_journal();
  const std::string svg = faultline::reporters::phase_traffic_svg(faultline::journal::from_json(j));
  const auto order = faultline::reporters::backend_order(faultline::journal::from_json(j));
  REQUIRE(order == std::vector<std::string>{"web1", "web2", "web3"});
  // During the fault web1 answered 960 of 1201 requests.
  CHECK(contains(svg, "web1: 80% (960 requests)"));
  CHECK(contains(svg, ">80%</text>"));
  CHECK(contains(svg, "fill=\"" + faultline::reporters::backend_colour(0) +
                          "\" stroke=\"#ffffff\" stroke-width=\"1\">"
                          "<title>web1"));
  CHECK(count(svg, "class=\"share\"") == 9);
}

TEST_CASE("journals with nothing to chart still render, without NaN", "[reporters][html]") {
  json full = load_journal();
  std::vector<std::pair<std::string, json>> cases;
  cases.emplace_back("empty object", json::object());
  json no_windows = full;
  no_windows["windows"] = json::array();
  no_windows["phases"] = json::array();
  cases.emplace_back("no windows, no phases", no_windows);
  json single = full;
  single["windows"] = json::array({full["windows"][0]});
  single["end"]["t"] = 0.5;
  single["activities"] = json::array();
  cases.emplace_back("a single window, no faults", single);
  json no_backends = full;
  for (auto& w : no_backends["windows"]) {
    w["backends"] = json::object();
  }
  for (auto& p : no_backends["phases"]) {
    p["backends"] = json::object();
  }
  no_backends["stack"]["services"] = json::array();
  cases.emplace_back("no backends", no_backends);
  json idle = full;
  for (auto& w : idle["windows"]) {
    w["requests"] = 0;
    w["throughput"] = 0.0;
    w["errors"] = 0;
  }
  idle["activities"][0].erase("reverted_s");
  cases.emplace_back("windows without requests, a fault never reverted", idle);

  for (const auto& [name, j] : cases) {
    INFO(name);
    std::string html;
    REQUIRE_NOTHROW(html = render_html(j));
    CHECK(contains(html, "<h2>Issue Summary</h2>"));
    CHECK(count(html, "<svg") == count(html, "</svg>"));
    CHECK(count(html, "<svg") >= 3);
    for (const char* bad : {"nan", "inf\"", "NaN"}) {
      INFO(bad);
      CHECK_FALSE(contains(html, bad));
    }
  }
  // With no backend data there is no per-backend chart at all.
  CHECK(count(render_html(no_backends), "<svg") == 3);
}
