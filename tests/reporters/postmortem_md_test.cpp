// The Markdown postmortem rendered from a journal recorded by a real run
// (tests/data/journals/weight_skew.json: HAProxy + 3 nginx, web1 weighted
// 8:1:1 from t+3 s to t+6 s).

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "reporters/reporter.h"

namespace {

using json = nlohmann::ordered_json;

json load_journal() {
  std::ifstream in(std::string(FAULTLINE_TEST_DATA) + "/journals/weight_skew.json");
  return json::parse(in);
}

std::string render_md(const json& j) {
  const auto* r = faultline::reporters::ReporterRegistry::instance().find("md");
  REQUIRE(r != nullptr);
  return r->render(j, "");
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("the postmortem has the sections of the hand-written ones", "[reporters][md]") {
  const std::string md = render_md(load_journal());
  for (const char* section : {"## Issue Summary", "## Timeline (UTC)", "## Root Cause and Resolution",
                              "## Corrective and Preventative Measures", "### Traffic per backend"}) {
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
  CHECK(
      contains(md, "web1 received " + std::to_string(web1) + "% of the traffic while the fault was active"));
  CHECK(contains(md, "| balance | `max_backend_share < 60%` | breached |"));
  CHECK(contains(md, "| availability | `error_rate < 1%` | held |"));
  CHECK(contains(md, "the weight of web1 on load balancer lb was set to 8"));
  CHECK(contains(md, "**SLO breach detected**"));
  CHECK(contains(md, "Note: operator note from the method"));
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
  CHECK(text.rfind(
            "Incident Integration - weight skew 8:1:1 on HAProxy on Integration stack: [0% of requests", 0) ==
        0);
  std::remove(path.c_str());
}
