#include "harness/load/plan.h"

#include <algorithm>
#include <boost/asio/ip/address_v4.hpp>
#include <cctype>
#include <cmath>
#include <cstdint>
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

// Methods whose requests carry content: they get a Content-Length even
// with an empty body, as RFC 9110 asks of a user agent.
bool has_content(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

bool is_user_agent(const std::string& name) {
  return name.size() == 10 && std::equal(name.begin(), name.end(), "user-agent", [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

// The weights as cumulative shares of the 64-bit range; the last bound is
// the top of the range, so every hash lands on some template.
std::vector<uint64_t> weight_bounds(const std::vector<RequestSpec>& requests) {
  double total = 0;
  for (const auto& r : requests) {
    total += std::max(0.0, r.weight);
  }
  std::vector<uint64_t> bounds;
  bounds.reserve(requests.size());
  double sum = 0;
  for (const auto& r : requests) {
    sum += std::max(0.0, r.weight);
    const double share = total > 0 ? sum / total : 1.0;
    // 2^64 as a double; a share of 1 (or rounding to it) is the top.
    const double scaled = share * 18446744073709551616.0;
    bounds.push_back(scaled >= 18446744073709551615.0 ? UINT64_MAX : static_cast<uint64_t>(scaled));
  }
  bounds.back() = UINT64_MAX;
  return bounds;
}

}  // namespace

std::string serialize_request(const LoadSpec& spec, const RequestSpec& r) {
  // Appends rather than operator+ chains, which trip GCC 12's -Wrestrict
  // false positive in optimised builds.
  std::string request = r.method.empty() ? "GET" : r.method;
  request.append(" ");
  request.append(r.path.empty() ? "/" : r.path);
  request.append(" HTTP/1.1\r\nHost: ");
  // HTTPS: the Host is the server name the TLS handshake sends.
  request.append(spec.https && !spec.sni.empty() ? spec.sni : spec.host);
  if (spec.port != (spec.https ? 443 : 80)) {
    request.append(":");
    request.append(std::to_string(spec.port));
  }
  request.append("\r\n");
  const bool own_agent =
      std::any_of(r.headers.begin(), r.headers.end(), [](const auto& h) { return is_user_agent(h.first); });
  if (!spec.user_agent.empty() && !own_agent) {
    request.append("User-Agent: ");
    request.append(spec.user_agent);
    request.append("\r\n");
  }
  for (const auto& [name, value] : r.headers) {
    request.append(name);
    request.append(": ");
    request.append(value);
    request.append("\r\n");
  }
  if (!r.body.empty() || has_content(r.method)) {
    request.append("Content-Length: ");
    request.append(std::to_string(r.body.size()));
    request.append("\r\n");
  }
  request.append("\r\n");
  request.append(r.body);
  return request;
}

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

uint8_t LoadPlan::template_of(uint64_t i) const {
  if (bounds.size() <= 1) {
    return 0;
  }
  // Keyed by the seed so that user_of's mix(i) and this hash are unrelated.
  const uint64_t h = mix(i ^ seed_key);
  const auto it = std::upper_bound(bounds.begin(), bounds.end(), h);
  const auto j = it == bounds.end() ? bounds.size() - 1 : static_cast<std::size_t>(it - bounds.begin());
  return static_cast<uint8_t>(j);
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
  if (spec.requests.size() > kMaxRequestSpecs) {
    throw std::invalid_argument("the request mix has " + std::to_string(spec.requests.size()) +
                                " templates; at most " + std::to_string(kMaxRequestSpecs) + " fit a Sample");
  }
  std::vector<RequestSpec> mix_specs = spec.requests;
  if (mix_specs.empty()) {
    RequestSpec one;
    one.path = spec.path;
    mix_specs.push_back(std::move(one));
  }
  for (const auto& r : mix_specs) {
    plan.templates.push_back({serialize_request(spec, r), r.method == "HEAD"});
  }
  plan.bounds = weight_bounds(mix_specs);
  plan.seed_key = mix(spec.seed ^ 0x6a09e667f3bcc909ULL);
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
    plan.resume = spec.resume;
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
