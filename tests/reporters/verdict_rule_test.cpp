// The one verdict rule, as every reporter reads it from a journal: a run
// that proves nothing is no pass and no fix anywhere, and a drill whose only
// breach came before its fault did not reproduce the incident.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "reporters/compare_view.h"
#include "reporters/journal_outcome.h"
#include "reporters/postmortem_view.h"
#include "reporters/reporter.h"

namespace {

using json = nlohmann::ordered_json;
using namespace faultline;
using namespace faultline::reporters;

json load(const std::string& name) {
  return load_journal_file(std::string(FAULTLINE_TEST_DATA) + "/journals/" + name);
}

std::string render(const char* format, const json& journal) {
  const auto* reporter = ReporterRegistry::instance().find(format);
  REQUIRE(reporter != nullptr);
  return reporter->render(journal, "");
}

// The fixed run of the weight-skew pair, as if its fault had not applied.
json fixed_run_not_proven() {
  json j = load("weight_skew_fixed.json");
  j["status"] = "not_proven";
  j["expectation_met"] = false;
  j["not_proven"] =
      json::array({"fault 1 (lb_weight on lb) did not apply: inject failed: the runtime API refused"});
  j["verdict"] = {{"outcome", "not_proven"},
                  {"expectation_met", false},
                  {"exit_code", 3},
                  {"breached_after_fault", false},
                  {"breached_any", false}};
  return j;
}

}  // namespace

TEST_CASE("every reporter reads the same outcome from a journal", "[reporters][verdict]") {
  for (const auto& [status, expect, after_fault, any, outcome] :
       std::vector<std::tuple<std::string, std::string, bool, bool, RunOutcome>>{
           {"completed", "hold", false, false, RunOutcome::passed},
           {"completed", "hold", false, true, RunOutcome::regression},
           {"completed", "breach", true, true, RunOutcome::incident},
           {"completed", "breach", false, true, RunOutcome::not_reproduced},
           {"not_proven", "hold", false, false, RunOutcome::not_proven},
           {"aborted", "breach", true, true, RunOutcome::aborted},
       }) {
    INFO(status << " " << expect << " " << after_fault << " " << any);
    json j = load("weight_skew.json");
    j["status"] = status;
    j["expect"] = expect;
    j.erase("verdict");
    if (!after_fault) {
      j["analysis"]["first_breach_s"] = nullptr;
    }
    for (auto& o : j["slo"]["objectives"]) {
      o["breached"] = any && o.value("breached", false);
    }
    if (any) {
      j["slo"]["objectives"][0]["breached"] = true;
    }
    // Without a recorded verdict the rule is applied to the journal ...
    CHECK(journal_outcome(journal::from_json(j)).outcome == outcome);
    CHECK(postmortem_view(j)["outcome"] == std::string(to_string(outcome)));
    // ... and a recorded one is taken as it is.
    j["verdict"] = {{"outcome", std::string(to_string(outcome))}};
    CHECK(journal_outcome(journal::from_json(j)).outcome == outcome);
    const json c = compare_view(j, j, "a.json", "b.json");
    CHECK(c["before"]["exit_code"] == exit_code(outcome));
  }
}

TEST_CASE("compare never calls a run that proves nothing a fix", "[reporters][verdict][compare]") {
  const json before = load("weight_skew.json");
  const json proven = compare_view(before, load("weight_skew_fixed.json"), "before.json", "after.json");
  CHECK(proven["conclusion"].get<std::string>().rfind("The fix holds", 0) == 0);

  const json v = compare_view(before, fixed_run_not_proven(), "before.json", "after.json");
  const std::string conclusion = v["conclusion"].get<std::string>();
  CHECK(conclusion.find("The fix holds") == std::string::npos);
  CHECK(conclusion.find("The after run proves nothing (fault 1 (lb_weight on lb) did not apply") == 0);
  CHECK(v["after"]["exit_code"] == 3);
  CHECK(v["after"]["expectation_met"] == false);

  const json reversed = compare_view(fixed_run_not_proven(), load("weight_skew_fixed.json"), "b", "a");
  CHECK(reversed["conclusion"].get<std::string>().find("the before run proves nothing") != std::string::npos);
}

TEST_CASE("a run that proves nothing is no pass in the postmortem or JUnit", "[reporters][verdict]") {
  const json j = fixed_run_not_proven();
  const std::string md = render("md", j);
  CHECK(md.rfind("# Run not proven: no verdict", 0) == 0);
  CHECK(md.find("Regression test passed") == std::string::npos);
  CHECK(md.find("did not apply") != std::string::npos);
  const std::string xml = render("junit", j);
  CHECK(xml.find("type=\"NotProven\"") != std::string::npos);
  CHECK(xml.find("failures=\"0\" errors=\"1\"") != std::string::npos);
}
