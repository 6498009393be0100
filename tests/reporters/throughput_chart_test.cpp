// The throughput chart of the HTML report: responses received per second
// (throughput), the successful ones (goodput) and the requests offered, as
// the journal's windows state them; and an older journal, whose
// `throughput` was the offered rate, drawn as what it was.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "harness/journal/journal.h"
#include "reporters/svg_charts.h"
#include "tests/reporters/reporter_test_support.h"

namespace {

using json = nlohmann::ordered_json;
using namespace faultline::reporters::testing;
using faultline::reporters::window_metric_svg;
using faultline::reporters::WindowMetric;

// The plot area's top and height, read from the chart's own rectangle.
struct PlotBox {
  double y = 0;
  double height = 0;
};

double number_after(const std::string& text, const std::string& key) {
  std::smatch m;
  REQUIRE(std::regex_search(text, m, std::regex(key + "=\"([-0-9.]+)\"")));
  return std::stod(m[1].str());
}

PlotBox plot_of(const std::string& svg) {
  const size_t at = svg.find("<rect class=\"plot\"");
  REQUIRE(at != std::string::npos);
  const std::string element = svg.substr(at, svg.find('>', at) - at);
  return {number_after(element, " y"), number_after(element, " height")};
}

// The `d` of the series line whose tooltip starts with `name`.
std::string line_of(const std::string& svg, const std::string& name) {
  std::smatch m;
  const std::regex series("<path class=\"series\" d=\"([^\"]*)\"[^>]*><title>" + name);
  return std::regex_search(svg, m, series) ? m[1].str() : std::string();
}

// The y coordinates a step line visits ("M64.0,120.0 H150.0 V130.0 ...").
std::vector<double> ys_of(const std::string& d) {
  std::vector<double> ys;
  const std::regex step("(?:M[-0-9.]+,|V)([-0-9.]+)");
  for (auto it = std::sregex_iterator(d.begin(), d.end(), step); it != std::sregex_iterator(); ++it) {
    ys.push_back(std::stod((*it)[1].str()));
  }
  return ys;
}

// Two one-second windows at 300 requests offered per second: in the
// second, a third of the requests timed out and a tenth of the responses
// were 503s.
json journal_with_responses() {
  json j = {{"end", {{"t", 2.0}}}, {"activities", json::array()}, {"slo", {{"objectives", json::array()}}}};
  j["windows"] = json::array({{{"start_s", 0.0},
                               {"end_s", 1.0},
                               {"requests", 300},
                               {"responses", 300},
                               {"good_responses", 300},
                               {"offered_rate", 300.0},
                               {"throughput", 300.0},
                               {"goodput", 300.0}},
                              {{"start_s", 1.0},
                               {"end_s", 2.0},
                               {"requests", 300},
                               {"responses", 200},
                               {"good_responses", 180},
                               {"offered_rate", 300.0},
                               {"throughput", 200.0},
                               {"goodput", 180.0}}});
  return j;
}

}  // namespace

TEST_CASE("the throughput chart draws responses, successful responses and the offered rate, and says so",
          "[reporters][html][throughput]") {
  const std::string svg =
      window_metric_svg(faultline::journal::from_json(journal_with_responses()), WindowMetric::throughput);
  CHECK(contains(svg, "Throughput (responses/s)"));
  for (const char* entry : {">responses/s<", ">successful responses/s<", ">offered requests/s<"}) {
    INFO(entry);
    CHECK(contains(svg, entry));
  }
  CHECK_FALSE(contains(svg, "predates"));

  const PlotBox plot = plot_of(svg);
  const double base = plot.y + plot.height;
  const auto throughput = ys_of(line_of(svg, "throughput:"));
  const auto goodput = ys_of(line_of(svg, "goodput:"));
  const auto offered = ys_of(line_of(svg, "offered rate:"));
  REQUIRE(throughput.size() == 2);
  REQUIRE(goodput.size() == 2);
  REQUIRE(offered.size() == 2);
  // The offered rate stays where it was; the answers fall to 2/3 and 3/5
  // of it in the second window.
  CHECK(offered[0] == Approx(offered[1]));
  CHECK(throughput[0] == Approx(offered[0]).margin(0.1));
  CHECK(base - throughput[1] == Approx((base - offered[1]) * 200.0 / 300.0).margin(0.2));
  CHECK(base - goodput[1] == Approx((base - offered[1]) * 180.0 / 300.0).margin(0.2));
}

TEST_CASE("the throughput chart works the rates out from the counts when the journal has no rates",
          "[reporters][html][throughput]") {
  json j = journal_with_responses();
  for (auto& w : j["windows"]) {
    w.erase("offered_rate");
    w.erase("throughput");
    w.erase("goodput");
  }
  // The second window lasts half a second: 600 requests/s offered, 400
  // responses/s and 360 good ones, against 300/s of each in the first.
  j["windows"][1]["end_s"] = 1.5;
  const std::string svg = window_metric_svg(faultline::journal::from_json(j), WindowMetric::throughput);
  const PlotBox plot = plot_of(svg);
  const double base = plot.y + plot.height;
  const auto throughput = ys_of(line_of(svg, "throughput:"));
  const auto goodput = ys_of(line_of(svg, "goodput:"));
  const auto offered = ys_of(line_of(svg, "offered rate:"));
  REQUIRE(throughput.size() == 2);
  REQUIRE(goodput.size() == 2);
  REQUIRE(offered.size() == 2);
  CHECK(base - offered[1] == Approx((base - offered[0]) * 2).margin(0.2));
  CHECK(base - throughput[1] == Approx((base - throughput[0]) * 4 / 3).margin(0.2));
  CHECK(base - goodput[1] == Approx((base - goodput[0]) * 1.2).margin(0.2));
}

TEST_CASE("an older journal's throughput, which was the offered rate, is drawn as the offered rate",
          "[reporters][html][throughput]") {
  json j = journal_with_responses();
  for (auto& w : j["windows"]) {
    w.erase("responses");
    w.erase("good_responses");
    w.erase("offered_rate");
    w.erase("goodput");
  }
  const std::string svg = window_metric_svg(faultline::journal::from_json(j), WindowMetric::throughput);
  CHECK(contains(svg, "predates response counts"));
  CHECK(contains(svg, ">offered requests/s<"));
  CHECK_FALSE(contains(svg, ">responses/s<"));
  CHECK(line_of(svg, "throughput:").empty());
  CHECK(ys_of(line_of(svg, "offered rate:")).size() == 2);
}

TEST_CASE("objectives on any of the three rates are drawn on the throughput chart",
          "[reporters][html][throughput]") {
  using faultline::reporters::objective_threshold;
  auto typed_objective = [](const char* metric) {
    faultline::journal::Objective o;
    o.metric = metric;
    o.comparator = ">";
    o.threshold = 250.0;
    return o;
  };
  for (const char* rate : {"throughput", "goodput", "offered rate"}) {
    INFO(rate);
    CHECK(objective_threshold(typed_objective(rate), WindowMetric::throughput) == Approx(250));
    CHECK_FALSE(objective_threshold(typed_objective(rate), WindowMetric::error_rate));
  }
  json j = journal_with_responses();
  j["slo"]["objectives"].push_back({{"name", "served"},
                                    {"expr", "goodput > 250/s"},
                                    {"metric", "goodput"},
                                    {"comparator", ">"},
                                    {"threshold", 250.0}});
  CHECK(contains(window_metric_svg(faultline::journal::from_json(j), WindowMetric::throughput),
                 "SLO served: goodput &gt; 250/s"));
}
