#include "reporters/number_text.h"

#include <catch2/catch.hpp>

#include "reporters/time_format.h"

using faultline::reporters::milliseconds_text;
using faultline::reporters::percent_text;
using faultline::reporters::PercentStyle;

TEST_CASE("prose percentages take as few decimals as their size allows", "[reporters][number]") {
  CHECK(percent_text(0, PercentStyle::prose) == "0%");
  CHECK(percent_text(0.0005, PercentStyle::prose) == "0.05%");
  CHECK(percent_text(0.095, PercentStyle::prose) == "9.5%");
  // 9.99 rounds to 10 as it prints, so it reads like its neighbours.
  CHECK(percent_text(0.0999, PercentStyle::prose) == "10%");
  CHECK(percent_text(0.25, PercentStyle::prose) == "25%");
}

TEST_CASE("column percentages keep one decimal so that columns line up", "[reporters][number]") {
  CHECK(percent_text(0, PercentStyle::column) == "0.0%");
  CHECK(percent_text(0.0002, PercentStyle::column) == "0.02%");
  CHECK(percent_text(0.067, PercentStyle::column) == "6.7%");
  CHECK(percent_text(0.25, PercentStyle::column) == "25.0%");
}

TEST_CASE("chart labels have one decimal below 10 percent and none above", "[reporters][number]") {
  CHECK(percent_text(0, PercentStyle::label) == "0%");
  CHECK(percent_text(0.095, PercentStyle::label) == "9.5%");
  CHECK(percent_text(0.0999, PercentStyle::label) == "10%");
  CHECK(percent_text(0.42, PercentStyle::label) == "42%");
}

TEST_CASE("milliseconds have a decimal only below 10 ms", "[reporters][number]") {
  CHECK(milliseconds_text(8.46) == "8.5 ms");
  CHECK(milliseconds_text(10) == "10 ms");
  CHECK(milliseconds_text(850.4) == "850 ms");
}

TEST_CASE("a duration is never printed as 1000 ms or 60.0 s", "[reporters][number_text]") {
  using faultline::reporters::human_duration;
  CHECK(human_duration(0.4994) == "499 ms");
  CHECK(human_duration(0.9999) == "1.0 s");
  CHECK(human_duration(1.0) == "1.0 s");
  CHECK(human_duration(59.94) == "59.9 s");
  CHECK(human_duration(59.97) == "1 min 00 s");
}
