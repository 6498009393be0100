#include "harness/load/live_feed.h"

#include <algorithm>

namespace faultline::load {

void LiveFeed::publish(std::vector<Sample>& batch, const std::vector<std::string>& names,
                       std::vector<uint16_t>& remap) {
  if (batch.empty()) {
    return;
  }
  std::lock_guard lock(mutex_);
  while (remap.size() < names.size()) {
    const std::string& name = names[remap.size()];
    auto it = std::find(names_.begin(), names_.end(), name);
    if (it == names_.end()) {
      names_.push_back(name);
      it = names_.end() - 1;
    }
    remap.push_back(static_cast<uint16_t>(it - names_.begin()));
  }
  for (Sample& s : batch) {
    s.backend = remap[s.backend];
  }
  pending_.insert(pending_.end(), batch.begin(), batch.end());
  batch.clear();
}

void LiveFeed::take(LoadResult& into) {
  std::lock_guard lock(mutex_);
  into.samples.insert(into.samples.end(), pending_.begin(), pending_.end());
  pending_.clear();
  if (into.backends.size() != names_.size()) {
    into.backends = names_;
  }
}

}  // namespace faultline::load
