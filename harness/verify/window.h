#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "harness/common/units.h"
#include "harness/load/sample.h"
#include "harness/verify/latency_histogram.h"

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
  // Latency (coordinated-omission corrected: done - intended, as wrk2
  // measures it), milliseconds, over all requests of the window that got a
  // response or failed. Percentiles are nearest-rank, read from `latency`
  // (within 5 us below 10 ms, 0.5 ms up to 60 s, exact beyond); the mean
  // and max are exact.
  double mean_ms = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double p999_ms = 0;  // p99.9
  double max_ms = 0;
  // Uncorrected latency (service time: done - sent, what wrk without -R or
  // ab would report), milliseconds, over the requests that were written. A
  // request that never went out (its connect failed, or it timed out
  // waiting for a connection) has no service time and is left out, so a
  // stall shows in p99_ms but not here: compare the two to tell the server
  // being slow from requests waiting to be sent.
  double service_p50_ms = 0;
  double service_p90_ms = 0;
  double service_p99_ms = 0;
  LatencyHistogram latency;          // corrected, every request of the window
  LatencyHistogram service_latency;  // uncorrected, the requests that were written

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
  // Corrected latency percentile (0-100), nearest rank, from `latency`.
  double percentile_ms(double p) const;
  // Uncorrected latency percentile (0-100), from `service_latency`.
  double service_percentile_ms(double p) const;
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
