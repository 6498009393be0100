// The tag filter {name:...} of the objective grammar: parsing, errors at
// their columns, unknown names, and measuring over one request's samples.

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "harness/verify/objective.h"
#include "harness/verify/verdict.h"
#include "harness/verify/window.h"

namespace faultline::verify {
namespace {

using namespace std::chrono_literals;

constexpr int64_t ms = 1'000'000;

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

load::Sample sample(double at_ms, double latency_ms, uint8_t request, uint16_t status = 200) {
  load::Sample s;
  s.intended_ns = static_cast<int64_t>(at_ms * 1e6);
  s.sent_ns = s.intended_ns;
  s.done_ns = s.intended_ns + static_cast<int64_t>(latency_ms * 1e6);
  s.status = status;
  s.request = request;
  return s;
}

TEST_CASE("every metric takes a {name:...} filter right after it", "[verify][grammar][mix]") {
  const ObjectiveExpr p99 = parsed("p(99){name:checkout} < 300ms");
  CHECK(p99.metric == Metric::percentile);
  CHECK(p99.percentile == 99);
  CHECK(p99.threshold == Approx(300));
  CHECK(p99.request_name == "checkout");
  CHECK(p99.request_name_column == 11);

  const ObjectiveExpr errors = parsed("error_rate{name:search} < 1%");
  CHECK(errors.metric == Metric::error_rate);
  CHECK(errors.request_name == "search");
  CHECK(errors.threshold == Approx(0.01));

  // Spaces between the tokens, a name with digits, '-' and '_'.
  const ObjectiveExpr spaced = parsed("rate(5xx) { name : v2-search_x } < 1%");
  CHECK(spaced.request_name == "v2-search_x");
  CHECK(spaced.request_name_column == 19);
  CHECK(parsed("share(web1){name:home} < 60%").request_name == "home");
  CHECK(parsed("throughput{name:home} > 10/s").request_name == "home");

  const ObjectiveExpr plain = parsed("p(99) < 300ms");
  CHECK(plain.request_name.empty());
  CHECK(plain.request_name_column == -1);
  CHECK(metric_label(p99) == "p99 latency of checkout");
}

TEST_CASE("a malformed filter is reported at its column", "[verify][grammar][mix]") {
  struct Case {
    std::string text;
    int column;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"p(99){user:a} < 1s", 6, "unknown tag 'user'"},
      {"p(99){} < 1s", 6, "missing tag in the filter"},
      {"p(99){name} < 1s", 10, "expected ':' after 'name', found '}'"},
      {"p(99){name:} < 1s", 11, "missing request name"},
      {"p(99){name:check out} < 1s", 17, "unexpected 'out' in the request name"},
      {"p(99){name:checkout < 1s", 20, "expected '}' after the request name, found '<'"},
      {"p(99){name:Checkout} < 1s", 11, "unexpected 'C' in the request name"},
      {"error_rate{name:\"a\"} < 1%", 16, "unexpected '\"' in the request name"},
      {"p(99){name:a}{name:b} < 1s", 13, "expected a comparator, found '{'"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    const ObjectiveError e = rejected(c.text);
    CHECK(e.column == c.column);
    CHECK(e.message == c.message);
  }
  CHECK(rejected("p(99){user:a} < 1s").hint.find("the only tag is 'name'") != std::string::npos);
  CHECK(rejected("error_rate{name:\"a\"} < 1%").hint.find("without quotes") != std::string::npos);
}

TEST_CASE("a filter naming no request of the mix is reported at the name", "[verify][grammar][mix]") {
  const std::vector<std::string> names{"home", "search", "checkout"};
  CHECK_FALSE(unknown_request(parsed("p(99){name:checkout} < 300ms"), names).has_value());
  CHECK_FALSE(unknown_request(parsed("p(99) < 300ms"), names).has_value());

  const auto typo = unknown_request(parsed("p(99){name: chekout} < 300ms"), names);
  REQUIRE(typo.has_value());
  CHECK(typo->column == 12);
  CHECK(typo->message == "unknown request name 'chekout'");
  CHECK(typo->hint == "did you mean 'checkout'? (load.requests: home, search, checkout)");

  const auto far = unknown_request(parsed("error_rate{name:zzzzzzzz} < 1%"), names);
  REQUIRE(far.has_value());
  CHECK(far->hint == "the names of load.requests: home, search, checkout");
}

TEST_CASE("a filtered objective is measured over that request's samples only", "[verify][mix]") {
  load::LoadResult result;
  result.backends = {""};
  result.request_names = {"home", "checkout"};
  // Window 0: home fast, checkout slow; window 1: both fast, checkout fails once.
  for (int i = 0; i < 90; ++i) {
    result.samples.push_back(sample(i * 10.0, 5, 0));
  }
  for (int i = 0; i < 10; ++i) {
    result.samples.push_back(sample(i * 100.0 + 1, 450, 1));
  }
  for (int i = 0; i < 10; ++i) {
    result.samples.push_back(sample(1000 + i * 100.0, 5, 1, i == 0 ? 503 : 200));
  }
  const std::vector<std::string> split{"checkout", "nobody"};
  const auto windows = build_windows(result, 1s, 0, 2000 * ms, split);
  REQUIRE(windows.size() == 2);
  CHECK(windows[0].requests == 100);
  REQUIRE(windows[0].by_request.size() == 2);
  const WindowStats* checkout = windows[0].for_request("checkout");
  REQUIRE(checkout != nullptr);
  CHECK(checkout->requests == 10);
  CHECK(windows[0].for_request("nobody")->requests == 0);
  CHECK(windows[0].for_request("home") == nullptr);

  const ObjectiveExpr slow = parsed("p(99){name:checkout} < 300ms");
  const ObjectiveExpr all = parsed("p(50) < 300ms");
  CHECK(*measure(slow, windows[0]) == Approx(450).margin(1));
  CHECK(*measure(all, windows[0]) == Approx(5).margin(0.1));
  CHECK(*measure(slow, windows[1]) == Approx(5).margin(0.1));
  CHECK(*measure(parsed("error_rate{name:checkout} < 1%"), windows[1]) == Approx(0.1));
  CHECK_FALSE(measure(parsed("error_rate{name:nobody} < 1%"), windows[1]).has_value());
  // A name the windows were not split by measures nothing (it holds).
  CHECK_FALSE(measure(parsed("error_rate{name:home} < 1%"), windows[1]).has_value());

  const Verdict verdict = evaluate({{"checkout-latency", slow}, {"all", all}}, windows);
  CHECK(verdict.objectives[0].breached());
  CHECK(verdict.objectives[0].breaches.front().first_window == 0);
  CHECK(verdict.objectives[0].breaches.front().last_window == 0);
  CHECK_FALSE(verdict.objectives[1].breached());

  const ObjectiveExpr* exprs[] = {&slow, &all, &slow};
  CHECK(filtered_requests(exprs) == std::vector<std::string>{"checkout"});
}

}  // namespace
}  // namespace faultline::verify
