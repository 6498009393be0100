// The weighted request mix: which template each request gets (weights,
// determinism), the exact bytes of each template, and a real load sending
// them (bodies arrive, HEAD answers are read without a body).

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "harness/load/generator.h"
#include "harness/load/plan.h"
#include "tests/load/test_http_server.h"
#include "tests/load/test_specs.h"

namespace faultline::load {
namespace {

using namespace std::chrono_literals;

LoadSpec mix_spec(std::vector<double> weights, uint64_t seed) {
  LoadSpec spec = testing::loopback_spec(8080, 100, 10s, 1);
  spec.seed = seed;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    RequestSpec r;
    r.name = "r" + std::to_string(i);
    r.path = "/" + r.name;
    r.weight = weights[i];
    spec.requests.push_back(r);
  }
  return spec;
}

std::vector<uint8_t> sequence(const LoadPlan& plan, uint64_t n) {
  std::vector<uint8_t> out;
  out.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    out.push_back(plan.template_of(i));
  }
  return out;
}

TEST_CASE("templates are drawn in proportion to their weights", "[load][mix]") {
  const std::vector<double> weights = {70, 25, 5};
  const LoadPlan plan = make_plan(mix_spec(weights, 1), 0);
  constexpr uint64_t n = 100'000;
  std::vector<uint64_t> counts(3);
  for (uint8_t t : sequence(plan, n)) {
    REQUIRE(t < 3);
    ++counts[t];
  }
  // Binomial standard deviation at 100k draws is at most 0.16%; 1% is six
  // of them and more.
  CHECK(static_cast<double>(counts[0]) / n == Approx(0.70).margin(0.01));
  CHECK(static_cast<double>(counts[1]) / n == Approx(0.25).margin(0.01));
  CHECK(static_cast<double>(counts[2]) / n == Approx(0.05).margin(0.01));

  SECTION("fractional weights and a tiny share too") {
    const LoadPlan fine = make_plan(mix_spec({0.5, 0.25, 0.25, 0.01}, 9), 0);
    std::vector<uint64_t> c(4);
    for (uint8_t t : sequence(fine, n)) {
      ++c[t];
    }
    const double total = 1.01;
    CHECK(static_cast<double>(c[0]) / n == Approx(0.5 / total).margin(0.01));
    CHECK(static_cast<double>(c[3]) / n == Approx(0.01 / total).margin(0.002));
    CHECK(c[3] > 0);
  }
}

TEST_CASE("the same seed gives the same sequence, another seed another", "[load][mix]") {
  const auto a = sequence(make_plan(mix_spec({1, 1, 1}, 7), 0), 10'000);
  const auto b = sequence(make_plan(mix_spec({1, 1, 1}, 7), 123), 10'000);
  const auto c = sequence(make_plan(mix_spec({1, 1, 1}, 8), 0), 10'000);
  CHECK(a == b);
  CHECK(a != c);
  // Not in lock-step with a round robin over the three: consecutive equal
  // templates occur (a cycle would have none).
  std::size_t repeats = 0;
  for (std::size_t i = 1; i < a.size(); ++i) {
    repeats += a[i] == a[i - 1] ? 1 : 0;
  }
  CHECK(repeats > 2'000);
  CHECK(repeats < 4'700);
}

TEST_CASE("one template is every request, and without a mix it is the GET of path", "[load][mix]") {
  LoadSpec spec = testing::loopback_spec(8080, 10, 1s, 1);
  spec.path = "/only";
  const LoadPlan plan = make_plan(spec, 0);
  REQUIRE(plan.templates.size() == 1);
  CHECK(plan.templates[0].bytes ==
        "GET /only HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: faultline\r\n\r\n");
  CHECK_FALSE(plan.templates[0].head);
  for (uint64_t i = 0; i < 1000; ++i) {
    REQUIRE(plan.template_of(i) == 0);
  }
  CHECK(request_names(spec) == std::vector<std::string>{"default"});
}

TEST_CASE("headers and bodies are serialized exactly, once per template", "[load][mix]") {
  LoadSpec spec = testing::loopback_spec(8080, 10, 1s, 1);
  spec.requests.push_back({"search", "GET", "/search?q=shoes", 25, {{"Accept", "application/json"}}, ""});
  spec.requests.push_back({"checkout",
                           "POST",
                           "/checkout",
                           5,
                           {{"Content-Type", "application/json"}, {"X-Order", "7"}},
                           "{\"sku\":1}"});
  spec.requests.push_back({"ping", "HEAD", "/", 1, {}, ""});
  spec.requests.push_back({"empty-put", "PUT", "/x", 1, {{"user-agent", "mine"}}, ""});
  const LoadPlan plan = make_plan(spec, 0);
  REQUIRE(plan.templates.size() == 4);
  CHECK(plan.templates[0].bytes ==
        "GET /search?q=shoes HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: faultline\r\n"
        "Accept: application/json\r\n\r\n");
  CHECK(plan.templates[1].bytes ==
        "POST /checkout HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: faultline\r\n"
        "Content-Type: application/json\r\nX-Order: 7\r\nContent-Length: 9\r\n\r\n{\"sku\":1}");
  CHECK(plan.templates[2].bytes ==
        "HEAD / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: faultline\r\n\r\n");
  CHECK(plan.templates[2].head);
  // A method that carries content says its length even when it is none; a
  // User-Agent of the template's own replaces faultline's.
  CHECK(plan.templates[3].bytes ==
        "PUT /x HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nuser-agent: mine\r\nContent-Length: 0\r\n\r\n");
  CHECK(request_names(spec) == std::vector<std::string>{"search", "checkout", "ping", "empty-put"});
}

TEST_CASE("more templates than a Sample can name are refused", "[load][mix]") {
  LoadSpec spec = mix_spec(std::vector<double>(256, 1.0), 1);
  CHECK_THROWS_AS(make_plan(spec, 0), std::invalid_argument);
  spec.requests.pop_back();
  CHECK(make_plan(spec, 0).templates.size() == 255);
}

TEST_CASE("a load sends each request's own template and records which it was", "[load][mix]") {
  testing::TestHttpServer server(testing::ServerMode::answer, 2ms);
  RunClock clock;
  LoadSpec spec = testing::loopback_spec(server.port(), 400, 1s, 4);
  spec.seed = 3;
  spec.requests.push_back({"home", "GET", "/", 6, {}, ""});
  spec.requests.push_back({"checkout", "POST", "/checkout", 3, {{"Content-Type", "text/plain"}}, "order-1"});
  // HEAD's answer announces 3 bytes it does not send: read as a body, the
  // next answer on the connection would be misparsed.
  spec.requests.push_back({"ping", "HEAD", "/ping", 1, {}, ""});
  spec.threads = 2;
  LoadGenerator generator(spec, clock);
  const LoadResult result = generator.run(testing::start_soon(clock));

  CHECK(result.request_names == std::vector<std::string>{"home", "checkout", "ping"});
  REQUIRE(result.samples.size() == 400);
  const LoadPlan plan = make_plan(spec, 0);
  std::map<uint8_t, int> counts;
  for (std::size_t i = 0; i < result.samples.size(); ++i) {
    const Sample& s = result.samples[i];
    INFO("request " << i);
    REQUIRE(s.error == ErrorClass::none);
    REQUIRE(s.status == 200);
    // Samples are in intended order: request i's template is template_of(i).
    REQUIRE(s.request == plan.template_of(i));
    ++counts[s.request];
  }
  CHECK(counts[0] > 180);
  CHECK(counts[1] > 80);
  CHECK(counts[2] > 15);

  const auto seen = server.seen();
  REQUIRE(seen.size() == 400);
  std::map<std::string, int> by_line;
  for (const auto& line : seen) {
    ++by_line[line];
  }
  CHECK(by_line["GET / "] == counts[0]);
  CHECK(by_line["POST /checkout order-1"] == counts[1]);
  CHECK(by_line["HEAD /ping "] == counts[2]);
}

}  // namespace
}  // namespace faultline::load
