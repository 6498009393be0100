#include "harness/verify/latency_histogram.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace faultline::verify {

namespace {

using boost::histogram::axis::index_type;

// The nearest rank (1-based) of percentile p among n values: the smallest
// rank with at least p% of the values at or below it. The epsilon keeps
// p*n/100 from rounding up past an exact rank (99.9 is not exact in binary).
uint64_t nearest_rank(double p, uint64_t n) {
  const double rank = std::ceil(p * static_cast<double>(n) / 100.0 - 1e-9);
  return static_cast<uint64_t>(std::clamp(rank, 1.0, static_cast<double>(n)));
}

}  // namespace

index_type LatencyAxis::index(int64_t ns) const {
  if (ns < fine_limit_ns) {
    return ns < 0 ? 0 : static_cast<index_type>(ns / fine_width_ns);
  }
  if (ns >= limit_ns) {
    return bins;
  }
  return fine_bins + static_cast<index_type>((ns - fine_limit_ns) / coarse_width_ns);
}

int64_t LatencyAxis::lower_ns(index_type i) {
  if (i <= fine_bins) {
    return int64_t{i} * fine_width_ns;
  }
  return fine_limit_ns + int64_t{i - fine_bins} * coarse_width_ns;
}

LatencyHistogram::LatencyHistogram() : histogram_(std::make_tuple(LatencyAxis{})) {}

void LatencyHistogram::add_ns(int64_t ns) {
  histogram_(ns);
  if (ns >= LatencyAxis::limit_ns) {
    beyond_limit_ns_.insert(std::upper_bound(beyond_limit_ns_.begin(), beyond_limit_ns_.end(), ns), ns);
  }
  min_ns_ = count_ == 0 ? ns : std::min(min_ns_, ns);
  max_ns_ = count_ == 0 ? ns : std::max(max_ns_, ns);
  ++count_;
  sum_ns_ += static_cast<double>(ns);
}

void LatencyHistogram::add_ms(double ms) {
  add_ns(std::llround(ms * 1e6));
}

LatencyHistogram& LatencyHistogram::operator+=(const LatencyHistogram& other) {
  if (other.count_ == 0) {
    return *this;
  }
  histogram_ += other.histogram_;
  std::vector<int64_t> merged;
  merged.reserve(beyond_limit_ns_.size() + other.beyond_limit_ns_.size());
  std::merge(beyond_limit_ns_.begin(), beyond_limit_ns_.end(), other.beyond_limit_ns_.begin(),
             other.beyond_limit_ns_.end(), std::back_inserter(merged));
  beyond_limit_ns_ = std::move(merged);
  min_ns_ = count_ == 0 ? other.min_ns_ : std::min(min_ns_, other.min_ns_);
  max_ns_ = count_ == 0 ? other.max_ns_ : std::max(max_ns_, other.max_ns_);
  count_ += other.count_;
  sum_ns_ += other.sum_ns_;
  return *this;
}

double LatencyHistogram::mean_ms() const {
  return count_ == 0 ? 0.0 : sum_ns_ / static_cast<double>(count_) / 1e6;
}

double LatencyHistogram::min_ms() const {
  return static_cast<double>(min_ns_) / 1e6;
}

double LatencyHistogram::max_ms() const {
  return static_cast<double>(max_ns_) / 1e6;
}

double LatencyHistogram::percentile_ms(double p) const {
  return percentiles_ms(std::span<const double>(&p, 1)).front();
}

double LatencyHistogram::in_bin_ms(int bin) const {
  // The midpoint is at most half a bin from any value in the bin; clamping
  // makes a bin that holds the smallest or largest value no worse than it.
  const int64_t mid2 = LatencyAxis::lower_ns(bin) + LatencyAxis::lower_ns(bin + 1);
  const double mid_ns = static_cast<double>(mid2) / 2;
  return std::clamp(mid_ns, static_cast<double>(min_ns_), static_cast<double>(max_ns_)) / 1e6;
}

std::vector<double> LatencyHistogram::percentiles_ms(std::span<const double> ps) const {
  std::vector<double> out(ps.size(), 0.0);
  if (count_ == 0) {
    return out;
  }
  // Visit the wanted ranks in increasing order in one walk over the bins.
  std::vector<std::size_t> order(ps.size());
  std::iota(order.begin(), order.end(), 0);
  std::vector<uint64_t> ranks(ps.size());
  for (std::size_t i = 0; i < ps.size(); ++i) {
    ranks[i] = nearest_rank(ps[i], count_);
  }
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return ranks[a] < ranks[b]; });

  const uint64_t binned = count_ - beyond_limit_ns_.size();
  std::size_t next = 0;
  uint64_t seen = 0;
  int bin = 0;
  for (auto cell = histogram_.begin();
       cell != histogram_.end() && bin < LatencyAxis::bins && next < order.size(); ++cell, ++bin) {
    seen += static_cast<uint64_t>(static_cast<double>(*cell));
    while (next < order.size() && ranks[order[next]] <= seen) {
      // The first and last ranks are the exact minimum and maximum.
      const uint64_t rank = ranks[order[next]];
      out[order[next]] = rank == count_ ? max_ms() : rank == 1 ? min_ms() : in_bin_ms(bin);
      ++next;
    }
  }
  for (; next < order.size(); ++next) {
    // Beyond the binned range: the exact value among those kept aside.
    const uint64_t rank = ranks[order[next]];
    const std::size_t at = rank > binned ? static_cast<std::size_t>(rank - binned - 1) : 0;
    out[order[next]] =
        beyond_limit_ns_.empty()
            ? max_ms()
            : static_cast<double>(beyond_limit_ns_[std::min(at, beyond_limit_ns_.size() - 1)]) / 1e6;
  }
  return out;
}

}  // namespace faultline::verify
