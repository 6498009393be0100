// Journals found by fuzzing (tests/fuzz/fuzz_journal, scripts/fuzz.sh) that
// once made a reporter convert an out-of-range JSON number to an integer
// (undefined behaviour: UBSan stops the sanitizer build of these tests),
// kept as regression tests.

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "harness/journal/journal.h"
#include "reporters/compare_view.h"
#include "reporters/number_cast.h"
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
  const std::string svg = faultline::reporters::window_metric_svg(faultline::journal::from_json(j),
                                                                  WindowMetric::max_backend_share);
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

// --- Saturating conversions (reporters/number_cast.h) ----------------------------------------

TEST_CASE("saturating_u64 maps NaN and negatives to 0 and clamps above the range",
          "[reporters][fuzz][number]") {
  using faultline::reporters::saturating_u64;
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  CHECK(saturating_u64(std::numeric_limits<double>::quiet_NaN()) == 0);
  CHECK(saturating_u64(std::numeric_limits<double>::infinity()) == kMax);
  CHECK(saturating_u64(-std::numeric_limits<double>::infinity()) == 0);
  CHECK(saturating_u64(-5) == 0);
  CHECK(saturating_u64(-0.0) == 0);
  CHECK(saturating_u64(1e300) == kMax);
  CHECK(saturating_u64(-1e300) == 0);
  // 2^64 is the first double out of range; the double just below it is exact.
  CHECK(saturating_u64(0x1p64) == kMax);
  CHECK(saturating_u64(std::nextafter(0x1p64, 0.0)) == 18446744073709549568ULL);
  CHECK(saturating_u64(1.9) == 1);
  CHECK(saturating_u64(1201) == 1201);
}

TEST_CASE("saturating_i64 maps NaN to 0 and clamps to both ends of the range", "[reporters][fuzz][number]") {
  using faultline::reporters::saturating_i64;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  CHECK(saturating_i64(std::numeric_limits<double>::quiet_NaN()) == 0);
  CHECK(saturating_i64(std::numeric_limits<double>::infinity()) == kMax);
  CHECK(saturating_i64(-std::numeric_limits<double>::infinity()) == kMin);
  CHECK(saturating_i64(1e300) == kMax);
  CHECK(saturating_i64(-1e300) == kMin);
  CHECK(saturating_i64(0x1p63) == kMax);
  CHECK(saturating_i64(std::nextafter(0x1p63, 0.0)) == 9223372036854774784LL);
  CHECK(saturating_i64(-0x1p63) == kMin);
  CHECK(saturating_i64(std::nextafter(-0x1p63, -1e300)) == kMin);
  CHECK(saturating_i64(-1.9) == -1);
  CHECK(saturating_i64(1732440000000.0) == 1732440000000LL);
}

TEST_CASE("saturating sums stop at the ends of the range instead of wrapping", "[reporters][fuzz][number]") {
  using faultline::reporters::saturating_add;
  constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  CHECK(saturating_add(kU64Max, uint64_t{1}) == kU64Max);
  CHECK(saturating_add(kU64Max - 1, uint64_t{1}) == kU64Max);
  CHECK(saturating_add(uint64_t{2}, uint64_t{3}) == 5);
  CHECK(saturating_add(kMax, int64_t{1}) == kMax);
  CHECK(saturating_add(kMin, int64_t{-1}) == kMin);
  CHECK(saturating_add(kMin, kMax) == -1);
  CHECK(saturating_add(int64_t{-2}, int64_t{3}) == 1);
}

TEST_CASE("a journal count is 0 unless it is a positive number, and integers stay exact",
          "[reporters][fuzz][number]") {
  using faultline::reporters::journal_count;
  CHECK(journal_count(json(18446744073709551615ULL)) == 18446744073709551615ULL);
  CHECK(journal_count(json(int64_t{9007199254740993})) == 9007199254740993ULL);
  CHECK(journal_count(json(-5)) == 0);
  CHECK(journal_count(json(-1e300)) == 0);
  CHECK(journal_count(json(1e300)) == std::numeric_limits<uint64_t>::max());
  CHECK(journal_count(json(std::numeric_limits<double>::quiet_NaN())) == 0);
  CHECK(journal_count(json(2.5)) == 2);
  CHECK(journal_count(json("12")) == 0);
  CHECK(journal_count(json(nullptr)) == 0);
}

// --- Every report from a journal whose numbers are all out of range -----------------------

namespace {

// The fixed journal of the golden tests with every number (counts, times,
// rates, epoch_ms) replaced by `value`: each integer conversion in every
// reporter meets it.
json with_every_number(const json& j, double value) {
  if (j.is_number()) {
    return json(value);
  }
  json out = j;
  if (j.is_object() || j.is_array()) {
    auto it = out.begin();
    for (auto in = j.begin(); in != j.end(); ++in, ++it) {
      *it = with_every_number(*in, value);
    }
  }
  return out;
}

json fixed_journal() {
  std::ifstream in(std::filesystem::path(FAULTLINE_TEST_DATA) / "journals" / "weight_skew.json");
  return json::parse(in);
}

// Renders every registered reporter and the comparison; UBSan (the
// sanitizer build of these tests) fails the test on any undefined
// conversion on the way.
void render_everything(const json& j) {
  for (const auto& reporter : ReporterRegistry::instance().all()) {
    INFO("format: " << reporter.format);
    CHECK_FALSE(reporter.render(j, "").empty());
  }
  const json view = faultline::reporters::compare_view(j, j, "a.json", "b.json");
  CHECK(view.is_object());
  CHECK_FALSE(faultline::reporters::render_compare_md(view).empty());
}

}  // namespace

TEST_CASE("every report renders when every number of the journal is out of range", "[reporters][fuzz]") {
  const json journal = fixed_journal();
  // Huge, tiny and negative: beyond int64_t and uint64_t, just past 2^63
  // and 2^64, and negatives that have no unsigned value.
  for (const double value : {1e300, -1e300, 1.7e308, -1.7e308, 0x1p64, 0x1p63, -0x1p63 * 2, -5.0, 1e-320}) {
    INFO("every number is " << value);
    render_everything(with_every_number(journal, value));
  }
}

TEST_CASE("every report renders when the journal holds NaN or infinity", "[reporters][fuzz]") {
  // JSON text cannot hold them, but a journal built in code can.
  const json journal = fixed_journal();
  for (const double value :
       {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
        -std::numeric_limits<double>::infinity()}) {
    INFO("every number is " << value);
    render_everything(with_every_number(journal, value));
  }
}

TEST_CASE("huge counts and times in phases and the impact saturate in the postmortem", "[reporters][fuzz]") {
  json j = fixed_journal();
  j["start"]["epoch_ms"] = 1e300;
  j["analysis"]["impact"]["requests"] = 1e300;
  j["analysis"]["impact"]["failed"] = 1e300;
  j["analysis"]["impact"]["users_seen"] = -1e300;
  j["load"]["requests"] = -5;
  for (auto& p : j["phases"]) {
    p["requests"] = 1e300;
    for (auto& [name, n] : p["backends"].items()) {
      n = 1e300;
    }
  }
  const auto* md = ReporterRegistry::instance().find("md");
  REQUIRE(md != nullptr);
  const std::string text = md->render(j, "");
  CHECK_THAT(text, Catch::Contains("18446744073709551615"));
  render_everything(j);
}
