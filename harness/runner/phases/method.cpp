#include "harness/runner/phases/method.h"

#include <fmt/format.h>

#include <algorithm>

namespace faultline::runner {

namespace {

void inject_fault(RunContext& run, FaultRecord& f, stack::RunningStack& stack) {
  const auto* step = f.bound->step;
  const int64_t called = run.now_ns();
  f.inject_called_ns = called;
  auto st = f.bound->fault->inject(stack);
  f.inject_done_ns = run.now_ns();
  if (!st) {
    // A half-applied fault is reverted at once; the run goes on so the
    // journal shows what happened, but the fault never counts as in force,
    // and the run proves nothing (not_proven).
    f.inject_failed = true;
    f.error = "inject failed: " + st.error().message;
    revert_fault(run, f, stack);
    run.progress.message(fmt::format("fault {} on {} did not apply: {}", step->fault, step->target, f.error));
  } else {
    f.injected_ns = called;
    run.progress.message(
        fmt::format("injected {} on {}: {}", step->fault, step->target, f.bound->fault->describe()));
  }
}

}  // namespace

std::vector<MethodEvent> schedule(const ValidatedExperiment& v, int64_t load_start_ns) {
  std::vector<MethodEvent> events;
  for (size_t i = 0; i < v.faults.size(); ++i) {
    const auto* step = v.faults[i].step;
    events.push_back({load_start_ns + step->at.count(), MethodEvent::inject, i});
    if (step->duration) {
      events.push_back({load_start_ns + (step->at + *step->duration).count(), MethodEvent::revert, i});
    }
  }
  for (size_t i = 0; i < v.exp.method.size(); ++i) {
    if (v.exp.method[i].is_note()) {
      events.push_back({load_start_ns + v.exp.method[i].at.count(), MethodEvent::note, i});
    }
  }
  // Faults that end at the same instant are reverted in the reverse of the
  // order they were injected in: a fault restores what it found, so the
  // last one in must be the first one out.
  const auto injected_later = [&](const MethodEvent& a, const MethodEvent& b) {
    const auto at_a = v.faults[a.index].step->at;
    const auto at_b = v.faults[b.index].step->at;
    return at_a != at_b ? at_a > at_b : a.index > b.index;
  };
  std::stable_sort(events.begin(), events.end(), [&](const MethodEvent& a, const MethodEvent& b) {
    if (a.at_ns != b.at_ns) {
      return a.at_ns < b.at_ns;
    }
    const bool a_revert = a.kind == MethodEvent::revert;
    const bool b_revert = b.kind == MethodEvent::revert;
    if (a_revert != b_revert) {
      return a_revert;
    }
    return a_revert && injected_later(a, b);
  });
  return events;
}

std::vector<FaultRecord> fault_records(const ValidatedExperiment& v) {
  std::vector<FaultRecord> records;
  for (const auto& bound : v.faults) {
    FaultRecord f;
    f.bound = &bound;
    records.push_back(f);
  }
  return records;
}

void revert_fault(RunContext& run, FaultRecord& f, stack::RunningStack& stack) {
  if (f.inject_called_ns < 0 || f.reverted_ns >= 0) {
    return;
  }
  f.revert_called_ns = run.now_ns();
  auto st = f.bound->fault->revert(stack);
  f.reverted_ns = run.now_ns();
  if (!st) {
    f.revert_failed = true;
    // After a failed inject the record already says why; keep both.
    f.error += (f.error.empty() ? "" : "; ") + std::string("revert failed: ") + st.error().message;
  }
}

void revert_all_faults(RunContext& run, stack::RunningStack& stack) {
  // Last in, first out, as at the end of their durations: each fault puts
  // back what it found, which holds the changes of those injected before.
  std::vector<FaultRecord*> order;
  for (auto& f : run.rec.faults) {
    order.push_back(&f);
  }
  std::sort(order.begin(), order.end(), [](const FaultRecord* a, const FaultRecord* b) {
    return a->inject_called_ns != b->inject_called_ns ? a->inject_called_ns > b->inject_called_ns : a > b;
  });
  for (auto* f : order) {
    revert_fault(run, *f, stack);
  }
}

std::vector<std::string> active_faults(const RunRecord& rec) {
  std::vector<std::string> active;
  for (const auto& f : rec.faults) {
    if (f.injected_ns >= 0 && f.reverted_ns < 0) {
      active.push_back(f.bound->step->fault + "(" + f.bound->step->target + ")");
    }
  }
  return active;
}

MethodTimeline::MethodTimeline(const ValidatedExperiment& v, int64_t load_start_ns)
    : events_(schedule(v, load_start_ns)) {}

std::optional<int64_t> MethodTimeline::first_inject_at() const {
  for (const auto& e : events_) {
    if (e.kind == MethodEvent::inject) {
      return e.at_ns;
    }
  }
  return std::nullopt;
}

std::optional<int64_t> MethodTimeline::next_at() const {
  if (next_ < events_.size()) {
    return events_[next_].at_ns;
  }
  return std::nullopt;
}

void MethodTimeline::carry_out_due(RunContext& run, stack::RunningStack& stack, int64_t now_ns) {
  const auto& method = run.v.exp.method;
  while (next_ < events_.size() && events_[next_].at_ns <= now_ns) {
    const auto& e = events_[next_++];
    if (e.kind == MethodEvent::note) {
      run.rec.notes.push_back({run.now_ns(), method[e.index].note, "method"});
      run.progress.message(fmt::format("note: {}", method[e.index].note));
      continue;
    }
    auto& f = run.rec.faults[e.index];
    if (e.kind == MethodEvent::inject) {
      inject_fault(run, f, stack);
    } else if (!f.inject_failed) {
      // (A fault that did not apply was rolled back when its inject
      // failed: there is nothing to revert at its planned end.)
      revert_fault(run, f, stack);
      run.progress.message(fmt::format("reverted {} on {}{}", f.bound->step->fault, f.bound->step->target,
                                       f.error.empty() ? "" : ": " + f.error));
    }
  }
}

}  // namespace faultline::runner
