#include "harness/common/units.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

using faultline::Duration;
using faultline::format_duration;
using faultline::format_ms;
using faultline::parse_duration;
using faultline::parse_percent;
using faultline::parse_rate;
using namespace std::chrono_literals;

TEST_CASE("parse_duration reads every unit", "[common][units]") {
  CHECK(parse_duration("7ns") == Duration(7));
  CHECK(parse_duration("100us") == Duration(100'000));
  CHECK(parse_duration("250ms") == Duration(250'000'000));
  CHECK(parse_duration("2s") == Duration(2'000'000'000));
  CHECK(parse_duration("2m") == Duration(120'000'000'000));
  CHECK(parse_duration("1h") == Duration(3'600'000'000'000));
  CHECK(parse_duration("0s") == Duration(0));
}

TEST_CASE("parse_duration reads decimals exactly", "[common][units]") {
  CHECK(parse_duration("1.5s") == Duration(1'500'000'000));
  CHECK(parse_duration("0.1s") == Duration(100'000'000));
  CHECK(parse_duration("1.1s") == Duration(1'100'000'000));
  CHECK(parse_duration("0.25m") == Duration(15'000'000'000));
  CHECK(parse_duration("1.000000001s") == Duration(1'000'000'001));
}

TEST_CASE("parse_duration refuses anything but a number with a unit", "[common][units]") {
  for (const char* text : {"", "250", "ms", "1 s", " 1s", "1s ", "-1s", "+1s", ".5s", "5.s", "1sec", "1S",
                           "1e3ms", "1.5.0s", "1ms2", "1d"}) {
    INFO("text: '" << text << "'");
    CHECK_FALSE(parse_duration(text).has_value());
  }
}

TEST_CASE("parse_duration refuses a duration that does not fit", "[common][units]") {
  CHECK_FALSE(parse_duration("9999999h").has_value());
  CHECK_FALSE(parse_duration("99999999999999999999999s").has_value());
  CHECK(parse_duration("2562047h") == Duration(2562047LL * 3'600'000'000'000LL));
}

TEST_CASE("parse_rate returns requests per second", "[common][units]") {
  CHECK(parse_rate("600/s") == Approx(600));
  CHECK(parse_rate("30/m") == Approx(0.5));
  CHECK(parse_rate("3600/h") == Approx(1));
  CHECK(parse_rate("1.5k/s") == Approx(1500));
  CHECK(parse_rate("0.5/s") == Approx(0.5));
}

TEST_CASE("parse_rate refuses malformed rates", "[common][units]") {
  for (const char* text :
       {"", "600", "600/", "/s", "600/sec", "600 /s", "-1/s", "1.5K/s", "1.5kk/s", "600/ms"}) {
    INFO("text: '" << text << "'");
    CHECK_FALSE(parse_rate(text).has_value());
  }
}

TEST_CASE("parse_percent returns a fraction", "[common][units]") {
  CHECK(parse_percent("0.5%") == Approx(0.005));
  CHECK(parse_percent("60%") == Approx(0.6));
  CHECK(parse_percent("100%") == Approx(1.0));
  CHECK(parse_percent("0%") == Approx(0.0));
}

TEST_CASE("parse_percent refuses malformed percentages", "[common][units]") {
  for (const char* text : {"", "0.5", "%", "-1%", "1 %", "1%%", "0.5 %"}) {
    INFO("text: '" << text << "'");
    CHECK_FALSE(parse_percent(text).has_value());
  }
}

TEST_CASE("format_duration picks the shortest exact form with one unit", "[common][units]") {
  CHECK(format_duration(0s) == "0s");
  CHECK(format_duration(1s) == "1s");
  CHECK(format_duration(250ms) == "250ms");
  CHECK(format_duration(1500ms) == "1.5s");
  CHECK(format_duration(100ms) == "100ms");
  CHECK(format_duration(60s) == "1m");
  CHECK(format_duration(90s) == "90s");
  CHECK(format_duration(100s) == "100s");
  CHECK(format_duration(1h) == "1h");
  CHECK(format_duration(90min) == "90m");
  CHECK(format_duration(2500us) == "2.5ms");
  CHECK(format_duration(Duration(1)) == "1ns");
  CHECK(format_duration(Duration(1'000'000'001)) == "1000000001ns");
  CHECK(format_duration(-2s) == "-2s");
}

TEST_CASE("format_duration output parses back to the same duration", "[common][units]") {
  for (const Duration d : {Duration(1), Duration(999), Duration(1500), Duration(123'456'789),
                           Duration(1'500'000'000), Duration(90'000'000'000), Duration(7'200'000'000'000)}) {
    INFO("ns: " << d.count());
    CHECK(parse_duration(format_duration(d)) == d);
  }
}

TEST_CASE("format_ms keeps about three significant digits", "[common][units]") {
  CHECK(format_ms(0.42) == "0.42 ms");
  CHECK(format_ms(3.14159) == "3.14 ms");
  CHECK(format_ms(12.34) == "12.3 ms");
  CHECK(format_ms(1520.4) == "1520 ms");
  CHECK(format_ms(std::nan("")) == "n/a");
  CHECK(format_ms(std::numeric_limits<double>::infinity()) == "n/a");
}
