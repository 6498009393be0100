#include "harness/verify/backend_counts.h"

#include <algorithm>

namespace faultline::verify {

bool backend_header_seen(const load::LoadResult& result) {
  return std::any_of(result.samples.begin(), result.samples.end(),
                     [](const load::Sample& s) { return s.backend != 0; });
}

std::map<std::string, uint64_t> backend_counts_between(const std::vector<BackendCount>& counts,
                                                       int64_t from_ns, int64_t to_ns) {
  std::map<std::string, uint64_t> out;
  for (const auto& c : counts) {
    if (c.at_ns >= from_ns && c.at_ns < to_ns && c.requests > 0) {
      out[c.backend] += c.requests;
    }
  }
  return out;
}

void count_backends_by_time(std::vector<WindowStats>& windows, const std::vector<BackendCount>& counts) {
  for (auto& w : windows) {
    w.backend_counts.clear();
  }
  for (const auto& c : counts) {
    // The last window starting at or before the count.
    auto it = std::upper_bound(windows.begin(), windows.end(), c.at_ns,
                               [](int64_t at, const WindowStats& w) { return at < w.start_ns; });
    if (it == windows.begin() || c.requests == 0) {
      continue;
    }
    --it;
    if (c.at_ns < it->end_ns) {
      it->backend_counts[c.backend] += c.requests;
    }
  }
}

}  // namespace faultline::verify
