// Journals found by fuzzing (tests/fuzz/fuzz_journal, scripts/fuzz.sh) that
// once made a reporter convert an out-of-range JSON number to an integer
// (undefined behaviour: UBSan stops the sanitizer build of these tests),
// kept as regression tests.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "reporters/compare_view.h"
#include "reporters/reporter.h"
#include "reporters/svg_charts.h"

using json = nlohmann::ordered_json;
using faultline::reporters::ReporterRegistry;
using faultline::reporters::WindowMetric;

// svg_charts.cpp count_of(): `get<uint64_t>()` of 6.75556e+108 (a window's
// backend count) in the max backend share chart of the HTML report.
TEST_CASE("fuzz regression: a huge backend count saturates in the max backend share chart",
          "[reporters][fuzz]") {
  json j = json::parse(R"({"schema": "faultline.journal/1", "end": {"t": 1},
    "windows": [{"start_s": 0, "end_s": 1, "requests": 3,
                 "backends": {"web1": 6.75556e108, "web2": 1}}]})");
  const std::string svg = faultline::reporters::window_metric_svg(j, WindowMetric::max_backend_share);
  CHECK_THAT(svg, Catch::Contains("<svg"));
  CHECK_THAT(svg, !Catch::Contains("nan"));
}

// compare_view.cpp and postmortem_view.cpp count_of(): static_cast of a
// negative or huge double to uint64_t.
TEST_CASE("fuzz regression: out-of-range counts render in every report without undefined behaviour",
          "[reporters][fuzz]") {
  json j = json::parse(R"({"schema": "faultline.journal/1", "end": {"t": 1},
    "windows": [{"start_s": 0, "end_s": 1, "requests": 3,
                 "backends": {"web1": 1e300, "web2": -5, "web3": 1},
                 "status": {"503": 1e300, "502": -1}, "errors": {"timeout": -2, "reset": 1e300}}]})");
  for (const auto& reporter : ReporterRegistry::instance().all()) {
    INFO("format: " << reporter.format);
    try {
      const std::string text = reporter.render(j, "");
      CHECK_FALSE(text.empty());
    } catch (const std::exception&) {
      // `faultline report` reports these; undefined behaviour is what must not happen.
    }
  }
  try {
    const json view = faultline::reporters::compare_view(j, j, "a.json", "b.json");
    CHECK(view.is_object());
  } catch (const std::exception&) {
  }
}
