// External targets through validation and the run's gate: `faultline
// validate` accepts a listed one, `faultline run` refuses it without
// --allow-external, and a run that allows it records it in the journal.
// No test here sends traffic anywhere: the address is TEST-NET-1.

#include <catch2/catch.hpp>

#include "harness/runner/journal.h"
#include "harness/runner/validate.h"
#include "tests/test_data.h"

using faultline::testing::experiment_data;
using namespace faultline;

TEST_CASE("validation accepts a listed external target and the run refuses it without the flag",
          "[runner][external_targets]") {
  experiment::Diagnostics diags;
  const auto v = runner::validate(experiment_data("external_target.yaml"), {}, diags);
  INFO(diags.format());
  REQUIRE(v);
  CHECK_FALSE(v->exp.allow_external);
  CHECK(runner::describe_external_targets(v->exp.stack) == "partner-sandbox (192.0.2.1)");

  const std::string refusal = runner::external_targets_refusal(*v, false);
  CHECK_THAT(refusal, Catch::Matchers::Contains("external_target.yaml:8:41: error: external target "
                                                "'partner-sandbox' (192.0.2.1)"));
  CHECK_THAT(refusal, Catch::Matchers::Contains("--allow-external"));
  CHECK(runner::external_targets_refusal(*v, true).empty());
}

TEST_CASE("an experiment without external targets needs no flag", "[runner][external_targets]") {
  experiment::Diagnostics diags;
  const auto v = runner::validate(experiment_data("good_minimal.yaml"), {}, diags);
  REQUIRE(v);
  CHECK(runner::external_targets_refusal(*v, false).empty());
}

TEST_CASE("an address outside the stack that is not listed fails validation at the parameter",
          "[runner][external_targets][bad-config]") {
  experiment::Diagnostics diags;
  const auto v = runner::validate(experiment_data("external_unlisted.yaml"), {}, diags);
  CHECK_FALSE(v);
  const std::string text = diags.format();
  CHECK_THAT(text, Catch::Matchers::Contains(
                       "external_unlisted.yaml:13:85: error: address 192.0.2.1 is outside the run's subnet"));
  CHECK_THAT(text,
             Catch::Matchers::Contains("list it under stack.external_targets and run with --allow-external"));
}

TEST_CASE("the journal records the external targets a run allowed", "[runner][external_targets][journal]") {
  for (const bool allow : {false, true}) {
    experiment::Diagnostics diags;
    const auto v = runner::validate(experiment_data("external_target.yaml"), {}, diags, allow);
    REQUIRE(v);
    CHECK(v->exp.allow_external == allow);
    const auto journal = journal::to_json(runner::make_journal(*v, runner::RunRecord{}));
    const auto& external = journal["stack"]["external_targets"];
    REQUIRE(external.is_array());
    if (allow) {
      REQUIRE(external.size() == 1);
      CHECK(external[0]["name"] == "partner-sandbox");
      CHECK(external[0]["address"] == "192.0.2.1");
      CHECK(external[0]["reason"] == "the partner asked for this drill");
    } else {
      CHECK(external.empty());
    }
  }
}
