#include "harness/runner/share_source.h"

#include "harness/runner/haproxy_counters.h"
#include "harness/runner/nginx_upstream_log.h"

namespace faultline::runner {

ShareSource::ShareSource(std::string source, std::string detail, Duration interval) {
  basis_.source = std::move(source);
  basis_.detail = std::move(detail);
  basis_.interval = interval;
}

SharesBasis ShareSource::basis() const {
  std::lock_guard lock(mutex_);
  SharesBasis out = basis_;
  out.unknown_servers.assign(unknown_servers_.begin(), unknown_servers_.end());
  return out;
}

std::vector<verify::BackendCount> ShareSource::take_new() {
  std::lock_guard lock(mutex_);
  std::vector<verify::BackendCount> out(counts_.begin() + static_cast<std::ptrdiff_t>(taken_), counts_.end());
  taken_ = counts_.size();
  return out;
}

std::vector<verify::BackendCount> ShareSource::all() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

void ShareSource::add(std::vector<verify::BackendCount> fresh, const std::set<std::string>& unknown_servers) {
  std::lock_guard lock(mutex_);
  counts_.insert(counts_.end(), std::make_move_iterator(fresh.begin()), std::make_move_iterator(fresh.end()));
  unknown_servers_.insert(unknown_servers.begin(), unknown_servers.end());
}

std::string host_of(const std::string& address) {
  if (!address.empty() && address.front() == '[') {
    const size_t close = address.find(']');
    return close == std::string::npos ? address : address.substr(1, close - 1);
  }
  // One colon is a port; more are an IPv6 address written without one.
  const size_t colon = address.find(':');
  if (colon != std::string::npos && address.find(':', colon + 1) == std::string::npos) {
    return address.substr(0, colon);
  }
  return address;
}

std::string service_at(const stack::Plan& plan, const std::string& host) {
  for (const auto& ps : plan.services) {
    if (!host.empty() && ps.address == host) {
      return ps.name;
    }
  }
  return {};
}

std::unique_ptr<ShareSource> share_source_for(const stack::RunningStack& stack, const std::string& target,
                                              const RunClock& clock, Duration interval) {
  const stack::ServiceInstance* lb = stack.find(target);
  if (lb == nullptr || lb->team_config.empty()) {
    return nullptr;
  }
  if (lb->planned.kind == experiment::ServiceKind::haproxy && !lb->runtime_socket.empty()) {
    return std::make_unique<HaproxyCounters>(target, lb->runtime_socket, stack.plan(), clock, interval);
  }
  if (lb->planned.kind == experiment::ServiceKind::nginx && !lb->upstream_log.empty()) {
    return std::make_unique<NginxUpstreamLog>(target, lb->upstream_log, stack.plan(), clock, interval);
  }
  return nullptr;
}

}  // namespace faultline::runner
