#include "harness/verify/objective.h"

#include <catch2/catch.hpp>
#include <optional>
#include <string>

#include "harness/verify/metric_table.h"

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
       "unknown metric 'latency'",
       "known metrics: error_rate, p(N), max_backend_share, avg, max, rate(OUTCOME), share(BACKEND), "
       "throughput, goodput, offered_rate"},
      {"a common other name of a metric points to the grammar's name", "mean < 50ms", 0,
       "unknown metric 'mean'", "did you mean 'avg'? e.g. 'avg < 50ms'"},
      {"a common other name of a metric points to the grammar's name", "RPS > 500/s", 0, nullptr,
       "did you mean 'throughput'? e.g. 'throughput > 500/s'"},
      {"a misspelt new metric is reported with the nearest known one", "throughput_ > 5/s", 0, nullptr,
       "did you mean 'throughput'?"},
      {"a misspelt new metric is reported with the nearest known one", "goodptu > 5/s", 0,
       "unknown metric 'goodptu'", "did you mean 'goodput'?"},
      {"a misspelt new metric is reported with the nearest known one", "ofered_rate > 5/s", 0, nullptr,
       "did you mean 'offered_rate'?"},
      {"a common other name of a metric points to the grammar's name", "offered > 500/s", 0,
       "unknown metric 'offered'", "did you mean 'offered_rate'? e.g. 'offered_rate > 500/s'"},
      {"a common other name of a metric points to the grammar's name", "arrival_rate > 500/s", 0, nullptr,
       "did you mean 'offered_rate'? e.g. 'offered_rate > 500/s'"},
      {"a common other name of a metric points to the grammar's name", "good_rps > 500/s", 0, nullptr,
       "did you mean 'goodput'? e.g. 'goodput > 500/s'"},
      {"a goodput threshold needs a unit", "goodput > 500", 13, "missing unit after 500: goodput is a rate",
       "write the rate per second as '500/s', or per minute as '500/m'"},
      {"an offered rate takes no argument", "offered_rate(lb) > 5/s", 12, "'offered_rate' takes no argument"},
      {"an outcome rate needs its parentheses", "rate < 1%", 5, "expected '(' after 'rate', found '<'",
       "write the outcome in parentheses, e.g. rate(5xx), rate(503) or rate(timeout)"},
      {"an outcome rate needs an outcome", "rate() < 1%", 5, "missing outcome"},
      {"an outcome rate needs its closing parenthesis", "rate(5xx < 1%", 9,
       "expected ')' after the outcome, found '<'"},
      {"an outcome rate needs its closing parenthesis", "rate(5xx", 8,
       "expected ')' after the outcome, found the end"},
      {"an outcome is written without spaces", "rate(5 xx) < 1%", 7, "unexpected 'xx' in the outcome",
       "write the outcome without spaces, e.g. 'rate(5xx) < 1%'"},
      {"a status class beyond 5xx is rejected at the outcome", "rate(6xx) < 1%", 5,
       "no HTTP status class '6xx'", "status classes are 1xx to 5xx"},
      {"a status code outside 100 to 599 is rejected at the outcome", "rate( 700 ) < 1%", 6,
       "HTTP status must be 100 to 599, got 700"},
      {"a status code outside 100 to 599 is rejected at the outcome", "rate(5000) < 1%", 5,
       "HTTP status must be 100 to 599, got 5000"},
      {"a misspelt transport error is reported with the nearest one", "rate(timout) < 1%", 5,
       "unknown outcome 'timout'", "did you mean 'timeout'?"},
      {"an outcome unlike any known one says how outcomes are written", "rate(50x) < 1%", 5,
       "unknown outcome '50x'",
       "write a status class (5xx), a status code (503) or a transport error (timeout, reset, ...)"},
      {"an outcome rate is a ratio", "rate(5xx) < 200%", 12, "rate(5xx) cannot exceed 100%, got 200%"},
      {"an outcome rate is a ratio", "rate(503) < 2", 12, "threshold 2 of rate(503) is not a fraction"},
      {"an outcome rate is a ratio", "rate(timeout) < 5s", 17,
       "rate(timeout) is a ratio and takes no unit, got 's'"},
      {"a backend share needs a backend name", "share() < 40%", 6, "missing backend name",
       "write the backend's name in parentheses, e.g. share(web1)"},
      {"a backend share needs its parentheses", "share web1 < 40%", 6,
       "expected '(' after 'share', found 'web1'"},
      {"a backend name is written without spaces", "share(web 1) < 40%", 10,
       "unexpected '1' in the backend name"},
      {"a backend name is written without quotes", "share(\"web1\") < 40%", 6,
       "unexpected '\"' in the backend name", "write the name without quotes, e.g. share(web1)"},
      {"a backend name has no other punctuation", "share(web1$) < 40%", 10,
       "unexpected '$' in the backend name",
       "a backend name is letters, digits and _ . : -, e.g. share(web1)"},
      {"a backend share is a ratio", "share(web1) < 140%", 14, "share(web1) cannot exceed 100%, got 140%"},
      {"a mean latency threshold is a latency", "avg < 5%", 7, "mean latency is a latency, not a percentage"},
      {"a max latency threshold takes duration units", "max < 2 sec", 8, "unknown duration unit 'sec'"},
      {"a metric without argument refuses one", "avg(5) < 1s", 3, "'avg' takes no argument"},
      {"a throughput threshold needs a unit", "throughput > 500", 16,
       "missing unit after 500: throughput is a rate",
       "write the rate per second as '500/s', or per minute as '500/m'"},
      {"a throughput threshold is not a percentage", "throughput > 50%", 15,
       "throughput is a rate, not a percentage"},
      {"a throughput threshold refuses unknown units", "throughput > 500 rps", 17, "unknown rate unit 'rps'"},
      {"a throughput threshold refuses unknown units", "throughput > 500/h", 17, "unknown rate unit '/h'"},
      {"a throughput threshold refuses unknown units", "throughput > 500/", 17,
       "missing time unit after '/', found the end"},
      {"anything after the threshold is rejected", "throughput > 500/s now", 19,
       "unexpected 'now' after the threshold"},
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
  for (double ms : {1.0, 2.0, 3.0, 40.0}) {
    window.latency.add_ms(ms);
  }
  window.backend_counts = {{"", 1}, {"web1", 3}};
  CHECK(*measure(parsed("error_rate < 1%"), window) == Approx(0.25));
  CHECK(*measure(parsed("p(99) < 1s"), window) == Approx(40));
  CHECK(*measure(parsed("p(50) < 1s"), window) == Approx(2).margin(0.01));
  CHECK(*measure(parsed("max_backend_share < 60%"), window) == Approx(1.0));
}

TEST_CASE("max backend share is not measured when no backend named itself", "[verify]") {
  WindowStats window;
  window.requests = 3;
  window.backend_counts = {{"", 3}};
  CHECK_FALSE(measure(parsed("max_backend_share < 60%"), window).has_value());
}

TEST_CASE("mean and max latency objectives keep their thresholds in milliseconds", "[verify][grammar]") {
  const ObjectiveExpr avg = parsed("avg < 50ms");
  CHECK(avg.metric == Metric::mean);
  CHECK(avg.threshold == Approx(50));
  const ObjectiveExpr max = parsed("max<=2s");
  CHECK(max.metric == Metric::max);
  CHECK(max.op == Comparator::le);
  CHECK(max.threshold == Approx(2000));
  CHECK(parsed("avg < 20").threshold == Approx(20));
  CHECK(avg.argument.empty());
  CHECK(avg.argument_column == -1);
}

TEST_CASE("an outcome rate counts a status class, a status code or a transport error", "[verify][grammar]") {
  const ObjectiveExpr server = parsed("rate(5xx) < 1%");
  CHECK(server.metric == Metric::rate);
  CHECK(server.threshold == Approx(0.01));
  CHECK(server.argument == "5xx");
  CHECK(server.argument_column == 5);
  CHECK(server.outcome.status_min == 500);
  CHECK(server.outcome.status_max == 599);
  CHECK(server.outcome.errors.empty());

  const ObjectiveExpr client = parsed("rate( 4XX ) < 0.02");
  CHECK(client.outcome.status_min == 400);
  CHECK(client.outcome.status_max == 499);
  CHECK(client.argument == "4XX");
  CHECK(client.argument_column == 6);

  const ObjectiveExpr code = parsed("rate(503) < 1%");
  CHECK(code.outcome.status_min == 503);
  CHECK(code.outcome.status_max == 503);

  const ObjectiveExpr timeout = parsed("rate(timeout) < 1%");
  CHECK(timeout.outcome.status_max < timeout.outcome.status_min);
  CHECK(timeout.outcome.errors ==
        std::vector<load::ErrorClass>{load::ErrorClass::connect_timeout, load::ErrorClass::response_timeout});
  CHECK(parsed("rate(reset) < 1%").outcome.errors == std::vector<load::ErrorClass>{load::ErrorClass::reset});
  // A failed TLS handshake (issue 21): an outcome of its own, and a transport error.
  CHECK(parsed("rate(tls) < 1%").outcome.errors == std::vector<load::ErrorClass>{load::ErrorClass::tls});
  CHECK(parsed("rate(transport) < 1%").outcome.errors.size() == 6);
}

TEST_CASE("a backend share keeps the backend's name and where it was written", "[verify][grammar]") {
  const ObjectiveExpr share = parsed("share(web1) < 40%");
  CHECK(share.metric == Metric::backend_share);
  CHECK(share.threshold == Approx(0.4));
  CHECK(share.argument == "web1");
  CHECK(share.argument_column == 6);
  CHECK(parsed("share( api-2.local:8080 ) > 10%").argument == "api-2.local:8080");
}

TEST_CASE("a throughput objective keeps requests per second", "[verify][grammar]") {
  const ObjectiveExpr rps = parsed("throughput > 500/s");
  CHECK(rps.metric == Metric::throughput);
  CHECK(rps.op == Comparator::gt);
  CHECK(rps.threshold == Approx(500));
  CHECK(parsed("throughput >= 30000 / m").threshold == Approx(500));
  CHECK(parsed("throughput>2.5/s").threshold == Approx(2.5));
  const ObjectiveExpr good = parsed("goodput >= 6000/m");
  CHECK(good.metric == Metric::goodput);
  CHECK(good.op == Comparator::ge);
  CHECK(good.threshold == Approx(100));
  const ObjectiveExpr offered = parsed("offered_rate < 1000/s");
  CHECK(offered.metric == Metric::offered_rate);
  CHECK(offered.threshold == Approx(1000));
}

TEST_CASE("a share of an unknown backend is reported at the name, with the nearest one",
          "[verify][grammar]") {
  const std::vector<std::string> backends{"web1", "web2", "api"};
  CHECK_FALSE(unknown_backend(parsed("share(web2) < 40%"), backends).has_value());
  CHECK_FALSE(unknown_backend(parsed("error_rate < 1%"), backends).has_value());

  const auto typo = unknown_backend(parsed("share( wbe1) < 40%"), backends);
  REQUIRE(typo.has_value());
  CHECK(typo->column == 7);
  CHECK(typo->message == "unknown backend 'wbe1'");
  CHECK(typo->hint == "did you mean 'web1'? (backends: web1, web2, api)");

  const auto far = unknown_backend(parsed("share(database) < 40%"), backends);
  REQUIRE(far.has_value());
  CHECK(far->hint == "backends: web1, web2, api");
  CHECK(unknown_backend(parsed("share(web1) < 40%"), {})->hint == "backends: none");
}

TEST_CASE("the new metrics are measured from a window", "[verify]") {
  WindowStats window;
  window.start_ns = 0;
  window.end_ns = 2'000'000'000;
  window.requests = 10;
  window.responses = 8;
  window.good_responses = 6;
  window.mean_ms = 12.5;
  window.max_ms = 900;
  window.status_counts = {{200, 5}, {404, 1}, {500, 1}, {503, 2}};
  window.error_classes = {{"response_timeout", 1}};
  window.backend_counts = {{"", 4}, {"web1", 3}, {"web2", 3}};

  CHECK(*measure(parsed("avg < 1s"), window) == Approx(12.5));
  CHECK(*measure(parsed("max < 1s"), window) == Approx(900));
  CHECK(*measure(parsed("rate(5xx) < 1%"), window) == Approx(0.3));
  CHECK(*measure(parsed("rate(503) < 1%"), window) == Approx(0.2));
  CHECK(*measure(parsed("rate(4xx) < 1%"), window) == Approx(0.1));
  CHECK(*measure(parsed("rate(2xx) > 1%"), window) == Approx(0.5));
  CHECK(*measure(parsed("rate(timeout) < 1%"), window) == Approx(0.1));
  CHECK(*measure(parsed("rate(reset) < 1%"), window) == Approx(0.0));
  CHECK(*measure(parsed("share(web1) < 40%"), window) == Approx(0.5));
  CHECK(*measure(parsed("share(web3) > 10%"), window) == Approx(0.0));
  // Per second of the window's 2 s: 10 requests, 8 responses, 6 good ones.
  CHECK(*measure(parsed("offered_rate > 1/s"), window) == Approx(5));
  CHECK(*measure(parsed("throughput > 1/s"), window) == Approx(4));
  CHECK(*measure(parsed("goodput > 1/s"), window) == Approx(3));
}

TEST_CASE("an empty window has no value for the new metrics, except a throughput of 0", "[verify]") {
  WindowStats window;
  window.end_ns = 1'000'000'000;
  CHECK_FALSE(measure(parsed("avg < 1s"), window).has_value());
  CHECK_FALSE(measure(parsed("max < 1s"), window).has_value());
  CHECK_FALSE(measure(parsed("rate(5xx) < 1%"), window).has_value());
  CHECK_FALSE(measure(parsed("share(web1) < 40%"), window).has_value());
  for (const char* rate : {"throughput > 1/s", "goodput > 1/s", "offered_rate > 1/s"}) {
    INFO(rate);
    REQUIRE(measure(parsed(rate), window).has_value());
    CHECK(*measure(parsed(rate), window) == 0);
  }

  window.requests = 2;
  window.backend_counts = {{"", 2}};
  CHECK_FALSE(measure(parsed("share(web1) < 40%"), window).has_value());
}

TEST_CASE("the new metrics are written in their own terms", "[verify]") {
  CHECK(metric_label(parsed("avg < 1s")) == "mean latency");
  CHECK(metric_label(parsed("max < 1s")) == "max latency");
  CHECK(metric_label(parsed("rate(5xx) < 1%")) == "5xx rate");
  CHECK(metric_label(parsed("rate(timeout) < 1%")) == "timeout rate");
  CHECK(metric_label(parsed("share(web1) < 40%")) == "web1 share");
  CHECK(metric_label(parsed("throughput > 5/s")) == "throughput");
  CHECK(metric_label(parsed("goodput > 5/s")) == "goodput");
  CHECK(metric_label(parsed("offered_rate > 5/s")) == "offered rate");

  CHECK(format_value(parsed("avg < 1s"), 12.34) == "12.3 ms");
  CHECK(format_value(parsed("rate(5xx) < 1%"), 0.0123) == "1.23%");
  CHECK(format_value(parsed("share(web1) < 40%"), 0.4) == "40.0%");
  CHECK(format_value(parsed("throughput > 5/s"), 512.4) == "512/s");
  CHECK(format_value(parsed("throughput > 5/s"), 2.5) == "2.5/s");
  CHECK(format_value(parsed("goodput > 5/s"), 199.6) == "200/s");
  CHECK(format_value(parsed("offered_rate > 5/s"), 0.26) == "0.3/s");
}

TEST_CASE("every metric of the table parses from its own example", "[verify][grammar]") {
  for (const MetricDefinition& d : metric_table()) {
    DYNAMIC_SECTION(d.example) {
      const ObjectiveExpr expr = parsed(std::string(d.example));
      CHECK(expr.metric == d.metric);
      CHECK(&definition_of(expr.metric) == &d);
    }
  }
}

}  // namespace
}  // namespace faultline::verify
