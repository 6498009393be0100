// The terminal summary printed at the end of `faultline run`, from the
// typed journal: what it says for a reproduced incident and for a run that
// proves nothing, read from journals the runner recorded.

#include "harness/runner/summary.h"

#include <catch2/catch.hpp>
#include <string>

#include "harness/common/text.h"
#include "harness/journal/journal.h"

namespace {

faultline::journal::Journal recorded(const std::string& outcome) {
  const std::string path = std::string(FAULTLINE_TEST_DATA) + "/journals/outcomes/" + outcome + ".json";
  return faultline::journal::from_json(faultline::journal::json::parse(faultline::read_text(path)));
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("the summary of a reproduced incident gives the phases, the breach and the expectation met",
          "[runner][summary]") {
  const auto j = recorded("incident");
  const std::string text = faultline::runner::render_summary(j);
  INFO(text);
  CHECK(has(text, " — run " + j.run_id + " completed"));
  CHECK(has(text, "backend shares"));
  for (const auto& p : j.phases) {
    CHECK(has(text, "  " + p.name));
  }
  CHECK(has(text, "FAIL"));
  CHECK(has(text, "  incident: t+"));
  CHECK(has(text, "expect breach: MET"));
  CHECK_FALSE(has(text, "NOT PROVEN"));
}

TEST_CASE("the summary of a run that proves nothing says so first and judges nothing", "[runner][summary]") {
  const auto j = recorded("not_proven");
  REQUIRE_FALSE(j.not_proven.empty());
  const std::string text = faultline::runner::render_summary(j);
  INFO(text);
  const auto header = text.find("NOT PROVEN");
  REQUIRE(header != std::string::npos);
  CHECK(header < text.find("backend shares"));
  CHECK(has(text, "  - " + j.not_proven.front()));
  CHECK(has(text, "not judged (the run proves nothing"));
  CHECK_FALSE(has(text, ": MET"));
}
