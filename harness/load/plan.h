#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <string>

#include "harness/load/generator.h"

namespace faultline::load {

// The fixed facts of one load run, worked out once from a LoadSpec and then
// shared read-only by every shard: where to connect, the exact bytes of the
// request, and the open-model schedule, in which request i is intended at
// start_ns + i * period_ns whatever happens to the requests before it.
struct LoadPlan {
  boost::asio::ip::tcp::endpoint endpoint;
  std::string request;  // the serialized GET, sent as is on every request
  std::string backend_header;
  int64_t start_ns = 0;
  int64_t end_ns = 0;  // no request is intended at or after this
  double period_ns = 0;
  uint64_t count = 0;  // requests in the schedule
  int64_t timeout_ns = 0;
  uint32_t users = 1;

  int64_t intended_ns(uint64_t i) const {
    return start_ns + static_cast<int64_t>(static_cast<double>(i) * period_ns);
  }
  // A request gives up `timeout` after its intended time, as a user would:
  // time spent waiting for a free connection counts against it.
  int64_t deadline_ns(uint64_t i) const { return intended_ns(i) + timeout_ns; }
  // Virtual users are drawn uniformly from [0, users) by a hash of the
  // request number: reproducible, and free of the lock-step a round robin
  // would have with a round-robin load balancer.
  uint32_t user_of(uint64_t i) const;
};

// Throws std::invalid_argument when the host is not an IPv4 address: the
// experiment loader validates it, so reaching here with one is a bug.
LoadPlan make_plan(const LoadSpec& spec, int64_t start_ns);

}  // namespace faultline::load
