#include "harness/verify/window.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace faultline::verify {

namespace {

constexpr std::size_t error_class_count = static_cast<std::size_t>(load::ErrorClass::tls) + 1;

// Counts by index while the samples are sorted in, turned into the named
// maps of WindowStats once at the end: a map lookup per sample would cost
// more than the rest of the window's work.
struct WindowTally {
  std::map<int, uint64_t> statuses;
  std::array<uint64_t, error_class_count> errors{};
  std::vector<uint64_t> backends;
};

void add(WindowStats& window, WindowTally& tally, const load::Sample& sample) {
  ++window.requests;
  if (sample.failed()) {
    ++window.errors;
  }
  if (sample.error != load::ErrorClass::none) {
    ++window.transport_errors;
    ++tally.errors[static_cast<std::size_t>(sample.error)];
  } else {
    ++tally.statuses[sample.status];
  }
  // A backend index the result does not name is a bug upstream; counting
  // it as unknown keeps the totals right.
  ++tally.backends[sample.backend < tally.backends.size() ? sample.backend : 0];
  window.latency.add_ns(sample.latency_ns());
  const bool written = sample.error == load::ErrorClass::none || sample.sent_ns != sample.done_ns;
  if (written) {
    window.service_latency.add_ns(sample.service_ns());
  }
}

void finish(WindowStats& window, WindowTally& tally, const std::vector<std::string>& backends) {
  window.status_counts = std::move(tally.statuses);
  for (std::size_t e = 0; e < tally.errors.size(); ++e) {
    if (tally.errors[e] > 0) {
      window.error_classes[load::to_string(static_cast<load::ErrorClass>(e))] = tally.errors[e];
    }
  }
  for (std::size_t b = 0; b < tally.backends.size(); ++b) {
    if (tally.backends[b] > 0) {
      window.backend_counts[b < backends.size() ? backends[b] : std::string()] += tally.backends[b];
    }
  }
  if (!window.latency.empty()) {
    static constexpr std::array<double, 4> wanted{50, 90, 99, 99.9};
    const std::vector<double> p = window.latency.percentiles_ms(wanted);
    window.mean_ms = window.latency.mean_ms();
    window.p50_ms = p[0];
    window.p90_ms = p[1];
    window.p99_ms = p[2];
    window.p999_ms = p[3];
    window.max_ms = window.latency.max_ms();
  }
  if (!window.service_latency.empty()) {
    static constexpr std::array<double, 3> wanted{50, 90, 99};
    const std::vector<double> p = window.service_latency.percentiles_ms(wanted);
    window.service_p50_ms = p[0];
    window.service_p90_ms = p[1];
    window.service_p99_ms = p[2];
  }
}

// A response counts where it arrived; a sample without one (status 0: a
// timeout, a refused or reset connection) delivered nothing.
void add_response(WindowStats& window, const load::Sample& sample) {
  if (sample.status == 0) {
    return;
  }
  ++window.responses;
  if (!sample.failed()) {
    ++window.good_responses;
  }
}

double per_second(uint64_t count, const WindowStats& window) {
  const int64_t span = window.end_ns - window.start_ns;
  return span > 0 ? static_cast<double>(count) * 1e9 / static_cast<double>(span) : 0.0;
}

uint64_t known_backend_requests(const WindowStats& window) {
  uint64_t total = 0;
  for (const auto& [name, count] : window.backend_counts) {
    if (!name.empty()) {
      total += count;
    }
  }
  return total;
}

}  // namespace

double WindowStats::offered_rate() const {
  return per_second(requests, *this);
}

double WindowStats::throughput() const {
  return per_second(responses, *this);
}

double WindowStats::goodput() const {
  return per_second(good_responses, *this);
}

double WindowStats::backend_share(const std::string& backend) const {
  if (backend.empty()) {
    return 0.0;
  }
  const uint64_t known = known_backend_requests(*this);
  const auto it = backend_counts.find(backend);
  return known == 0 || it == backend_counts.end()
             ? 0.0
             : static_cast<double>(it->second) / static_cast<double>(known);
}

double WindowStats::max_backend_share() const {
  const uint64_t known = known_backend_requests(*this);
  uint64_t most = 0;
  for (const auto& [name, count] : backend_counts) {
    if (!name.empty()) {
      most = std::max(most, count);
    }
  }
  return known == 0 ? 0.0 : static_cast<double>(most) / static_cast<double>(known);
}

double WindowStats::percentile_ms(double p) const {
  return latency.percentile_ms(p);
}

double WindowStats::service_percentile_ms(double p) const {
  return service_latency.percentile_ms(p);
}

const WindowStats* WindowStats::for_request(const std::string& name) const {
  for (const WindowStats& part : by_request) {
    if (part.request_name == name) {
      return &part;
    }
  }
  return nullptr;
}

namespace {

// Every sample's request matches kAllRequests; kNoRequest matches none (a
// name the result does not know).
constexpr int kAllRequests = -1;
constexpr int kNoRequest = -2;

std::vector<WindowStats> windows_of(const load::LoadResult& result, Duration width, int64_t from_ns,
                                    int64_t to_ns, int request) {
  const int64_t w = width.count();
  if (w <= 0 || to_ns <= from_ns) {
    return {};
  }
  const int64_t span = to_ns - from_ns;
  int64_t count = span / w;
  if ((span % w) * 2 >= w) {
    ++count;
  }
  std::vector<WindowStats> windows(static_cast<std::size_t>(count));
  std::vector<WindowTally> tallies(windows.size());
  for (std::size_t i = 0; i < windows.size(); ++i) {
    windows[i].index = static_cast<int>(i);
    windows[i].start_ns = from_ns + static_cast<int64_t>(i) * w;
    windows[i].end_ns = std::min(windows[i].start_ns + w, to_ns);
    tallies[i].backends.assign(result.backends.size(), 0);
  }
  if (windows.empty()) {
    return windows;
  }
  const int64_t covered_to = windows.back().end_ns;
  auto window_of = [&](int64_t at_ns) { return static_cast<std::size_t>((at_ns - from_ns) / w); };
  for (const load::Sample& sample : result.samples) {
    if (request != kAllRequests && sample.request != request) {
      continue;
    }
    if (sample.intended_ns >= from_ns && sample.intended_ns < covered_to) {
      const std::size_t i = window_of(sample.intended_ns);
      add(windows[i], tallies[i], sample);
    }
    if (sample.done_ns >= from_ns && sample.done_ns < covered_to) {
      add_response(windows[window_of(sample.done_ns)], sample);
    }
  }
  for (std::size_t i = 0; i < windows.size(); ++i) {
    finish(windows[i], tallies[i], result.backends);
  }
  return windows;
}

}  // namespace

std::vector<WindowStats> build_windows(const load::LoadResult& result, Duration width, int64_t from_ns,
                                       int64_t to_ns, std::span<const std::string> split) {
  std::vector<WindowStats> windows = windows_of(result, width, from_ns, to_ns, kAllRequests);
  for (const std::string& name : split) {
    const auto& names = result.request_names;
    const auto found = std::find(names.begin(), names.end(), name);
    const int request = found == names.end() ? kNoRequest : static_cast<int>(found - names.begin());
    std::vector<WindowStats> parts = windows_of(result, width, from_ns, to_ns, request);
    for (std::size_t i = 0; i < windows.size() && i < parts.size(); ++i) {
      parts[i].request_name = name;
      windows[i].by_request.push_back(std::move(parts[i]));
    }
  }
  return windows;
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) {
    return 0.0;
  }
  const double n = static_cast<double>(sorted.size());
  // Nearest rank: the smallest value with at least p% of the values at or
  // below it. The epsilon keeps p*n/100 from rounding up past an exact rank
  // (99.9 is not exact in binary).
  const double rank = std::ceil(p * n / 100.0 - 1e-9);
  const auto index = static_cast<std::size_t>(std::clamp(rank, 1.0, n)) - 1;
  return sorted[index];
}

}  // namespace faultline::verify
