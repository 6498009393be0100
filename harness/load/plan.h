#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "harness/load/generator.h"

namespace faultline::load {

// The fixed facts of one load run, worked out once from a LoadSpec and then
// shared read-only by every shard: where to connect, the exact bytes of the
// request, and the open-model schedule, in which request i is intended at a
// fixed time whatever happens to the requests before it.
//
// The schedule integrates the arrival rate: request i is due when the
// cumulative count of arrivals reaches i. With a ramp of length R the rate
// grows linearly from 0 to `rate`, so the count is rate * t^2 / (2R) for
// t < R and rate * (t - R/2) after; without a ramp request i is simply due
// at i * period_ns.
// One template of the request mix, serialized once: its exact bytes go out
// as they are on every request of the template.
struct RequestBytes {
  std::string bytes;
  // A response to HEAD has headers only, whatever its Content-Length says.
  bool head = false;
};

struct LoadPlan {
  boost::asio::ip::tcp::endpoint endpoint;
  // The request mix (one template without one), by Sample::request.
  std::vector<RequestBytes> templates;
  // Template j is picked when a request's hash is below bound[j] and not
  // below bound[j - 1]: the weights as shares of the 64-bit range.
  std::vector<uint64_t> bounds;
  uint64_t seed_key = 0;  // the seed, mixed once
  std::string backend_header;
  int64_t start_ns = 0;
  int64_t end_ns = 0;        // no request is intended at or after this
  double period_ns = 0;      // at full rate
  double ramp_ns = 0;        // length of the ramp; 0 for none
  double ramp_requests = 0;  // requests due during the ramp: rate * R / 2
  uint64_t count = 0;        // requests in the schedule (0 in max-rate mode)
  int64_t timeout_ns = 0;
  int64_t late_threshold_ns = 0;
  uint32_t users = 1;
  // Maximum-rate mode: no schedule; each connection sends again as soon as
  // it is free, from start_ns until end_ns.
  bool closed_loop = false;
  // --- HTTPS (issue 21) ---
  // Set for HTTPS load: the client context every shard's connections use
  // (OpenSSL's context is safe to share across threads once set up).
  std::shared_ptr<boost::asio::ssl::context> tls;
  std::string sni;
  std::string host;    // the address checked against the certificate without SNI
  bool resume = true;  // offer the shard's newest session on a new connection
  // --- end of HTTPS ---

  int64_t intended_ns(uint64_t i) const {
    const double x = static_cast<double>(i);
    if (x < ramp_requests) {
      return start_ns + static_cast<int64_t>(std::sqrt(2.0 * ramp_ns * period_ns * x));
    }
    return start_ns + static_cast<int64_t>(ramp_ns / 2 + x * period_ns);
  }
  // Arrivals the schedule has made by `t_ns` after the start (real-valued):
  // the inverse of intended_ns.
  double arrivals_by(double t_ns) const;
  // A request gives up `timeout` after its intended time, as a user would:
  // time spent waiting for a free connection counts against it.
  int64_t deadline_ns(uint64_t i) const { return intended_ns(i) + timeout_ns; }
  // Virtual users are drawn uniformly from [0, users) by a hash of the
  // request number: reproducible, and free of the lock-step a round robin
  // would have with a round-robin load balancer.
  uint32_t user_of(uint64_t i) const;
  // The template of request i: a hash of (seed, i) laid onto the weights.
  // A pure function of the two, so the sequence is the same whatever the
  // threads, and, being a hash, free of lock-step with a round robin.
  uint8_t template_of(uint64_t i) const;
};

// The bytes of one request of `spec`'s target, as make_plan serializes it.
std::string serialize_request(const LoadSpec& spec, const RequestSpec& request);

// Throws std::invalid_argument when the host is not an IPv4 address: the
// experiment loader validates it, so reaching here with one is a bug.
LoadPlan make_plan(const LoadSpec& spec, int64_t start_ns);

}  // namespace faultline::load
