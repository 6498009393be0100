// The abort-condition grammar: an objective, then optionally "for <duration>".

#include "harness/runner/abort_rule.h"

#include <catch2/catch.hpp>

using faultline::runner::AbortRule;
using faultline::runner::parse_abort_rule;
using faultline::verify::ObjectiveError;
using namespace std::chrono_literals;

TEST_CASE("an abort condition with 'for' keeps the objective and the duration", "[runner][abort]") {
  auto parsed = parse_abort_rule("error_rate > 50% for 5s");
  REQUIRE(std::holds_alternative<AbortRule>(parsed));
  const auto& rule = std::get<AbortRule>(parsed);
  CHECK(rule.condition.metric == faultline::verify::Metric::error_rate);
  CHECK(rule.condition.op == faultline::verify::Comparator::gt);
  CHECK(rule.condition.threshold == Approx(0.5));
  CHECK(rule.sustained == 5s);
  CHECK(rule.text == "error_rate > 50% for 5s");
}

TEST_CASE("an abort condition without 'for' lasts one window", "[runner][abort]") {
  auto parsed = parse_abort_rule("p(99) >= 2s");
  REQUIRE(std::holds_alternative<AbortRule>(parsed));
  const auto& rule = std::get<AbortRule>(parsed);
  CHECK(rule.condition.metric == faultline::verify::Metric::percentile);
  CHECK(rule.condition.threshold == Approx(2000));
  CHECK(rule.sustained == 0s);
}

TEST_CASE("a missing or bad duration after 'for' is reported at its column", "[runner][abort][bad-config]") {
  auto missing = parse_abort_rule("error_rate > 50% for ");
  REQUIRE(std::holds_alternative<ObjectiveError>(missing));
  CHECK(std::get<ObjectiveError>(missing).column == 21);
  CHECK(std::get<ObjectiveError>(missing).message == "expected a duration after 'for'");

  auto bad = parse_abort_rule("error_rate > 50% for five");
  REQUIRE(std::holds_alternative<ObjectiveError>(bad));
  CHECK(std::get<ObjectiveError>(bad).column == 21);
  CHECK(std::get<ObjectiveError>(bad).message == "'five' is not a duration");

  auto zero = parse_abort_rule("error_rate > 50% for 0s");
  REQUIRE(std::holds_alternative<ObjectiveError>(zero));
  CHECK(std::get<ObjectiveError>(zero).column == 21);
}

TEST_CASE("an error in the condition keeps the objective parser's column", "[runner][abort][bad-config]") {
  auto parsed = parse_abort_rule("latency > 50% for 5s");
  REQUIRE(std::holds_alternative<ObjectiveError>(parsed));
  CHECK(std::get<ObjectiveError>(parsed).column == 0);

  auto no_threshold = parse_abort_rule("error_rate > for 5s");
  REQUIRE(std::holds_alternative<ObjectiveError>(no_threshold));
  CHECK(std::get<ObjectiveError>(no_threshold).column >= 11);
}

TEST_CASE("'for' inside a longer word does not split the condition", "[runner][abort][bad-config]") {
  auto parsed = parse_abort_rule("error_rate > 50% forever");
  REQUIRE(std::holds_alternative<ObjectiveError>(parsed));
  CHECK(std::get<ObjectiveError>(parsed).column == 17);
}
