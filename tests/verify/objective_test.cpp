#include "harness/verify/objective.h"

#include <catch2/catch.hpp>
#include <optional>
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

// A text the grammar must reject, and what it must say: where (the column,
// 0-based) and what; a field left out is not checked for that text.
struct Rejection {
  const char* behaviour;
  const char* text;
  std::optional<int> column = std::nullopt;
  const char* message = nullptr;
  const char* hint = nullptr;
};

TEST_CASE("malformed objectives are rejected at the column of the problem, with a hint",
          "[verify][grammar]") {
  const Rejection cases[] = {
      {"an empty objective is rejected", "   ", 0, "empty objective"},
      {"an unknown metric is reported with the nearest known one", "eror_rate < 0.5%", 0,
       "unknown metric 'eror_rate'", "did you mean 'error_rate'?"},
      {"an unknown metric is reported with the nearest known one", "  max_backend_shares < 60%", 2, nullptr,
       "did you mean 'max_backend_share'?"},
      {"an unknown metric is reported with the nearest known one", "Error_Rate < 1%", std::nullopt, nullptr,
       "did you mean 'error_rate'?"},
      {"an unknown metric is reported with the nearest known one", "errro_rate < 1%", std::nullopt, nullptr,
       "did you mean 'error_rate'?"},
      {"a metric unlike any known one lists the known metrics", "latency < 250ms", std::nullopt,
       "unknown metric 'latency'", "known metrics: error_rate, p(N), max_backend_share"},
      {"p99 written dashboard-style points to p(99)", "p99 < 250ms", 0, "unknown metric 'p99'",
       "did you mean 'p(99)'?"},
      {"an objective that does not start with a metric is rejected", "< 5%", 0,
       "expected a metric name, found '<'"},
      {"a percentile outside 0 to 100 is rejected at the number", "p(0) < 1s", 2,
       "percentile must be in (0, 100], got 0"},
      {"a percentile outside 0 to 100 is rejected at the number", "p(101) < 1s", 2,
       "percentile must be in (0, 100], got 101"},
      {"a percentile that is not a number is rejected", "p(abc) < 1s", 2,
       "percentile must be a number in (0, 100], got 'abc'"},
      {"a percentile that is not a number is rejected", "p() < 1s", 2, "missing percentile"},
      {"a percentile without its parentheses is rejected", "p < 1s", 2, "expected '(' after 'p', found '<'"},
      {"a percentile without its parentheses is rejected", "p(99 < 1s", 5,
       "expected ')' after the percentile, found '<'"},
      {"a metric without argument refuses one", "error_rate(5xx) < 1%", 10, "'error_rate' takes no argument"},
      {"a missing comparator is reported where it should be", "error_rate 0.5%", 11,
       "expected a comparator, found '0.5'", "compare with <, <=, > or >=, e.g. 'error_rate < 0.5%'"},
      {"a missing comparator is reported where it should be", "error_rate", 10, "missing comparator"},
      {"equality comparators are rejected with the ones that exist", "error_rate == 0", 11,
       "unsupported comparator '=='", "compare with <, <=, > or >="},
      {"equality comparators are rejected with the ones that exist", "p(99) != 1s", std::nullopt,
       "unsupported comparator '!='"},
      {"a missing threshold is reported after the comparator", "error_rate <", 12,
       "missing threshold after '<'", "e.g. 'error_rate < 0.5%'"},
      {"a missing threshold is reported after the comparator", "p(99) < fast", 8,
       "expected a number after '<', found 'fast'"},
      {"an error rate above 1 without a percent sign is rejected", "error_rate < 5", 13,
       "threshold 5 of error_rate is not a fraction",
       "write '5%' for a percentage, or a fraction between 0 and 1"},
      {"a rate above 100% is rejected", "max_backend_share < 150%", 20,
       "max_backend_share cannot exceed 100%, got 150%"},
      {"a ratio threshold refuses a unit", "error_rate < 5ms", 14,
       "error_rate is a ratio and takes no unit, got 'ms'"},
      {"a latency threshold refuses a percentage", "p(99) < 25%", 10,
       "p99 latency is a latency, not a percentage"},
      {"a latency threshold refuses unknown units", "p(99) < 250 mz", 12, "unknown duration unit 'mz'",
       "did you mean 'ms'? (units: us, ms, s, m)"},
      {"a latency threshold refuses unknown units", "p(99) < 2 hours", std::nullopt, nullptr,
       "units: us, ms, s, m"},
      {"anything after the threshold is rejected", "p(99) < 250ms extra", 14,
       "unexpected 'extra' after the threshold"},
      {"anything after the threshold is rejected", "error_rate < 0.5% $", 18,
       "unexpected '$' after the threshold"},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.behaviour << ": '" << c.text << "'") {
      const ObjectiveError e = rejected(c.text);
      if (c.column) {
        CHECK(e.column == *c.column);
      }
      if (c.message != nullptr) {
        CHECK(e.message == c.message);
      }
      if (c.hint != nullptr) {
        CHECK(e.hint == c.hint);
      }
    }
  }
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
