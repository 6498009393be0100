// Every registered reporter, rendered from one fixed journal
// (tests/data/journals/weight_skew.json), must match its approved golden file
// tests/data/golden/<file_name> byte for byte.
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

#include "reporters/reporter.h"

namespace {

using json = nlohmann::ordered_json;
namespace fs = std::filesystem;

const fs::path kGoldenDir = fs::path(FAULTLINE_TEST_DATA) / "golden";

json load_journal() {
  std::ifstream in(fs::path(FAULTLINE_TEST_DATA) / "journals" / "weight_skew.json");
  return json::parse(in);
}

bool updating_golden() {
  const char* v = std::getenv("FAULTLINE_UPDATE_GOLDEN");
  return v != nullptr && std::string(v) == "1";
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

// A whole document in a failure message hides the change; the first
// differing line, numbered, shows it.
std::string first_difference(const std::string& golden, const std::string& rendered) {
  const auto g = split_lines(golden);
  const auto r = split_lines(rendered);
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

TEST_CASE("every registered reporter renders the fixed journal exactly as its golden file",
          "[reporters][golden]") {
  const json journal = load_journal();
  const auto& reporters = faultline::reporters::ReporterRegistry::instance().all();
  REQUIRE_FALSE(reporters.empty());
  for (const auto& reporter : reporters) {
    DYNAMIC_SECTION("format " << reporter.format) {
      const fs::path golden_path = kGoldenDir / reporter.file_name;
      const std::string rendered = reporter.render(journal, "");
      if (updating_golden()) {
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
      const std::string golden = read_file(golden_path);
      INFO("golden file " << golden_path.string()
                          << " (if the change is intended, regenerate with FAULTLINE_UPDATE_GOLDEN=1)");
      if (rendered != golden) {
        FAIL_CHECK(first_difference(golden, rendered));
      }
    }
  }
}

TEST_CASE("every golden file belongs to a registered reporter", "[reporters][golden]") {
  std::set<std::string> expected{"README.md"};
  for (const auto& reporter : faultline::reporters::ReporterRegistry::instance().all()) {
    expected.insert(reporter.file_name);
  }
  for (const auto& entry : fs::directory_iterator(kGoldenDir)) {
    const std::string name = entry.path().filename().string();
    INFO("stale golden file " << entry.path().string() << ": no registered reporter writes " << name);
    CHECK(expected.count(name) == 1);
  }
}
