#include "harness/runner/live_monitor.h"

#include <algorithm>

#include "harness/runner/validate.h"

namespace faultline::runner {

LiveMonitor::LiveMonitor(int64_t load_start_ns, Duration window, Duration settle,
                         std::vector<verify::NamedObjective> objectives, std::vector<AbortRule> rules)
    : load_start_ns_(load_start_ns),
      window_(window),
      settle_(settle),
      objectives_(std::move(objectives)),
      rules_(std::move(rules)),
      split_(filtered_requests(objectives_, rules_)),
      recent_since_ns_(load_start_ns) {}

void LiveMonitor::pull(LiveSamples& source, ShareSource* shares) {
  const size_t before = seen_.samples.size();
  source.take_new(seen_);
  header_seen_ =
      header_seen_ || std::any_of(seen_.samples.begin() + static_cast<std::ptrdiff_t>(before),
                                  seen_.samples.end(), [](const load::Sample& s) { return s.backend != 0; });
  if (shares != nullptr) {
    source_given_ = true;
    auto fresh = shares->take_new();
    counts_.insert(counts_.end(), std::make_move_iterator(fresh.begin()),
                   std::make_move_iterator(fresh.end()));
  }
}

void LiveMonitor::count_shares(std::vector<verify::WindowStats>& windows) const {
  if (source_given_ && !header_seen_) {
    verify::count_backends_by_time(windows, counts_);
  }
}

std::optional<SteadyStateFailure> LiveMonitor::check_steady_state(int64_t from_ns, int64_t to_ns) const {
  if (to_ns <= from_ns || objectives_.empty()) {
    return std::nullopt;
  }
  const Duration width = std::min(window_, Duration(to_ns - from_ns));
  auto windows = verify::build_windows(seen_, width, from_ns, to_ns, split_);
  count_shares(windows);
  const auto verdict = verify::evaluate(objectives_, windows);
  for (size_t w = 0; w < windows.size(); ++w) {
    for (const auto& ov : verdict.objectives) {
      if (w < ov.holds.size() && !ov.holds[w]) {
        SteadyStateFailure f;
        f.objective = ov.name;
        f.expr = ov.expr.text;
        f.value = ov.values[w];
        f.value_text = f.value ? verify::format_value(ov.expr, *f.value) : "no data";
        f.window_start_ns = windows[w].start_ns;
        f.window_end_ns = windows[w].end_ns;
        return f;
      }
    }
  }
  return std::nullopt;
}

std::optional<AbortTrigger> LiveMonitor::check_abort(int64_t now_ns) {
  if (rules_.empty()) {
    return std::nullopt;
  }
  const int64_t width = window_.count();
  const int64_t ripe = now_ns - settle_.count() - load_start_ns_;
  const int64_t final_count = ripe > 0 ? ripe / width : 0;
  const auto have = static_cast<int64_t>(final_windows_.size());
  if (final_count <= have) {
    return std::nullopt;
  }
  auto fresh = verify::build_windows(seen_, window_, load_start_ns_ + have * width,
                                     load_start_ns_ + final_count * width, split_);
  count_shares(fresh);
  for (auto& w : fresh) {
    w.index = static_cast<int>(final_windows_.size());
    final_windows_.push_back(std::move(w));
  }
  for (size_t r = 0; r < rules_.size(); ++r) {
    const auto& rule = rules_[r];
    const auto needed =
        static_cast<size_t>(std::max<int64_t>(1, (rule.sustained.count() + width - 1) / width));
    if (final_windows_.size() < needed) {
      continue;
    }
    bool all = true;
    double last_value = 0;
    for (size_t i = final_windows_.size() - needed; i < final_windows_.size() && all; ++i) {
      const auto value = verify::measure(rule.condition, final_windows_[i]);
      all = value && verify::holds(rule.condition, *value);
      last_value = value.value_or(0);
    }
    if (all) {
      AbortTrigger t;
      t.rule = r;
      t.condition = rule.text;
      t.since_ns = final_windows_[final_windows_.size() - needed].start_ns;
      t.until_ns = final_windows_.back().end_ns;
      t.value = last_value;
      t.value_text = verify::format_value(rule.condition, last_value);
      return t;
    }
  }
  return std::nullopt;
}

RecentLoad LiveMonitor::take_recent(int64_t now_ns) {
  RecentLoad recent;
  std::vector<double> latencies;
  for (size_t i = recent_from_; i < seen_.samples.size(); ++i) {
    const auto& s = seen_.samples[i];
    ++recent.completed;
    recent.failed += s.failed() ? 1 : 0;
    latencies.push_back(static_cast<double>(s.latency_ns()) / 1e6);
  }
  recent_from_ = seen_.samples.size();
  const int64_t span = now_ns - recent_since_ns_;
  recent_since_ns_ = now_ns;
  recent.rate = span > 0 ? static_cast<double>(recent.completed) * 1e9 / static_cast<double>(span) : 0.0;
  if (!latencies.empty()) {
    std::sort(latencies.begin(), latencies.end());
    recent.p99_ms = verify::percentile(latencies, 99);
  }
  return recent;
}

void LiveMonitor::forget_settled(int64_t now_ns) {
  const int64_t before = rules_.empty()
                             ? now_ns - settle_.count()
                             : load_start_ns_ + static_cast<int64_t>(final_windows_.size()) * window_.count();
  auto& samples = seen_.samples;
  const auto reported = samples.begin() + static_cast<std::ptrdiff_t>(recent_from_);
  const auto kept = std::remove_if(samples.begin(), reported,
                                   // A window's throughput counts the responses that
                                   // arrive in it, also to requests intended earlier:
                                   // keep those until their arrival window is built.
                                   [before](const load::Sample& s) {
                                     return s.intended_ns < before && s.done_ns < before;
                                   });
  recent_from_ -= static_cast<size_t>(reported - kept);
  samples.erase(kept, reported);
  counts_.erase(std::remove_if(counts_.begin(), counts_.end(),
                               [before](const verify::BackendCount& c) { return c.at_ns < before; }),
                counts_.end());
}

}  // namespace faultline::runner
