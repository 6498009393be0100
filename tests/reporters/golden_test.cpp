// The reporters rendered from journals the runner actually wrote, one per
// outcome (tests/data/journals/outcomes/<outcome>.json, recorded by
// scripts/record-journals.sh), must match their approved golden files
// tests/data/golden/<outcome>/<file_name> byte for byte: every registered
// reporter for the reproduced incident, the postmortem and JUnit for the
// other outcomes (their HTML differs from the incident's by the same view).
//
// Nothing is normalised: a report is a function of the journal alone (even the
// postmortem's "generated" line is the run's start time from the journal), so
// any difference is a change in the output. If a reporter ever prints
// something that legitimately varies, normalise that one thing here, with a
// comment saying why.
//
// FAULTLINE_UPDATE_GOLDEN=1 rewrites the golden files from the current output
// instead of comparing (see tests/data/golden/README.md).

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "harness/common/text.h"
#include "reporters/reporter.h"

namespace {

using json = nlohmann::ordered_json;
namespace fs = std::filesystem;

const fs::path kGoldenDir = fs::path(FAULTLINE_TEST_DATA) / "golden";

const fs::path kOutcomeJournals = fs::path(FAULTLINE_TEST_DATA) / "journals" / "outcomes";

json load_journal(const fs::path& path) {
  std::ifstream in(path);
  return json::parse(in);
}

// The recorded outcome journals, by name ("incident", "never_recovered"...).
std::vector<std::string> outcome_names() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kOutcomeJournals)) {
    if (entry.path().extension() == ".json") {
      names.push_back(entry.path().stem().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Which reporters each outcome's golden files cover.
bool golden_for(const std::string& outcome, const std::string& format) {
  return outcome == "incident" || format == "md" || format == "junit";
}

bool updating_golden() {
  const char* v = std::getenv("FAULTLINE_UPDATE_GOLDEN");
  return v != nullptr && std::string(v) == "1";
}

// A whole document in a failure message hides the change; the first
// differing line, numbered, shows it.
std::string first_difference(const std::string& golden, const std::string& rendered) {
  const auto g = faultline::split_lines(golden);
  const auto r = faultline::split_lines(rendered);
  for (size_t i = 0; i < std::max(g.size(), r.size()); ++i) {
    const std::string gl = i < g.size() ? "\"" + g[i] + "\"" : "(end of file)";
    const std::string rl = i < r.size() ? "\"" + r[i] + "\"" : "(end of file)";
    if (gl != rl) {
      return "first difference at line " + std::to_string(i + 1) + "\n  golden:   " + gl +
             "\n  rendered: " + rl;
    }
  }
  return "the lines are equal; the documents differ in their final line break";
}

}  // namespace

TEST_CASE("the reporters render each recorded outcome exactly as its golden files", "[reporters][golden]") {
  const auto& reporters = faultline::reporters::ReporterRegistry::instance().all();
  REQUIRE_FALSE(reporters.empty());
  const auto outcomes = outcome_names();
  // Incident reproduced, regression passed and failed, not proven, aborted,
  // steady state failed, never recovered: the documents the reporter writes.
  REQUIRE(outcomes.size() >= 7);
  for (const auto& outcome : outcomes) {
    const json journal = load_journal(kOutcomeJournals / (outcome + ".json"));
    for (const auto& reporter : reporters) {
      if (!golden_for(outcome, reporter.format)) {
        continue;
      }
      DYNAMIC_SECTION(outcome << ", format " << reporter.format) {
        const fs::path golden_path = kGoldenDir / outcome / reporter.file_name;
        const std::string rendered = reporter.render(journal, "");
        if (updating_golden()) {
          fs::create_directories(golden_path.parent_path());
          std::ofstream(golden_path, std::ios::binary) << rendered;
          WARN("FAULTLINE_UPDATE_GOLDEN=1: rewrote " << golden_path.string() << "; review the change");
          continue;
        }
        if (!fs::exists(golden_path)) {
          FAIL_CHECK("reporter '" << reporter.format << "' has no golden file " << golden_path.string()
                                  << "; create it with FAULTLINE_UPDATE_GOLDEN=1 test_reporters '[golden]'"
                                  << " and review it before committing");
          continue;
        }
        const std::string golden = faultline::read_text(golden_path.string());
        INFO("golden file " << golden_path.string()
                            << " (if the change is intended, regenerate with FAULTLINE_UPDATE_GOLDEN=1)");
        if (rendered != golden) {
          FAIL_CHECK(first_difference(golden, rendered));
        }
      }
    }
  }
}

TEST_CASE("every golden file belongs to a recorded outcome and a registered reporter",
          "[reporters][golden]") {
  const auto outcomes = outcome_names();
  for (const auto& entry : fs::recursive_directory_iterator(kGoldenDir)) {
    if (entry.is_directory()) {
      const std::string name = entry.path().filename().string();
      INFO("stale golden folder " << entry.path().string() << ": no journal " << name << ".json in "
                                  << kOutcomeJournals.string());
      CHECK(std::find(outcomes.begin(), outcomes.end(), name) != outcomes.end());
      continue;
    }
    if (entry.path().parent_path() == kGoldenDir) {
      INFO("stray file " << entry.path().string() << ": golden files live in a folder per outcome");
      CHECK(entry.path().filename() == "README.md");
      continue;
    }
    const std::string outcome = entry.path().parent_path().filename().string();
    const std::string name = entry.path().filename().string();
    bool known = false;
    for (const auto& reporter : faultline::reporters::ReporterRegistry::instance().all()) {
      known = known || (reporter.file_name == name && golden_for(outcome, reporter.format));
    }
    INFO("stale golden file " << entry.path().string() << ": no registered reporter writes it for "
                              << outcome);
    CHECK(known);
  }
}
