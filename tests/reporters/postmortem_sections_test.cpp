// The postmortem's rules, each on a journal the runner wrote
// (tests/data/journals/outcomes/, recorded by scripts/record-journals.sh):
// the lead sentence names the dominant measured impact, the figures of the
// incident window add up, a passed regression test has its own framing, a
// service that never recovered gets what would restore it, scripted notes
// are marked and answer their prompts, and action items do not repeat.

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "harness/common/verdict_rule.h"
#include "reporters/postmortem_view.h"
#include "reporters/reporter.h"
#include "reporters/xml_text.h"
#include "tests/reporters/reporter_test_support.h"

namespace {

using json = nlohmann::ordered_json;
using namespace faultline::reporters::testing;

json outcome(const std::string& name) {
  return journal_at("outcomes/" + name + ".json");
}

// "1.5 s" or "979 ms" in seconds.
double seconds_of(const std::string& text) {
  std::smatch m;
  REQUIRE(std::regex_search(text, m, std::regex("([0-9.]+) (s|ms)")));
  return std::stod(m[1].str()) / (m[2].str() == "ms" ? 1000.0 : 1.0);
}

}  // namespace

TEST_CASE("a latency-only incident leads with the slow responses, not a share that did not move",
          "[reporters][postmortem][lead]") {
  const json j = outcome("latency_nginx");
  REQUIRE(j["analysis"]["impact"]["failed"] == 0);
  REQUIRE(j["analysis"]["impact"]["slow"].get<int>() > 0);
  const json view = faultline::reporters::postmortem_view(j);
  const std::string lead = view["summary"].get<std::string>();
  INFO(lead);
  CHECK(contains(lead, std::to_string(j["analysis"]["impact"]["slow"].get<int>()) + " of " +
                           std::to_string(j["analysis"]["impact"]["requests"].get<int>()) +
                           " responses took longer than the 150 ms objective"));
  CHECK_FALSE(contains(lead, "% of the requests while the fault was in force"));
  CHECK_FALSE(contains(lead, "received"));
}

TEST_CASE("an incident with errors leads with them", "[reporters][postmortem][lead]") {
  const json j = outcome("incident");
  const std::string lead = faultline::reporters::postmortem_view(j)["summary"].get<std::string>();
  INFO(lead);
  CHECK(contains(lead, "failed 21% of requests (" +
                           std::to_string(j["analysis"]["impact"]["failed"].get<int>()) + " of " +
                           std::to_string(j["analysis"]["impact"]["requests"].get<int>()) + ")"));
}

TEST_CASE("the incident's duration is the time in force plus the time to recover, and the breach fits in it",
          "[reporters][postmortem][window]") {
  for (const char* name : {"incident", "latency_nginx", "regression_failed"}) {
    const json j = outcome(name);
    const json& a = j["analysis"];
    const json& im = a["impact"];
    INFO(name);
    // The journal's window: first inject to recovery.
    CHECK(im["start_s"].get<double>() == Approx(a["first_inject_s"].get<double>()));
    CHECK(im["end_s"].get<double>() == Approx(a["recovered_s"].get<double>()));
    CHECK(im["breach_s"].get<double>() <= im["end_s"].get<double>() - im["start_s"].get<double>() + 1e-9);
    // The resolution says so in figures that add up.
    const json view = faultline::reporters::postmortem_view(j);
    std::string said;
    for (const auto& line : view["resolution"]) {
      said += line.get<std::string>() + "\n";
    }
    INFO(said);
    std::smatch m;
    REQUIRE(std::regex_search(
        said, m,
        std::regex("the incident lasted ([0-9.]+ m?s) \\(([0-9.]+ m?s) with the fault in force, "
                   "then ([0-9.]+ m?s) to recover\\)")));
    CHECK(seconds_of(m[1].str()) == Approx(seconds_of(m[2].str()) + seconds_of(m[3].str())).margin(0.06));
    const double duration = im["end_s"].get<double>() - im["start_s"].get<double>();
    CHECK(seconds_of(m[1].str()) == Approx(duration).margin(0.06));
    // The Duration line states the same span.
    CHECK(contains(view["duration"].get<std::string>(), m[1].str()));
  }
}

TEST_CASE("a passed regression test reads as what the protection withstood",
          "[reporters][postmortem][passed]") {
  const std::string md = render_md(outcome("regression_passed"));
  CHECK(md.rfind("# Regression test passed: ", 0) == 0);
  CHECK(contains(md, "**Regression test passed** · Regression test report"));
  CHECK(contains(md, "no breach (none expected)"));
  CHECK(contains(md, "## What the Protection Withstood"));
  for (const char* absent :
       {"## Detection", "## Lessons Learned", "## Contributing Factors", "Incident postmortem",
        "not detected", "**[team]** Who", "**[team]** Which alert"}) {
    INFO(absent);
    CHECK_FALSE(contains(md, absent));
  }
}

TEST_CASE("a service that never came back gets what would restore it", "[reporters][postmortem][recovery]") {
  const json j = outcome("never_recovered");
  REQUIRE_FALSE((j["analysis"].contains("recovered_s") && j["analysis"]["recovered_s"].is_number()));
  const std::string md = render_md(j);
  const std::string restore =
      "web1 stayed down after crashing: restart it; reverting `lb_weight` alone does not "
      "bring it back.";
  CHECK(contains(section(md, "Issue Summary"), restore));
  CHECK(contains(section(md, "Root Cause and Resolution"), restore));
  CHECK(contains(section(md, "Contributing Factors"), "configured `on_overflow: crash`"));
  CHECK(contains(section(md, "Lessons Learned"), "web1 crashed at "));
  // A run that recovered has no such advice.
  CHECK_FALSE(contains(render_md(outcome("incident")), "alone does not"));
}

TEST_CASE("scripted notes are marked, and the prompts they or the experiment answer are dropped",
          "[reporters][postmortem][prompts]") {
  json j = outcome("latency_nginx");
  j["postmortem"]["detection"] = "";
  j["notes"] = json::array();
  const std::string bare = render_md(j);
  CHECK(contains(bare, "**[team]** Who escalated"));
  CHECK(contains(bare, "**[team]** Which alert or person noticed first"));
  j["notes"].push_back({{"t", 4.5}, {"text", "Escalating to the DevOps team"}, {"source", "method"}});
  j["postmortem"]["detection"] = "Latency alert on the storefront dashboard";
  const std::string md = render_md(j);
  CHECK(contains(md, "Scripted note, from the experiment's method: “Escalating to the DevOps team”"));
  CHECK_FALSE(contains(md, "**[team]** Who escalated"));
  CHECK_FALSE(contains(md, "**[team]** Which alert or person noticed first"));
  CHECK(contains(section(md, "Detection"),
                 "In production, in the experiment's words: Latency alert on the storefront dashboard"));
  // A prompt nothing answered stays.
  CHECK(contains(md, "**[team]** Who was paged"));
}

TEST_CASE("action items merge the team's with the suggested ones without repeats",
          "[reporters][postmortem][actions]") {
  json j = outcome("latency_nginx");
  j["postmortem"]["corrective_actions"] =
      json::array({"Alert on p99 latency per hop, not only on error rates"});
  const json view = faultline::reporters::postmortem_view(j);
  const json& rows = view["actions"];
  REQUIRE_FALSE(rows.empty());
  CHECK(rows[0]["action"] == "Alert on p99 latency per hop, not only on error rates");
  CHECK(rows[0]["owner"] == "**[team]**");
  for (const auto& r : rows) {
    INFO(r.dump());
    // The suggestion that says the same ("Alert on latency percentiles (p99)
    // per hop ...") is left out.
    CHECK_FALSE((r["action"].get<std::string>().rfind("Alert on latency percentiles", 0) == 0));
    CHECK(r["owner"] == "**[team]**");
  }
  const std::string md = render_md(j);
  CHECK(contains(section(md, "Action Items"), "| Action | Type | Priority | Owner |"));
}

TEST_CASE("the narrative carries no mechanism, Supporting Information does",
          "[reporters][postmortem][support]") {
  const std::string md = render_md(outcome("latency_nginx"));
  for (const char* title : {"Issue Summary", "Trigger", "Contributing Factors", "Timeline (America/New_York)",
                            "Root Cause and Resolution", "Lessons Learned", "Conclusion"}) {
    INFO(title);
    const std::string text = section(md, title);
    CHECK_FALSE(contains(text, "NFQUEUE"));
    CHECK_FALSE(contains(text, "netem"));
    CHECK_FALSE(contains(text, "pid "));
  }
  const std::string support = section(md, "Supporting Information");
  CHECK((contains(support, "NFQUEUE") || contains(support, "netem")));
  CHECK(contains(support, "`logs/lb/error.log`"));
  CHECK(contains(support, "latency_nginx.yaml"));
}

TEST_CASE("Supporting Information names the images' servers on a container runtime, not this machine's",
          "[reporters][postmortem][support]") {
  json j = outcome("incident");
  CHECK(contains(section(render_md(j), "Supporting Information"), "Software on "));
  j["environment"]["haproxy"] = "";
  j["environment"]["nginx"] = "";
  j["environment"]["servers"] = json::parse(R"([
    {"service": "lb", "image": "haproxy:2.8", "version": "HAProxy version 2.8.5"},
    {"service": "web1", "image": "nginx:1.25", "version": "", "why": "its container is not running"}])");
  const std::string support = section(render_md(j), "Supporting Information");
  CHECK(contains(support,
                 "Servers, from their images: lb: HAProxy version 2.8.5 (image haproxy:2.8); web1: "
                 "image nginx:1.25 (version not asked: its container is not running)."));
  CHECK_FALSE(contains(support, "nginx/1.22.1"));
}

TEST_CASE("Supporting Information names the incident class from the experiment's own tag",
          "[reporters][postmortem][support]") {
  json j = outcome("incident");
  j["experiment"]["tags"] = json::array({"incident", "incident-class:uneven-weights", "postmortem-000"});
  const std::string support = section(render_md(j), "Supporting Information");
  CHECK(contains(support, "The experiment's tags name its incident class: `uneven-weights`."));
  // Any other tag is a plain label: no line claims a document the user
  // does not have.
  CHECK_FALSE(contains(support, "postmortem-000"));
  CHECK_FALSE(contains(support, "reference"));
  // A bare prefix names no class.
  j["experiment"]["tags"] = json::array({"incident-class:"});
  CHECK_FALSE(contains(section(render_md(j), "Supporting Information"), "incident class"));
}

TEST_CASE("every document states the verdict in the one wording", "[reporters][postmortem][verdict]") {
  for (const char* name : {"incident", "regression_passed", "regression_failed", "aborted", "never_recovered",
                           "latency_nginx", "steady_state_failed"}) {
    const json j = outcome(name);
    faultline::RunOutcome o{};
    REQUIRE(faultline::parse_outcome(j["verdict"]["outcome"].get<std::string>(), o));
    INFO(name);
    CHECK(contains(render_md(j), std::string(faultline::verdict_headline(o))));
    const auto* junit = faultline::reporters::ReporterRegistry::instance().find("junit");
    CHECK(contains(junit->render(j, ""),
                   faultline::reporters::xml_escape(faultline::verdict_headline(o),
                                                    faultline::reporters::XmlContext::xml_text)));
  }
}

TEST_CASE("a team's action that names a directive replaces the suggestion naming it",
          "[reporters][postmortem][actions]") {
  json j = outcome("latency_nginx");
  j["postmortem"]["corrective_actions"] =
      json::array({"Tune proxy_read_timeout to the p99.9 of each upstream"});
  const json view = faultline::reporters::postmortem_view(j);
  int naming = 0;
  for (const auto& r : view["actions"]) {
    naming += contains(r["action"].get<std::string>(), "proxy_read_timeout") ? 1 : 0;
  }
  CHECK(naming == 1);
  // Prose that merely shares a hyphenated word is not a repeat.
  j["postmortem"]["corrective_actions"] = json::array({"Review load-balancer dashboards weekly"});
  bool kept_least_conn = false;
  const json prose = faultline::reporters::postmortem_view(j);
  for (const auto& r : prose["actions"]) {
    kept_least_conn = kept_least_conn || contains(r["action"].get<std::string>(), "least_conn");
  }
  CHECK(kept_least_conn);
}

TEST_CASE("no health check is said in the terms of the load balancer's kind",
          "[reporters][postmortem][factors]") {
  const json nginx = outcome("latency_nginx");
  REQUIRE(nginx["stack"]["services"][0]["kind"] == "nginx");
  const std::string md = render_md(nginx);
  CHECK(contains(section(md, "Contributing Factors"), "`max_fails=0`"));
  CHECK_FALSE(contains(section(md, "Contributing Factors"), "`check`"));
  const std::string haproxy = render_md(outcome("never_recovered"));
  CHECK(contains(section(haproxy, "Contributing Factors"), "no `check` on the server lines"));
}

TEST_CASE("a team action given with its columns fills them in the table",
          "[reporters][postmortem][actions]") {
  json j = outcome("incident");
  j["postmortem"]["corrective_actions"] = json::array({{{"action", "Reject weight changes above 4:1"},
                                                        {"type", "prevent"},
                                                        {"priority", "P1"},
                                                        {"owner", "platform"}}});
  const json view = faultline::reporters::postmortem_view(j);
  REQUIRE_FALSE(view["actions"].empty());
  const json& row = view["actions"][0];
  CHECK(row["action"] == "Reject weight changes above 4:1");
  CHECK(row["type"] == "prevent");
  CHECK(row["priority"] == "P1");
  CHECK(row["owner"] == "platform");
}
