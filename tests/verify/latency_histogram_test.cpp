#include "harness/verify/latency_histogram.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <vector>

#include "harness/verify/window.h"

namespace faultline::verify {
namespace {

constexpr int64_t us = 1'000;
constexpr int64_t ms = 1'000'000;
constexpr int64_t second = 1'000'000'000;

const std::vector<double> probes{0, 0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100};

// Fills a histogram with `values_ns` and checks every probe percentile
// against the exact nearest-rank one of the sorted values; within the
// histogram's promise (5 us below 10 ms, 0.5 ms to 60 s, exact beyond) and
// so within the 1 ms the issue asks for.
void check_against_exact(const std::vector<int64_t>& values_ns) {
  LatencyHistogram histogram;
  std::vector<double> exact;
  for (int64_t v : values_ns) {
    histogram.add_ns(v);
    exact.push_back(static_cast<double>(v) / 1e6);
  }
  std::sort(exact.begin(), exact.end());
  const std::vector<double> read = histogram.percentiles_ms(probes);
  for (std::size_t i = 0; i < probes.size(); ++i) {
    const double truth = percentile(exact, probes[i]);
    const double allowed = truth < 10 ? 0.005 : truth < 60'000 ? 0.5 : 0.0;
    INFO("p(" << probes[i] << ") of " << exact.size() << " values: exact " << truth << " ms, histogram "
              << read[i] << " ms");
    CHECK(std::abs(read[i] - truth) <= allowed + 1e-9);
    CHECK(histogram.percentile_ms(probes[i]) == read[i]);
  }
  CHECK(histogram.count() == values_ns.size());
  CHECK(histogram.min_ms() == exact.front());
  CHECK(histogram.max_ms() == exact.back());
}

TEST_CASE("the latency axis has 10 us bins below 10 ms and 1 ms bins up to 60 s", "[verify][histogram]") {
  const LatencyAxis axis;
  CHECK(axis.index(0) == 0);
  CHECK(axis.index(10 * us - 1) == 0);
  CHECK(axis.index(10 * us) == 1);
  CHECK(axis.index(10 * ms - 1) == 999);
  CHECK(axis.index(10 * ms) == 1000);
  CHECK(axis.index(11 * ms - 1) == 1000);
  CHECK(axis.index(11 * ms) == 1001);
  CHECK(axis.index(60 * second - 1) == axis.size() - 1);
  CHECK(axis.index(60 * second) == axis.size());
  CHECK(axis.index(3600 * second) == axis.size());
  CHECK(axis.index(-5 * ms) == 0);
  CHECK(axis.size() == 1000 + 59'990);

  for (int i = 0; i < axis.size(); ++i) {
    const int64_t lower = LatencyAxis::lower_ns(i);
    const int64_t upper = LatencyAxis::lower_ns(i + 1);
    REQUIRE(axis.index(lower) == i);
    REQUIRE(axis.index(upper - 1) == i);
    REQUIRE(upper - lower <= (lower < 10 * ms ? 10 * us : 1 * ms));
  }
  CHECK(LatencyAxis::lower_ns(axis.size()) == 60 * second);
}

TEST_CASE("count, mean, min and max of a latency histogram are exact", "[verify][histogram]") {
  LatencyHistogram histogram;
  for (int64_t v : {3 * ms + 7, 12 * ms + 345'678, 2 * second + 1, 1 * us}) {
    histogram.add_ns(v);
  }
  CHECK(histogram.count() == 4);
  CHECK(histogram.mean_ms() == Approx((3.000007 + 12.345678 + 2000.000001 + 0.001) / 4));
  CHECK(histogram.min_ms() == 0.001);
  CHECK(histogram.max_ms() == 2000.000001);
  CHECK(histogram.percentile_ms(100) == 2000.000001);
  CHECK(histogram.percentile_ms(0) == 0.001);
}

TEST_CASE("an empty latency histogram reads as zero", "[verify][histogram]") {
  const LatencyHistogram histogram;
  CHECK(histogram.empty());
  CHECK(histogram.count() == 0);
  CHECK(histogram.mean_ms() == 0);
  CHECK(histogram.max_ms() == 0);
  CHECK(histogram.percentile_ms(99) == 0);
  CHECK(histogram.percentiles_ms(probes) == std::vector<double>(probes.size(), 0.0));
}

TEST_CASE("histogram percentiles match exact ones on random latencies", "[verify][histogram]") {
  std::mt19937_64 random(20261124);
  SECTION("uniform over 0 to 100 ms") {
    std::uniform_int_distribution<int64_t> uniform(0, 100 * ms);
    std::vector<int64_t> values(50'000);
    std::generate(values.begin(), values.end(), [&] { return uniform(random); });
    check_against_exact(values);
  }
  SECTION("log-normal with a long tail toward 60 s") {
    std::lognormal_distribution<double> tail(std::log(5.0), 1.5);  // median 5 ms
    std::vector<int64_t> values(50'000);
    std::generate(values.begin(), values.end(),
                  [&] { return std::min<int64_t>(std::llround(tail(random) * 1e6), 59'999 * ms); });
    check_against_exact(values);
  }
  SECTION("few values") {
    std::uniform_int_distribution<int64_t> uniform(0, 5 * second);
    for (int n = 1; n <= 7; ++n) {
      std::vector<int64_t> values(static_cast<std::size_t>(n));
      std::generate(values.begin(), values.end(), [&] { return uniform(random); });
      check_against_exact(values);
    }
  }
}

TEST_CASE("histogram percentiles match exact ones on adversarial latencies", "[verify][histogram]") {
  SECTION("values on bin edges and just below them") {
    std::vector<int64_t> values;
    for (int64_t edge : {10 * us, 9990 * us, 10 * ms, 11 * ms, 250 * ms, 59'999 * ms}) {
      for (int k = 0; k < 50; ++k) {
        values.push_back(edge);
        values.push_back(edge - 1);
      }
    }
    check_against_exact(values);
  }
  SECTION("every value the same") {
    check_against_exact(std::vector<int64_t>(1000, 123'456'789));
  }
  SECTION("a fast service with a 1 s stall: two far-apart modes") {
    std::vector<int64_t> values(9'990, 2 * ms + 300 * us);
    values.insert(values.end(), 10, 1 * second + 2 * ms);
    check_against_exact(values);
  }
  SECTION("a 1 s stall under constant-rate load, latencies counted from the intended time") {
    // One request per ms for 20 s; those meant for [8 s, 9 s) wait for the
    // stall to end at 9 s, then take the same 2.3 ms as the others.
    std::vector<int64_t> values;
    for (int64_t at = 0; at < 20 * second; at += ms) {
      const bool stalled = at >= 8 * second && at < 9 * second;
      values.push_back((stalled ? 9 * second - at : 0) + 2 * ms + 300 * us);
    }
    check_against_exact(values);
    LatencyHistogram histogram;
    for (int64_t v : values) {
      histogram.add_ns(v);
    }
    CHECK(histogram.percentile_ms(99) == Approx(802.3).margin(1));
    CHECK(histogram.percentile_ms(50) == Approx(2.3).margin(0.01));
  }
  SECTION("values at and beyond 60 s are exact") {
    std::vector<int64_t> values(100, 5 * ms);
    for (int64_t v : {60 * second, 61 * second + 1, 75 * second, 3600 * second}) {
      values.push_back(v);
    }
    check_against_exact(values);
    LatencyHistogram histogram;
    for (int64_t v : values) {
      histogram.add_ns(v);
    }
    CHECK(histogram.percentile_ms(98) == 61'000.000001);  // rank 102 of 104
    CHECK(histogram.percentile_ms(99) == 75'000);
  }
  SECTION("negative latencies from clock skew count in the first bin") {
    check_against_exact({-3 * us, 1 * us, 2 * us});
  }
}

TEST_CASE("merging histograms is the same as filling one with all the values", "[verify][histogram]") {
  std::mt19937_64 random(7);
  std::uniform_int_distribution<int64_t> uniform(0, 70 * second);
  LatencyHistogram left;
  LatencyHistogram right;
  LatencyHistogram all;
  for (int i = 0; i < 5'000; ++i) {
    const int64_t v = uniform(random);
    (i % 3 == 0 ? left : right).add_ns(v);
    all.add_ns(v);
  }
  LatencyHistogram merged;
  merged += left;
  merged += right;
  merged += LatencyHistogram();
  CHECK(merged.count() == all.count());
  CHECK(merged.mean_ms() == Approx(all.mean_ms()));
  CHECK(merged.min_ms() == all.min_ms());
  CHECK(merged.max_ms() == all.max_ms());
  CHECK(merged.percentiles_ms(probes) == all.percentiles_ms(probes));
}

TEST_CASE("a bin's count may grow past what one byte holds", "[verify][histogram]") {
  LatencyHistogram histogram;
  for (int i = 0; i < 70'000; ++i) {
    histogram.add_ns(1 * ms);
  }
  histogram.add_ns(900 * ms);
  CHECK(histogram.count() == 70'001);
  CHECK(histogram.percentile_ms(99.99) == Approx(1).margin(0.005));
  CHECK(histogram.percentile_ms(100) == 900);
}

}  // namespace
}  // namespace faultline::verify
