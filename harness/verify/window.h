#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "harness/common/units.h"
#include "harness/load/sample.h"
#include "harness/verify/latency_histogram.h"

namespace faultline::verify {

// Everything measured in one window [start_ns, end_ns) of the run, counted
// two ways. A request belongs to the window of its intended send time: every
// figure about requests (their count, errors, statuses, backends, latency)
// judges the requests the load meant to send in the window, so a request
// that times out still counts against the window it was meant for. A
// response belongs to the window in which it arrived (its done_ns): the
// response counts and the rates made from them say what the service
// delivered in the window, whichever window the request was meant for.
struct WindowStats {
  int index = 0;
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  uint64_t requests = 0;  // intended in the window: the offered load
  uint64_t errors = 0;    // of those: transport errors + 5xx
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
  // ---- request mix ----
  // Empty for the window itself; a request name for its breakdown below.
  std::string request_name;
  // The same window over only one request's samples, for each name
  // build_windows was asked to split by (objectives with {name:...}).
  std::vector<WindowStats> by_request;
  // The breakdown for `name`, or nullptr when the window was not split by it.
  const WindowStats* for_request(const std::string& name) const;
  // ---- end of the request mix ----
  LatencyHistogram latency;          // corrected, every request of the window
  LatencyHistogram service_latency;  // uncorrected, the requests that were written
  // HTTP responses (any status) that arrived in the window, whichever
  // window their request was intended in. A timeout, a refused or reset
  // connection is no response and is not counted.
  uint64_t responses = 0;
  // Of those, the ones that did not fail (Sample::failed(): 1xx-4xx).
  uint64_t good_responses = 0;

  double error_rate() const { return requests ? double(errors) / double(requests) : 0.0; }
  // Rates per second of the window's own length (a final partial window's
  // too). In a steady state the three agree; they part when requests fail
  // (goodput drops), go unanswered (throughput and goodput drop) or are
  // answered late (throughput moves to the windows the answers arrive in).
  double offered_rate() const;  // requests intended per second
  double throughput() const;    // responses received per second
  double goodput() const;       // good responses received per second
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
// samples are dropped otherwise. A sample counts as a request where its
// intended_ns falls and, when it got a response, as a response where its
// done_ns falls; either is dropped outside the windows. Each window lists
// every backend that answered its requests, "" for unknown.
//
// At the edges of the load: no window takes the responses that arrive
// after to_ns. The last window is not cut short by that: like every
// window, it gets the late responses of the one before in place of its
// own, the same number at a steady rate and latency, so its throughput is
// its rate of responses, not that plus a drain. The one window short is
// the first, whose first responses come one latency after from_ns: at a
// steady rate its throughput is below the offered rate by the fraction
// latency / width (1 ms of latency in a 1 s window: 0.1%). The samples
// need not be in any order, and `result` may hold samples outside the
// span: responses to requests intended before from_ns count in the window
// they arrive in, so windows built a few at a time (the live checks) count
// what windows built at once do, given the same samples.
//
// `split`: request names (of result.request_names) to break each window
// down by, into by_request, counted the same way over that request's
// samples only. A name the result does not know gets empty breakdowns.
std::vector<WindowStats> build_windows(const load::LoadResult& result, Duration width, int64_t from_ns,
                                       int64_t to_ns, std::span<const std::string> split = {});

// Nearest-rank percentile over sorted values; 0 for an empty vector.
double percentile(const std::vector<double>& sorted, double p);

}  // namespace faultline::verify
