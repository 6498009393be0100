#include "harness/verify/objective.h"

#include <catch2/catch.hpp>
#include <string>

namespace faultline::verify {
namespace {

ObjectiveExpr parsed(const std::string& text) {
  auto result = parse_objective(text);
  if (const auto* error = std::get_if<ObjectiveError>(&result)) {
    FAIL("'" << text << "' did not parse: column " << error->column << ": " << error->message);
  }
  return std::get<ObjectiveExpr>(result);
}

ObjectiveError rejected(const std::string& text) {
  auto result = parse_objective(text);
  if (std::holds_alternative<ObjectiveExpr>(result)) {
    FAIL("'" << text << "' parsed but should not have");
  }
  return std::get<ObjectiveError>(result);
}

TEST_CASE("an error rate objective takes a percentage or a fraction", "[verify][grammar]") {
  const ObjectiveExpr percent = parsed("error_rate < 0.5%");
  CHECK(percent.metric == Metric::error_rate);
  CHECK(percent.op == Comparator::lt);
  CHECK(percent.threshold == Approx(0.005));
  CHECK(percent.text == "error_rate < 0.5%");

  const ObjectiveExpr fraction = parsed("error_rate<=0.005");
  CHECK(fraction.op == Comparator::le);
  CHECK(fraction.threshold == Approx(0.005));

  CHECK(parsed("error_rate < 100%").threshold == Approx(1.0));
  CHECK(parsed("error_rate > .5").threshold == Approx(0.5));
}

TEST_CASE("a percentile objective keeps its threshold in milliseconds", "[verify][grammar]") {
  const ObjectiveExpr p99 = parsed("p(99) < 250ms");
  CHECK(p99.metric == Metric::percentile);
  CHECK(p99.percentile == 99);
  CHECK(p99.op == Comparator::lt);
  CHECK(p99.threshold == Approx(250));

  CHECK(parsed("p(99.9)<1.5s").percentile == Approx(99.9));
  CHECK(parsed("p(99.9)<1.5s").threshold == Approx(1500));
  CHECK(parsed("p(50) >= 100us").threshold == Approx(0.1));
  CHECK(parsed("p(50) >= 100us").op == Comparator::ge);
  CHECK(parsed("p(100) > 2m").threshold == Approx(120'000));
  CHECK(parsed("p(100) > 2m").op == Comparator::gt);
}

TEST_CASE("a bare latency threshold is milliseconds, as in k6", "[verify][grammar]") {
  CHECK(parsed("p(95)<500").threshold == Approx(500));
}

TEST_CASE("whitespace between tokens does not matter", "[verify][grammar]") {
  const ObjectiveExpr spaced = parsed("  p ( 99 )   <=  250 ms ");
  CHECK(spaced.percentile == 99);
  CHECK(spaced.op == Comparator::le);
  CHECK(spaced.threshold == Approx(250));
  CHECK(parsed("max_backend_share<60%").threshold == Approx(0.6));
}

TEST_CASE("a max backend share objective takes a percentage", "[verify][grammar]") {
  const ObjectiveExpr share = parsed("max_backend_share < 60%");
  CHECK(share.metric == Metric::max_backend_share);
  CHECK(share.threshold == Approx(0.6));
}

TEST_CASE("an empty objective is rejected", "[verify][grammar]") {
  const ObjectiveError e = rejected("   ");
  CHECK(e.column == 0);
  CHECK(e.message == "empty objective");
}

TEST_CASE("an unknown metric is reported with the nearest known one", "[verify][grammar]") {
  const ObjectiveError typo = rejected("eror_rate < 0.5%");
  CHECK(typo.column == 0);
  CHECK(typo.message == "unknown metric 'eror_rate'");
  CHECK(typo.hint == "did you mean 'error_rate'?");

  CHECK(rejected("  max_backend_shares < 60%").column == 2);
  CHECK(rejected("  max_backend_shares < 60%").hint == "did you mean 'max_backend_share'?");
  CHECK(rejected("Error_Rate < 1%").hint == "did you mean 'error_rate'?");
  CHECK(rejected("errro_rate < 1%").hint == "did you mean 'error_rate'?");
}

TEST_CASE("a metric unlike any known one lists the known metrics", "[verify][grammar]") {
  const ObjectiveError e = rejected("latency < 250ms");
  CHECK(e.message == "unknown metric 'latency'");
  CHECK(e.hint == "known metrics: error_rate, p(N), max_backend_share");
}

TEST_CASE("p99 written dashboard-style points to p(99)", "[verify][grammar]") {
  const ObjectiveError e = rejected("p99 < 250ms");
  CHECK(e.column == 0);
  CHECK(e.message == "unknown metric 'p99'");
  CHECK(e.hint == "did you mean 'p(99)'?");
}

TEST_CASE("an objective that does not start with a metric is rejected", "[verify][grammar]") {
  const ObjectiveError e = rejected("< 5%");
  CHECK(e.column == 0);
  CHECK(e.message == "expected a metric name, found '<'");
}

TEST_CASE("a percentile outside 0 to 100 is rejected at the number", "[verify][grammar]") {
  const ObjectiveError zero = rejected("p(0) < 1s");
  CHECK(zero.column == 2);
  CHECK(zero.message == "percentile must be in (0, 100], got 0");
  const ObjectiveError over = rejected("p(101) < 1s");
  CHECK(over.column == 2);
  CHECK(over.message == "percentile must be in (0, 100], got 101");
}

TEST_CASE("a percentile that is not a number is rejected", "[verify][grammar]") {
  const ObjectiveError e = rejected("p(abc) < 1s");
  CHECK(e.column == 2);
  CHECK(e.message == "percentile must be a number in (0, 100], got 'abc'");
  CHECK(rejected("p() < 1s").message == "missing percentile");
  CHECK(rejected("p() < 1s").column == 2);
}

TEST_CASE("a percentile without its parentheses is rejected", "[verify][grammar]") {
  const ObjectiveError open = rejected("p < 1s");
  CHECK(open.column == 2);
  CHECK(open.message == "expected '(' after 'p', found '<'");
  const ObjectiveError close = rejected("p(99 < 1s");
  CHECK(close.column == 5);
  CHECK(close.message == "expected ')' after the percentile, found '<'");
}

TEST_CASE("a metric without argument refuses one", "[verify][grammar]") {
  const ObjectiveError e = rejected("error_rate(5xx) < 1%");
  CHECK(e.column == 10);
  CHECK(e.message == "'error_rate' takes no argument");
}

TEST_CASE("a missing comparator is reported where it should be", "[verify][grammar]") {
  const ObjectiveError found = rejected("error_rate 0.5%");
  CHECK(found.column == 11);
  CHECK(found.message == "expected a comparator, found '0.5'");
  CHECK(found.hint == "compare with <, <=, > or >=, e.g. 'error_rate < 0.5%'");

  const ObjectiveError at_end = rejected("error_rate");
  CHECK(at_end.column == 10);
  CHECK(at_end.message == "missing comparator");
}

TEST_CASE("equality comparators are rejected with the ones that exist", "[verify][grammar]") {
  const ObjectiveError e = rejected("error_rate == 0");
  CHECK(e.column == 11);
  CHECK(e.message == "unsupported comparator '=='");
  CHECK(e.hint == "compare with <, <=, > or >=");
  CHECK(rejected("p(99) != 1s").message == "unsupported comparator '!='");
}

TEST_CASE("a missing threshold is reported after the comparator", "[verify][grammar]") {
  const ObjectiveError e = rejected("error_rate <");
  CHECK(e.column == 12);
  CHECK(e.message == "missing threshold after '<'");
  CHECK(e.hint == "e.g. 'error_rate < 0.5%'");

  const ObjectiveError word = rejected("p(99) < fast");
  CHECK(word.column == 8);
  CHECK(word.message == "expected a number after '<', found 'fast'");
}

TEST_CASE("an error rate above 1 without a percent sign is rejected", "[verify][grammar]") {
  const ObjectiveError e = rejected("error_rate < 5");
  CHECK(e.column == 13);
  CHECK(e.message == "threshold 5 of error_rate is not a fraction");
  CHECK(e.hint == "write '5%' for a percentage, or a fraction between 0 and 1");
}

TEST_CASE("a rate above 100% is rejected", "[verify][grammar]") {
  const ObjectiveError e = rejected("max_backend_share < 150%");
  CHECK(e.column == 20);
  CHECK(e.message == "max_backend_share cannot exceed 100%, got 150%");
}

TEST_CASE("a ratio threshold refuses a unit", "[verify][grammar]") {
  const ObjectiveError e = rejected("error_rate < 5ms");
  CHECK(e.column == 14);
  CHECK(e.message == "error_rate is a ratio and takes no unit, got 'ms'");
}

TEST_CASE("a latency threshold refuses a percentage and unknown units", "[verify][grammar]") {
  const ObjectiveError percent = rejected("p(99) < 25%");
  CHECK(percent.column == 10);
  CHECK(percent.message == "p99 latency is a latency, not a percentage");

  const ObjectiveError unit = rejected("p(99) < 250 mz");
  CHECK(unit.column == 12);
  CHECK(unit.message == "unknown duration unit 'mz'");
  CHECK(unit.hint == "did you mean 'ms'? (units: us, ms, s, m)");

  CHECK(rejected("p(99) < 2 hours").hint == "units: us, ms, s, m");
}

TEST_CASE("anything after the threshold is rejected", "[verify][grammar]") {
  const ObjectiveError word = rejected("p(99) < 250ms extra");
  CHECK(word.column == 14);
  CHECK(word.message == "unexpected 'extra' after the threshold");
  const ObjectiveError symbol = rejected("error_rate < 0.5% $");
  CHECK(symbol.column == 18);
  CHECK(symbol.message == "unexpected '$' after the threshold");
}

TEST_CASE("holds compares the value with the threshold by the comparator", "[verify]") {
  CHECK(holds(parsed("error_rate < 1%"), 0.009));
  CHECK_FALSE(holds(parsed("error_rate < 1%"), 0.01));
  CHECK(holds(parsed("error_rate <= 1%"), 0.01));
  CHECK_FALSE(holds(parsed("error_rate <= 1%"), 0.011));
  CHECK(holds(parsed("p(50) > 1ms"), 1.5));
  CHECK_FALSE(holds(parsed("p(50) > 1ms"), 1.0));
  CHECK(holds(parsed("p(50) >= 1ms"), 1.0));
  CHECK_FALSE(holds(parsed("p(50) >= 1ms"), 0.9));
}

TEST_CASE("values and labels are written in the metric's own terms", "[verify]") {
  CHECK(format_value(parsed("error_rate < 1%"), 0.042) == "4.20%");
  CHECK(format_value(parsed("max_backend_share < 60%"), 0.61) == "61.0%");
  CHECK(format_value(parsed("p(99) < 1s"), 0.42) == "0.42 ms");
  CHECK(format_value(parsed("p(99) < 1s"), 12.34) == "12.3 ms");
  CHECK(format_value(parsed("p(99) < 1s"), 1520) == "1520 ms");

  CHECK(metric_label(parsed("error_rate < 1%")) == "error rate");
  CHECK(metric_label(parsed("p(99) < 1s")) == "p99 latency");
  CHECK(metric_label(parsed("p(99.9) < 1s")) == "p99.9 latency");
  CHECK(metric_label(parsed("max_backend_share < 60%")) == "max backend share");
  CHECK(to_string(Comparator::le) == "<=");
}

TEST_CASE("measure reads the metric from a window and nothing from an empty one", "[verify]") {
  WindowStats window;
  CHECK_FALSE(measure(parsed("error_rate < 1%"), window).has_value());
  CHECK_FALSE(measure(parsed("p(99) < 1s"), window).has_value());
  CHECK_FALSE(measure(parsed("max_backend_share < 60%"), window).has_value());

  window.requests = 4;
  window.errors = 1;
  window.sorted_latencies_ms = {1, 2, 3, 40};
  window.backend_counts = {{"", 1}, {"web1", 3}};
  CHECK(*measure(parsed("error_rate < 1%"), window) == Approx(0.25));
  CHECK(*measure(parsed("p(99) < 1s"), window) == Approx(40));
  CHECK(*measure(parsed("p(50) < 1s"), window) == Approx(2));
  CHECK(*measure(parsed("max_backend_share < 60%"), window) == Approx(1.0));
}

TEST_CASE("max backend share is not measured when no backend named itself", "[verify]") {
  WindowStats window;
  window.requests = 3;
  window.backend_counts = {{"", 3}};
  CHECK_FALSE(measure(parsed("max_backend_share < 60%"), window).has_value());
}

}  // namespace
}  // namespace faultline::verify
