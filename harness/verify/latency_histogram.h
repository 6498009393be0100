#pragma once

#include <boost/histogram/axis/option.hpp>
#include <boost/histogram/fwd.hpp>
#include <boost/histogram/histogram.hpp>
#include <boost/histogram/unlimited_storage.hpp>
#include <cstdint>
#include <span>
#include <tuple>
#include <vector>

namespace faultline::verify {

// The bins of a LatencyHistogram, in nanoseconds: 10 us wide below 10 ms,
// 1 ms wide from 10 ms to 60 s, and one overflow bin from 60 s up. The axis
// is computed, not tabulated, so a histogram carries no table of edges.
// Negative latencies (clock skew) count in the first bin.
class LatencyAxis {
 public:
  static constexpr int64_t fine_width_ns = 10'000;
  static constexpr int64_t fine_limit_ns = 10'000'000;
  static constexpr int64_t coarse_width_ns = 1'000'000;
  static constexpr int64_t limit_ns = 60'000'000'000;
  static constexpr int fine_bins = static_cast<int>(fine_limit_ns / fine_width_ns);
  static constexpr int bins = fine_bins + static_cast<int>((limit_ns - fine_limit_ns) / coarse_width_ns);

  static constexpr unsigned options() { return boost::histogram::axis::option::overflow_t::value; }
  // 0 .. size()-1 for a bin, size() for the overflow bin.
  boost::histogram::axis::index_type index(int64_t ns) const;
  boost::histogram::axis::index_type size() const { return bins; }
  // Lower edge of bin `i` in ns; lower_ns(size()) is limit_ns.
  static int64_t lower_ns(boost::histogram::axis::index_type i);
  // The lower edge, as Boost.Histogram asks of an axis (to merge histograms).
  int64_t value(boost::histogram::axis::index_type i) const { return lower_ns(i); }
  bool operator==(const LatencyAxis&) const { return true; }
};

// The latencies of many requests, kept in a Boost.Histogram so a window of
// any rate costs the same memory (about 61 KB: one byte per bin until a
// bin's count needs more, as unlimited_storage widens cells on demand).
//
// Guarantees: count, mean, min and max are exact. A percentile is the
// nearest-rank percentile of the recorded values to within half a bin: 5 us
// below 10 ms and 0.5 ms up to 60 s (the midpoint of the bin that holds the
// exact value, clamped to [min, max]). Values of 60 s and more are kept
// exactly beside the histogram (they are rare: a request timeout normally
// ends a request well before), so percentiles among them are exact too.
class LatencyHistogram {
 public:
  LatencyHistogram();

  void add_ns(int64_t ns);
  void add_ms(double ms);
  // Adds every value recorded in `other`.
  LatencyHistogram& operator+=(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  // 0 for an empty histogram, as are min_ms() and max_ms().
  double mean_ms() const;
  double min_ms() const;
  double max_ms() const;
  // Nearest-rank percentile, p in [0, 100] (p 0 reads as the minimum); 0
  // for an empty histogram.
  double percentile_ms(double p) const;
  // Several percentiles in one pass over the bins, in the order of `ps`.
  std::vector<double> percentiles_ms(std::span<const double> ps) const;

 private:
  using Histogram =
      boost::histogram::histogram<std::tuple<LatencyAxis>, boost::histogram::unlimited_storage<>>;

  double in_bin_ms(int bin) const;

  Histogram histogram_;
  std::vector<int64_t> beyond_limit_ns_;  // sorted values >= LatencyAxis::limit_ns
  uint64_t count_ = 0;
  double sum_ns_ = 0;
  int64_t min_ns_ = 0;
  int64_t max_ns_ = 0;
};

}  // namespace faultline::verify
