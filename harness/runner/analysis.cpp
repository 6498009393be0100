#include "harness/runner/analysis.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <unordered_set>

#include "harness/runner/shares_basis.h"

namespace faultline::runner {

namespace {

// A phase's backends come from the samples' header or, when the run's
// shares have another basis (source_counts), from the counts stamped in it.
Phase phase_of(const RunRecord& rec, const std::vector<verify::BackendCount>* counts, std::string name,
               std::string kind, int64_t start, int64_t end) {
  Phase p;
  p.name = std::move(name);
  p.kind = std::move(kind);
  p.start_ns = start;
  p.end_ns = end;
  std::vector<double> latencies;
  // Per request of the mix: only a real mix has more than one name.
  const auto& names = rec.load.request_names;
  const bool by_request = names.size() > 1;
  std::vector<std::vector<double>> request_latencies(by_request ? names.size() : 0);
  if (by_request) {
    for (const auto& request : names) {
      p.by_request.push_back({request, 0, 0, 0});
    }
  }
  for (const auto& s : rec.load.samples) {
    if (s.intended_ns < start || s.intended_ns >= end) {
      continue;
    }
    if (by_request && s.request < names.size()) {
      ++p.by_request[s.request].requests;
      p.by_request[s.request].errors += s.failed() ? 1 : 0;
      request_latencies[s.request].push_back(double(s.latency_ns()) / 1e6);
    }
    ++p.requests;
    p.errors += s.failed() ? 1 : 0;
    latencies.push_back(double(s.latency_ns()) / 1e6);
    if (s.backend != 0) {
      ++p.backends[rec.load.backends.at(s.backend)];
    }
    if (s.status != 0) {
      ++p.statuses[s.status];
    }
  }
  if (counts != nullptr) {
    p.backends = verify::backend_counts_between(*counts, start, end);
  }
  std::sort(latencies.begin(), latencies.end());
  p.p50_ms = verify::percentile(latencies, 50);
  p.p99_ms = verify::percentile(latencies, 99);
  for (std::size_t r = 0; r < request_latencies.size(); ++r) {
    std::sort(request_latencies[r].begin(), request_latencies[r].end());
    p.by_request[r].p99_ms = verify::percentile(request_latencies[r], 99);
  }
  return p;
}

}  // namespace

std::vector<Phase> make_phases(const RunRecord& rec) {
  std::vector<Phase> phases;
  if (rec.load_start_ns < 0) {
    return phases;
  }
  const int64_t end = rec.load_end_ns;
  const auto* counts = source_counts(rec);
  int64_t first_inject = end;
  int64_t last_revert = -1;
  for (const auto& f : rec.faults) {
    if (f.injected_ns >= 0) {
      first_inject = std::min(first_inject, f.injected_ns);
      last_revert = std::max(last_revert, f.reverted_ns >= 0 ? std::min(f.reverted_ns, end) : end);
    }
  }
  // Requests sent while a fault is being applied or removed (a reload
  // takes ~100 ms, and the change lands at some moment of it) belong to no
  // phase: each phase holds only requests that met one configuration. The
  // windows, and so the verdict, still count every request.
  phases.push_back(phase_of(rec, counts, "baseline", "baseline", rec.load_start_ns, first_inject));
  int n = 0;
  for (const auto& f : rec.faults) {
    ++n;
    if (f.injected_ns < 0) {
      continue;
    }
    const int64_t from = f.inject_done_ns >= 0 ? f.inject_done_ns : f.injected_ns;
    const int64_t stop = f.revert_called_ns >= 0 ? std::min(f.revert_called_ns, end) : end;
    phases.push_back(phase_of(
        rec, counts, fmt::format("fault {}: {} on {}", n, f.bound->step->fault, f.bound->step->target),
        "fault", from, std::max(from, stop)));
  }
  if (last_revert >= 0 && last_revert < end) {
    // An aborted run reverts and stops at once: no request was intended
    // after the revert, and an empty phase would only read as "0 errors".
    auto after = phase_of(rec, counts, "after revert", "recovery", last_revert, end);
    if (after.requests > 0) {
      phases.push_back(std::move(after));
    }
  }
  return phases;
}

Timing measure_timing(const RunRecord& rec) {
  Timing t;
  for (const auto& f : rec.faults) {
    if (f.injected_ns >= 0) {
      t.first_inject_ns = std::min(t.first_inject_ns.value_or(f.injected_ns), f.injected_ns);
      if (f.reverted_ns >= 0) {
        t.last_revert_ns = std::max(t.last_revert_ns.value_or(f.reverted_ns), f.reverted_ns);
      }
    }
  }
  // A window that straddles the injection counts (most of its requests
  // came after it); the breach is known when that window closes, as it
  // would be for an alert evaluated per window.
  const int64_t width = rec.windows.empty() ? 0 : rec.windows.front().end_ns - rec.windows.front().start_ns;
  if (t.first_inject_ns) {
    if (auto start = rec.verdict.first_breach_at_or_after(rec.windows, *t.first_inject_ns - width + 1)) {
      t.first_breach_ns = *start;
      t.detected_ns = *start + width;
    }
  }
  if (t.last_revert_ns && t.first_breach_ns) {
    if (auto start = rec.verdict.first_recovery_at_or_after(rec.windows, *t.last_revert_ns - width + 1)) {
      t.recovered_ns = std::max(*start + width, *t.last_revert_ns);
    }
  }
  t.total_breach_ns = rec.verdict.breach_ns(rec.windows);
  t.tail_needed_ns = width * verify::kRecoveryHoldingWindows;
  if (t.last_revert_ns) {
    t.tail_after_revert_ns = std::max<int64_t>(0, rec.load_end_ns - *t.last_revert_ns);
    t.recovery_observable =
        t.recovered_ns.has_value() || (width > 0 && t.tail_after_revert_ns >= t.tail_needed_ns);
  }
  return t;
}

Impact measure_impact(const RunRecord& rec, const ValidatedExperiment& v) {
  Impact im;
  const Timing t = measure_timing(rec);
  if (!t.first_inject_ns) {
    return im;
  }
  im.start_ns = *t.first_inject_ns;
  if (t.recovered_ns) {
    im.end_ns = std::max(*t.recovered_ns, t.last_revert_ns.value_or(*t.recovered_ns));
  } else if (t.first_breach_ns) {
    im.end_ns = rec.load_end_ns;
  } else {
    im.end_ns = t.last_revert_ns.value_or(rec.load_end_ns);
  }
  im.end_ns = std::min(im.end_ns, rec.load_end_ns);
  // The window that straddles the inject breached from its start, a little
  // before the fault: only the part inside the incident counts, so that the
  // breach time never exceeds the incident's duration.
  for (size_t i = 0; i < rec.windows.size() && i < rec.verdict.window_holds.size(); ++i) {
    if (!rec.verdict.window_holds[i]) {
      const int64_t from = std::max(rec.windows[i].start_ns, im.start_ns);
      const int64_t to = std::min(rec.windows[i].end_ns, im.end_ns);
      im.breach_ns += std::max<int64_t>(0, to - from);
    }
  }
  // A latency ceiling (p(N) < X or max < X) says how slow is too slow for
  // one request; the tightest one decides who was served too slowly.
  for (const auto& o : v.objectives) {
    const bool latency = o.expr.metric == verify::Metric::percentile || o.expr.metric == verify::Metric::max;
    const bool ceiling = o.expr.op == verify::Comparator::lt || o.expr.op == verify::Comparator::le;
    if (latency && ceiling) {
      im.latency_objective_ms =
          std::min(im.latency_objective_ms.value_or(o.expr.threshold), o.expr.threshold);
    }
  }
  std::unordered_set<uint32_t> seen;
  std::unordered_set<uint32_t> affected;
  for (const auto& s : rec.load.samples) {
    if (s.intended_ns < im.start_ns || s.intended_ns >= im.end_ns) {
      continue;
    }
    ++im.requests;
    seen.insert(s.user);
    const bool slow =
        !s.failed() && im.latency_objective_ms && double(s.latency_ns()) / 1e6 > *im.latency_objective_ms;
    if (s.failed()) {
      ++im.failed;
      // When the user saw it: the error came back (or the request gave up)
      // at done_ns, a timeout up to load.timeout after it was sent.
      if (!im.first_error_ns || s.done_ns < *im.first_error_ns) {
        im.first_error_ns = s.done_ns;
      }
    }
    im.slow += slow ? 1 : 0;
    if (s.failed() || slow) {
      affected.insert(s.user);
    }
    if (s.status != 0) {
      ++im.statuses[s.status];
    }
    if (s.error != load::ErrorClass::none) {
      ++im.transport_errors[load::to_string(s.error)];
    }
  }
  im.users_seen = seen.size();
  im.users_affected = affected.size();
  // Every window that overlaps the incident: the first one starts a few
  // microseconds before the inject, and holds its first slow requests.
  for (const auto& w : rec.windows) {
    if (w.end_ns > im.start_ns && w.start_ns < im.end_ns) {
      im.peak_p99_ms = std::max(im.peak_p99_ms, w.p99_ms);
    }
  }
  return im;
}

std::optional<ErrorBudget> error_budget(const RunRecord& rec, const ValidatedExperiment& v) {
  if (!v.exp.slo.target) {
    return std::nullopt;
  }
  ErrorBudget b;
  b.target = *v.exp.slo.target;
  for (const auto& s : rec.load.samples) {
    ++b.requests;
    b.failed += s.failed() ? 1 : 0;
  }
  b.allowed = double(b.requests) * (1.0 - b.target);
  b.consumed = b.allowed > 0 ? double(b.failed) / b.allowed : 0.0;
  return b;
}

bool steady_state_held(const RunRecord& rec, const ValidatedExperiment& v) {
  if (rec.steady_state_failure) {
    return false;
  }
  const Timing t = measure_timing(rec);
  const int64_t until = t.first_inject_ns.value_or(rec.load_end_ns);
  const int64_t from =
      v.exp.slo.steady_state.count() > 0 ? until - v.exp.slo.steady_state.count() : rec.load_start_ns;
  for (size_t i = 0; i < rec.windows.size() && i < rec.verdict.window_holds.size(); ++i) {
    const auto& w = rec.windows[i];
    if (w.start_ns >= from && w.end_ns <= until && !rec.verdict.window_holds[i]) {
      return false;
    }
  }
  return true;
}

RunJudgement judge_run(const RunRecord& rec, const ValidatedExperiment& v) {
  RunJudgement j;
  VerdictFacts facts;
  facts.status = to_string(rec.status);
  facts.expect_hold = v.exp.expect == experiment::Expectation::hold;
  facts.breached_after_fault = measure_timing(rec).first_breach_ns.has_value();
  facts.breached_any = rec.verdict.any_breach();
  j.outcome = decide_outcome(facts);
  j.expectation_met = faultline::expectation_met(j.outcome);
  j.breached_after_fault = facts.breached_after_fault;
  j.breached_any = facts.breached_any;
  return j;
}

bool expectation_met(const RunRecord& rec, const ValidatedExperiment& v) {
  return judge_run(rec, v).expectation_met;
}

}  // namespace faultline::runner
