#include "harness/runner/haproxy_counters.h"

#include <fmt/format.h>

#include <chrono>
#include <utility>

namespace faultline::runner {

std::vector<verify::BackendCount> CounterDeltas::add_read(const std::vector<platform::StatRow>& rows,
                                                          int64_t at_ns) {
  std::map<std::string, uint64_t> answered;  // service -> requests since the read before
  for (const auto& row : rows) {
    if (row.type != platform::StatRow::Type::server || !row.requests) {
      continue;
    }
    const std::string key = row.proxy + "/" + row.server;
    const uint64_t now = *row.requests;
    const auto [at, first_sight] = last_.try_emplace(key, now);
    const uint64_t before = first_sight ? 0 : std::exchange(at->second, now);
    if (!primed_) {
      continue;
    }
    const uint64_t since = now < before ? now : now - before;
    if (since == 0) {
      continue;
    }
    const std::string service = service_at(plan_, host_of(row.addr));
    if (service.empty()) {
      unknown_.insert(fmt::format("{} at {}", key, row.addr.empty() ? "no address" : row.addr));
    }
    answered[service] += since;
  }
  primed_ = true;
  std::vector<verify::BackendCount> out;
  for (auto& [service, requests] : answered) {
    out.push_back({at_ns, service, requests});
  }
  return out;
}

HaproxyCounters::HaproxyCounters(const std::string& service, const std::string& socket,
                                 const stack::Plan& plan, const RunClock& clock, Duration interval)
    : ShareSource("haproxy-counters",
                  fmt::format("HAProxy's own per-server request counters on {} (req_tot: the requests each "
                              "server answered, any status), read through its runtime API every {}, each "
                              "increase counted in the window it was read in",
                              service, format_duration(interval)),
                  interval),
      // A deadline shorter than LbWatch's: a read that waits on a paused
      // HAProxy delays the next one, and these come every 100 ms.
      api_(socket, std::chrono::milliseconds(200)),
      clock_(clock),
      deltas_(plan),
      poller_(interval) {
  poller_.start([this] { poll(); });
}

HaproxyCounters::~HaproxyCounters() {
  stop();
}

void HaproxyCounters::stop() {
  // No last read: its increase would be stamped after the load's end,
  // where no window is.
  poller_.stop();
}

void HaproxyCounters::poll() {
  auto rows = api_.show_stat();
  if (!rows) {
    return;
  }
  auto fresh = deltas_.add_read(*rows, clock_.now_ns());
  add(std::move(fresh), deltas_.unknown_servers());
}

}  // namespace faultline::runner
