#include "harness/load/plan.h"

#include <algorithm>
#include <boost/asio/ip/address_v4.hpp>
#include <cmath>
#include <stdexcept>

#include "harness/load/tls_client.h"

namespace faultline::load {

namespace {

// splitmix64's finaliser: a cheap, well-mixed hash of the request number.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::string make_request(const LoadSpec& spec) {
  // Appends rather than operator+ chains, which trip GCC 12's -Wrestrict
  // false positive in optimised builds.
  std::string request = "GET ";
  request.append(spec.path.empty() ? "/" : spec.path);
  request.append(" HTTP/1.1\r\nHost: ");
  // HTTPS: the Host is the server name the TLS handshake sends.
  request.append(spec.https && !spec.sni.empty() ? spec.sni : spec.host);
  if (spec.port != (spec.https ? 443 : 80)) {
    request.append(":");
    request.append(std::to_string(spec.port));
  }
  request.append("\r\n");
  if (!spec.user_agent.empty()) {
    request.append("User-Agent: ");
    request.append(spec.user_agent);
    request.append("\r\n");
  }
  request.append("\r\n");
  return request;
}

}  // namespace

double LoadPlan::arrivals_by(double t_ns) const {
  if (period_ns <= 0 || t_ns <= 0) {
    return 0;
  }
  if (t_ns < ramp_ns) {
    return t_ns * t_ns / (2.0 * ramp_ns * period_ns);
  }
  return (t_ns - ramp_ns / 2) / period_ns;
}

uint32_t LoadPlan::user_of(uint64_t i) const {
  return static_cast<uint32_t>(mix(i) % users);
}

LoadPlan make_plan(const LoadSpec& spec, int64_t start_ns) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address_v4(spec.host, ec);
  if (ec) {
    throw std::invalid_argument("load target '" + spec.host + "' is not an IPv4 address");
  }
  if (spec.port <= 0 || spec.port > 65535) {
    throw std::invalid_argument("load target port " + std::to_string(spec.port) + " is out of range");
  }

  LoadPlan plan;
  plan.endpoint = {address, static_cast<unsigned short>(spec.port)};
  plan.request = make_request(spec);
  plan.backend_header = spec.backend_header;
  plan.start_ns = start_ns;
  plan.end_ns = start_ns + std::max<int64_t>(0, spec.duration.count());
  plan.timeout_ns = std::max<int64_t>(spec.timeout.count(), 1'000'000);
  plan.late_threshold_ns = std::max<int64_t>(0, spec.late_threshold.count());
  plan.users = static_cast<uint32_t>(std::max(1, spec.users));
  plan.closed_loop = spec.max_rate;
  if (spec.https) {
    plan.tls = make_tls_context(spec);
    plan.sni = spec.sni;
    plan.host = spec.host;
  }
  if (!spec.max_rate && spec.rate > 0 && plan.end_ns > start_ns) {
    plan.period_ns = 1e9 / spec.rate;
    if (spec.ramp.count() > 0) {
      plan.ramp_ns = static_cast<double>(spec.ramp.count());
      plan.ramp_requests = plan.ramp_ns / (2.0 * plan.period_ns);
    }
    // Exactly the requests whose intended time falls before the end; the
    // estimate is corrected both ways so rounding cannot add or lose one.
    auto n = static_cast<uint64_t>(std::ceil(plan.arrivals_by(static_cast<double>(plan.end_ns - start_ns))));
    while (n > 0 && plan.intended_ns(n - 1) >= plan.end_ns) {
      --n;
    }
    while (plan.intended_ns(n) < plan.end_ns) {
      ++n;
    }
    plan.count = n;
  }
  return plan;
}

}  // namespace faultline::load
