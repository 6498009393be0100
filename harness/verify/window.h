#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "harness/common/units.h"
#include "harness/load/sample.h"

namespace faultline::verify {

// Everything measured in one window of the run. Requests belong to the
// window of their intended send time.
struct WindowStats {
  int index = 0;
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  uint64_t requests = 0;
  uint64_t errors = 0;  // transport errors + 5xx
  uint64_t transport_errors = 0;
  std::map<int, uint64_t> status_counts;           // HTTP status -> count
  std::map<std::string, uint64_t> error_classes;   // transport error class -> count
  std::map<std::string, uint64_t> backend_counts;  // answering backend -> count ("" = unknown)
  // Latency (coordinated-omission corrected), milliseconds, over all
  // requests of the window that got a response or failed.
  double mean_ms = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;

  double error_rate() const { return requests ? double(errors) / double(requests) : 0.0; }
  double throughput() const;  // requests per second
  // Shares are taken over the requests that a known backend answered:
  // share = count(backend) / sum of counts of named backends. Requests with
  // no backend name (transport errors, an LB's own 503, a missing header)
  // are left out of the denominator, so a backend that stops answering
  // shows as its peers' shares growing, not as every share shrinking.
  // backend_share("") is 0; 0 too when no named backend answered.
  double backend_share(const std::string& backend) const;
  // Largest share any single known backend got; 0 when none answered.
  double max_backend_share() const;
  // Latency percentile (0-100) computed for this window; see percentile().
  double percentile_ms(double p) const;

  std::vector<double> sorted_latencies_ms;  // kept for arbitrary percentiles
};

// Splits the samples into consecutive windows of `width` covering
// [from_ns, to_ns); a final partial window (shorter than `width`, its
// end_ns at to_ns) is kept when it spans at least half the width, and its
// samples are dropped otherwise, as are samples outside [from_ns, to_ns).
// Each window lists every backend that answered in it, "" for unknown.
std::vector<WindowStats> build_windows(const load::LoadResult& result, Duration width, int64_t from_ns,
                                       int64_t to_ns);

// Nearest-rank percentile over sorted values; 0 for an empty vector.
double percentile(const std::vector<double>& sorted, double p);

}  // namespace faultline::verify
