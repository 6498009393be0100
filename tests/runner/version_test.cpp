// One release number for the whole binary: what `faultline --version`
// prints, beside the commit it was built from, is what a run's journal
// records as faultline_version (harness/common/version.h).

#include "harness/cli/version.h"

#include <catch2/catch.hpp>
#include <regex>
#include <string>

#include "harness/common/version.h"
#include "harness/runner/journal.h"
#include "tests/cli_capture.h"

using namespace faultline;

TEST_CASE("the release number is a version of three numbers", "[runner][version]") {
  const std::string release(faultline::version());
  CHECK(std::regex_match(release, std::regex(R"(\d+\.\d+\.\d+)")));
}

TEST_CASE("faultline --version prints the release and the commit, and exits 0", "[runner][version][cli]") {
  testing::CapturedOutput captured;
  REQUIRE(testing::faultline_main({"faultline", "--version"}) == 0);
  const std::string release(faultline::version());
  CHECK(captured.out() == cli::version_line() + "\n");
  // The commit is a short hash, or "unknown" outside a git checkout.
  const std::regex line("faultline " + std::regex_replace(release, std::regex(R"(\.)"), R"(\.)") +
                        R"( \(commit ([0-9a-f]{7,}|unknown)\)\n)");
  CHECK(std::regex_match(captured.out(), line));
  CHECK(captured.err().empty());
}

TEST_CASE("faultline --help names --version", "[runner][version][cli]") {
  testing::CapturedOutput captured;
  REQUIRE(testing::faultline_main({"faultline", "--help"}) == 0);
  CHECK(captured.out().find("--version") != std::string::npos);
}

TEST_CASE("the journal records the release faultline --version prints", "[runner][version][journal]") {
  const runner::ValidatedExperiment v;
  const runner::RunRecord rec;
  const auto journal = journal::to_json(runner::make_journal(v, rec));
  CHECK(journal["faultline_version"].get<std::string>() == std::string(faultline::version()));
}
