// A journal of a request mix: the postmortem (Markdown and HTML) shows a
// table per phase of each request's figures, JUnit prints them in the
// expectation's system-out, and a journal without a mix shows neither.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/reporters/reporter_test_support.h"

namespace {

using json = nlohmann::ordered_json;
using namespace faultline::reporters::testing;

json with_mix() {
  json j = journal_at("weight_skew.json");
  REQUIRE(j["phases"].size() >= 2);
  j["phases"][0]["requests_by_name"] = json::parse(R"({
    "home": {"requests": 900, "errors": 0, "p99_ms": 4.4},
    "checkout": {"requests": 300, "errors": 2, "p99_ms": 412.0}})");
  j["phases"][1]["requests_by_name"] = json::parse(R"({
    "home": {"requests": 10, "errors": 0, "p99_ms": 3.5},
    "checkout": {"requests": 0, "errors": 0, "p99_ms": null}})");
  return j;
}

}  // namespace

TEST_CASE("the postmortem shows each phase's figures per request name", "[reporters][md][mix]") {
  const std::string md = render_md(with_mix());
  CHECK(contains(md, "| Request | Requests | Errors | p99 |"));
  CHECK(contains(md, "| home | 900 | 0 | 4.4 ms |"));
  CHECK(contains(md, "| checkout | 300 | 2 | 412 ms |"));
  CHECK(contains(md, "| checkout | 0 | 0 | – |"));

  const std::string html = render_as("html", with_mix());
  CHECK(contains(html, "<th>Request</th>"));
  CHECK(contains(html, "<tr><td>checkout</td><td class=\"num\">300</td><td class=\"num\">2</td>"));

  const std::string plain = render_md(journal_at("weight_skew.json"));
  CHECK_FALSE(contains(plain, "| Request | Requests |"));
  CHECK_FALSE(contains(render_as("html", journal_at("weight_skew.json")), "<th>Request</th>"));
}

TEST_CASE("JUnit prints each phase's figures per request name", "[reporters][junit][mix]") {
  const json j = with_mix();
  const std::string xml = render_as("junit", j);
  const std::string phase = j["phases"][0]["name"].get<std::string>();
  CHECK(contains(xml, "phase " + phase + ", request checkout: 300 requests, 2 errors, p99 412.0 ms"));
  CHECK(contains(xml, ", request checkout: 0 requests, 0 errors, p99 none"));
  CHECK_FALSE(contains(render_as("junit", journal_at("weight_skew.json")), ", request "));
}
