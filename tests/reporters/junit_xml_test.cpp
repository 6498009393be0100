// The JUnit reporter: which testcases fail under expect: hold and expect:
// breach, what an incomplete run looks like, and that the document stays
// well-formed whatever text the journal holds. Built from the recorded
// journal tests/data/journals/weight_skew.json (expect: breach; "balance"
// breached from t+3 s to t+6 s, worst 80.0%; "availability" held).

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "reporters/reporter.h"
#include "tests/reporters/reporter_test_support.h"

namespace {

using json = nlohmann::ordered_json;
using namespace faultline::reporters::testing;

json load_journal() {
  return journal_at("weight_skew.json");
}

std::string render_junit(const json& j) {
  return render_as("junit", j);
}

size_t count_of(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) {
    ++n;
  }
  return n;
}

// The <testcase ...> element (through its end) whose name attribute starts
// with `name`, or "" when there is none.
std::string testcase(const std::string& xml, const std::string& name) {
  const size_t at = xml.find("<testcase classname=\"faultline.integration_weight.slo\" name=\"" + name);
  if (at == std::string::npos) {
    return "";
  }
  const size_t self_closed = xml.find("/>\n", at);
  const size_t open_end = xml.find(">\n", at);
  if (self_closed != std::string::npos && self_closed < open_end) {
    return xml.substr(at, self_closed + 3 - at);
  }
  const size_t end = xml.find("</testcase>", at);
  return xml.substr(at, end + 11 - at);
}

// The testsuite's count attribute `key`, as a number.
int suite_count(const std::string& xml, const std::string& key) {
  std::smatch m;
  const std::regex re("<testsuite name=\"[^\"]*\" [^>]*\\b" + key + "=\"([0-9]+)\"");
  REQUIRE(std::regex_search(xml, m, re));
  return std::stoi(m[1]);
}

}  // namespace

TEST_CASE("under expect: breach a breached objective passes and carries its figures", "[reporters][junit]") {
  const std::string xml = render_junit(load_journal());
  const std::string balance = testcase(xml, "balance: max_backend_share &lt; 60%");
  REQUIRE_FALSE(balance.empty());
  CHECK_FALSE(contains(balance, "<failure"));
  CHECK(contains(balance, "<system-out>breached: worst max backend share: 80.0%, 3.0 s in breach in total"));
  CHECK(contains(balance, "t+3.0 s to t+6.0 s (3.0 s, worst 80.0%)"));

  const std::string expectation = testcase(xml, "expect: breach");
  REQUIRE_FALSE(expectation.empty());
  CHECK_FALSE(contains(expectation, "<failure"));
  CHECK_FALSE(contains(expectation, "<error"));
  CHECK(suite_count(xml, "failures") == 0);
}

TEST_CASE("under expect: breach the expectation fails when every objective held", "[reporters][junit]") {
  json j = load_journal();
  for (auto& o : j["slo"]["objectives"]) {
    o["breached"] = false;
    o["breaches"] = json::array();
  }
  j["expectation_met"] = false;
  const std::string xml = render_junit(j);
  const std::string expectation = testcase(xml, "expect: breach");
  CHECK(contains(expectation, "<failure message=\"expected at least one objective to breach"));
  CHECK(suite_count(xml, "failures") == 1);
}

TEST_CASE("under expect: hold a breached objective is a failure with the breach figures",
          "[reporters][junit]") {
  json j = load_journal();
  j["expect"] = "hold";
  j["expectation_met"] = false;
  const std::string xml = render_junit(j);

  const std::string balance = testcase(xml, "balance: max_backend_share &lt; 60%");
  CHECK(contains(balance,
                 "<failure message=\"breached: worst max backend share: 80.0%, 3.0 s in breach in total: "
                 "t+3.0 s to t+6.0 s\" type=\"SloBreach\">"));
  CHECK(contains(balance, "t+3.0 s to t+6.0 s (3.0 s, worst 80.0%)\n</failure>"));

  const std::string availability = testcase(xml, "availability: error_rate &lt; 1%");
  REQUIRE_FALSE(availability.empty());
  CHECK_FALSE(contains(availability, "<failure"));

  const std::string expectation = testcase(xml, "expect: hold");
  CHECK(contains(expectation, "<failure message=\"expected every objective to hold; breached: balance\""));
  CHECK(suite_count(xml, "failures") == 2);
}

TEST_CASE("a failure message lists at most five breach intervals", "[reporters][junit]") {
  json j = load_journal();
  j["expect"] = "hold";
  j["expectation_met"] = false;
  json breaches = json::array();
  for (int i = 0; i < 7; ++i) {
    breaches.push_back({{"start_s", i}, {"end_s", i + 0.5}, {"worst", 0.7}, {"worst_text", "70.0%"}});
  }
  j["slo"]["objectives"][1]["breaches"] = breaches;
  j["slo"]["objectives"][1].erase("breach_s");
  const std::string balance = render_junit(j);
  CHECK(contains(balance,
                 "3.5 s in breach in total: t+0.0 s to t+0.5 s, t+1.0 s to t+1.5 s, t+2.0 s to t+2.5 s, "
                 "t+3.0 s to t+3.5 s, t+4.0 s to t+4.5 s and 2 more\""));
  CHECK(contains(balance, "  t+6.0 s to t+6.5 s (0.5 s, worst 70.0%)\n</failure>"));
}

TEST_CASE("under expect: hold a run where everything held has no failures", "[reporters][junit]") {
  json j = load_journal();
  j["expect"] = "hold";
  j["expectation_met"] = true;
  j["slo"]["objectives"][1]["breached"] = false;
  j["slo"]["objectives"][1]["breaches"] = json::array();
  const std::string xml = render_junit(j);
  CHECK_FALSE(contains(xml, "<failure"));
  CHECK(suite_count(xml, "failures") == 0);
  CHECK(suite_count(xml, "errors") == 0);
}

TEST_CASE("an interrupted run is an error on the expectation with the journal's error text",
          "[reporters][junit]") {
  json j = load_journal();
  j["status"] = "interrupted";
  j["error"] = "interrupted by SIGINT at t+4.2 s";
  j["expectation_met"] = false;
  const std::string xml = render_junit(j);
  const std::string expectation = testcase(xml, "expect: breach");
  CHECK(contains(expectation, "<error message=\"interrupted by SIGINT at t+4.2 s\" type=\"interrupted\">"));
  CHECK_FALSE(contains(expectation, "<failure"));
  CHECK(suite_count(xml, "errors") == 1);
  CHECK(suite_count(xml, "failures") == 0);
}

TEST_CASE("objectives a stopped run never evaluated are skipped", "[reporters][junit]") {
  json j = load_journal();
  j["status"] = "steady_state_failed";
  j["error"] = nullptr;
  j["expectation_met"] = false;
  j["steady_state_failure"] = {
      {"objective", "availability"}, {"expr", "error_rate < 1%"}, {"value", 0.05},
      {"value_text", "5.00%"},       {"window_start_s", 0.5},     {"window_end_s", 1.0}};
  for (auto& o : j["slo"]["objectives"]) {
    o.erase("breached");
  }
  const std::string xml = render_junit(j);
  CHECK(count_of(xml, "<skipped message=\"run steady_state_failed before this objective was evaluated\"/>") ==
        2);
  CHECK(contains(
      testcase(xml, "expect: breach"),
      "<error message=\"steady state did not hold before the fault: availability (error_rate &lt; 1%) "
      "was 5.00% from t+0.5 s to t+1.0 s\" type=\"steady_state_failed\">"));
  CHECK(suite_count(xml, "skipped") == 2);
  CHECK(suite_count(xml, "errors") == 1);
}

TEST_CASE("markup characters in the title and objectives are escaped", "[reporters][junit]") {
  json j = load_journal();
  j["experiment"]["title"] = "A <b>&\"quoted\" 'title'";
  j["slo"]["objectives"][1]["name"] = "bal<ance>";
  j["slo"]["objectives"][1]["expr"] = "a & b < \"c\" 'd'";
  const std::string xml = render_junit(j);
  CHECK(contains(xml, "<testsuite name=\"A &lt;b&gt;&amp;&quot;quoted&quot; &apos;title&apos;\""));
  CHECK(contains(xml, "name=\"bal&lt;ance&gt;: a &amp; b &lt; &quot;c&quot; &apos;d&apos;\""));
  CHECK_FALSE(contains(xml, "<b>"));
}

TEST_CASE("control characters and invalid UTF-8 never reach the document raw", "[reporters][junit]") {
  json j = load_journal();
  j["status"] = "failed";
  j["error"] = std::string("nginx said \x01\x1b[31mno\x7f\ttab\r\nnext \xff end");
  const std::string xml = render_junit(j);
  CHECK(contains(xml, "message=\"nginx said \\x01\\x1B[31mno\x7f&#9;tab&#13;&#10;next \xEF\xBF\xBD end\""));
  for (char c : xml) {
    const auto u = static_cast<unsigned char>(c);
    INFO("byte " << int(u));
    CHECK((u >= 0x20 || c == '\n' || c == '\t'));
  }
}

TEST_CASE("the testsuite counts match its testcases", "[reporters][junit]") {
  json j = load_journal();
  j["expect"] = "hold";
  j["expectation_met"] = false;
  const std::string xml = render_junit(j);
  CHECK(count_of(xml, "<testsuite ") == 1);
  CHECK(suite_count(xml, "tests") == static_cast<int>(count_of(xml, "<testcase ")));
  CHECK(suite_count(xml, "tests") == static_cast<int>(j["slo"]["objectives"].size()) + 1);
  CHECK(suite_count(xml, "failures") == static_cast<int>(count_of(xml, "<failure ")));
  CHECK(suite_count(xml, "errors") == static_cast<int>(count_of(xml, "<error ")));
  CHECK(suite_count(xml, "skipped") == static_cast<int>(count_of(xml, "<skipped ")));
}

TEST_CASE("the testsuite is named after the experiment and timed from the run", "[reporters][junit]") {
  const std::string xml = render_junit(load_journal());
  CHECK(contains(xml,
                 "<testsuite name=\"Integration - weight skew 8:1:1 on HAProxy\" tests=\"3\" failures=\"0\" "
                 "errors=\"0\" skipped=\"0\" time=\"9.000\" timestamp=\"2026-11-23T23:02:49\""));
  CHECK(contains(
      xml,
      "<testcase classname=\"faultline.integration_weight.slo\" name=\"expect: breach\" time=\"9.000\""));
}

TEST_CASE("a run the harness stopped is a HarnessFailure error that says the verdict is not the experiment's",
          "[reporters][junit][harness-failure]") {
  std::ifstream in(std::string(FAULTLINE_TEST_DATA).append("/journals/pm_harness_died.json"));
  const std::string xml = render_junit(json::parse(in));
  INFO(xml);
  CHECK(contains(xml, R"(type="HarnessFailure")"));
  CHECK(contains(xml, "a harness failure stopped the run at t+6.2 s: service lb died ("));
  CHECK(contains(xml, "the verdict is not a result of the experiment."));
}
