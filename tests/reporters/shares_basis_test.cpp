// The reports say what the backend shares were counted from when a load
// balancer counted them (a team's own config sends no backend header), and
// say nothing new when the header was the basis.

#include <catch2/catch.hpp>

#include "tests/reporters/reporter_test_support.h"

using namespace faultline::reporters::testing;

namespace {

json with_basis(json j, const std::string& source, const std::string& detail) {
  j["shares_basis"] = {{"source", source}, {"detail", detail}};
  if (source != "response-header") {
    j["shares_basis"]["interval_s"] = 0.1;
  }
  return j;
}

const char* kCounters = "HAProxy's own per-server request counters on lb (req_tot), read every 100ms";

}  // namespace

TEST_CASE("the postmortem names the basis of the shares beside the traffic per backend",
          "[reporters][md][shares]") {
  const json j = with_basis(journal_at("weight_skew.json"), "haproxy-counters", kCounters);
  const std::string md = render_md(j);
  const std::string traffic = md.substr(md.find("### Traffic per backend"));
  CHECK_THAT(
      traffic,
      Catch::StartsWith("### Traffic per backend\n\nThe backend shares are counted from HAProxy's own "
                        "per-server request counters on lb (req_tot), read every 100ms, not from a response "
                        "header.\n\n**"));
}

TEST_CASE("servers the stack does not know are named as counted unknown", "[reporters][md][shares]") {
  json j = with_basis(journal_at("weight_skew.json"), "haproxy-counters", kCounters);
  j["shares_basis"]["unknown_servers"] = {"api/s9 at 10.9.9.9:80"};
  CHECK_THAT(render_md(j), Catch::Contains("not from a response header. What api/s9 at 10.9.9.9:80 answered "
                                           "counts as unknown: no service of the stack is at its address."));
}

TEST_CASE("the HTML says the basis under the traffic heading and on the share chart",
          "[reporters][html][shares]") {
  const json j = with_basis(journal_at("weight_skew.json"), "nginx-access-log", "nginx's access log on lb");
  const std::string html = render_as("html", j);
  const std::string sentence =
      "The backend shares are counted from nginx&apos;s access log on lb, not from a "
      "response header.";
  CHECK_THAT(html,
             Catch::Contains("<h3 id=\"traffic\">Traffic per backend</h3>\n<p class=\"note\">" + sentence));
  CHECK_THAT(html,
             Catch::Contains("Share of the busiest backend in each window&apos;s requests. " + sentence));
}

TEST_CASE("shares counted from the header read as before", "[reporters][md][html][shares]") {
  const json plain = journal_at("weight_skew.json");
  const json header = with_basis(plain, "response-header", "the X-Backend header of each response");
  CHECK(render_md(header) == render_md(plain));
  CHECK(render_as("html", header) == render_as("html", plain));
  CHECK_THAT(render_md(plain), !Catch::Contains("counted from"));
}
