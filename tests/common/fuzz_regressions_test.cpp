// Inputs found by fuzzing (tests/fuzz, scripts/fuzz.sh) that once broke a
// documented property of the unit parsers, kept as regression tests.

#include <catch2/catch.hpp>

#include "harness/common/units.h"

using faultline::Duration;
using faultline::format_duration;
using faultline::parse_duration;

// fuzz_units: "200.00000001s" parsed to 200000000010ns, which
// format_duration wrote as "3.3333333335m": 10 fraction digits, more than
// parse_duration reads (9), so the output did not parse back.
TEST_CASE("fuzz regression: format_duration never writes more fraction digits than parse_duration reads",
          "[common][units][fuzz]") {
  const auto parsed = parse_duration("200.00000001s");
  REQUIRE(parsed.has_value());
  CHECK(parsed->count() == 200'000'000'010);
  const std::string text = format_duration(*parsed);
  INFO("format_duration: " << text);
  CHECK(parse_duration(text) == parsed);
  CHECK(text == "200.00000001s");
  CHECK(parse_duration("3.3333333335m") == std::nullopt);  // still refused: 10 fraction digits
}

TEST_CASE("fuzz regression: durations with long fractions in minutes and hours round-trip",
          "[common][units][fuzz]") {
  // Multiples of 3 ns are where minutes/hours terminate after 10-13 digits.
  for (const int64_t ns : {200'000'000'010LL, 20'000'000'001LL * 3, 3'600'000'000'003LL, 7'200'000'000'012LL,
                           60'000'000'006LL, 180'000'000'003LL}) {
    INFO("ns: " << ns << " -> " << format_duration(Duration(ns)));
    CHECK(parse_duration(format_duration(Duration(ns))) == Duration(ns));
  }
}
