// The run's events in the order they happened: load, faults and their
// reverts, the first errors each fault caused, detection, health checks,
// crashes, notes, how the run stopped and recovered, and the end of the load.

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "reporters/postmortem_parts.h"
#include "reporters/time_format.h"

namespace faultline::reporters::postmortem {

namespace {

// `order` settles events at the same instant: the cause before its effects.
struct Entry {
  double t;
  int order;
  std::string kind;
  std::string text;
};

std::string baseline_text(const Run& run) {
  const auto& load = run.load;
  const double steady_s = run.slo.steady_state_s;
  std::string text = fmt::format(
      "**Baseline load started**, as configured: {:g} requests/s to {} over {}, from up to {}.", load.rate,
      load.target, plural(at_least_zero(load.connections), "connection", "connections"),
      plural(at_least_zero(load.users), "simulated user", "simulated users"));
  if (steady_s > 0) {
    text += fmt::format(" The SLOs had to hold for {} before any fault (steady-state gate).",
                        human_duration(steady_s));
  }
  return text;
}

void add_faults(const Run& run, std::vector<Entry>& entries) {
  for (const auto& f : run.faults) {
    const journal::Activity& a = *f.activity;
    const std::string title = fault_title(f, run.faults.size());
    if (f.injected()) {
      entries.push_back(
          {f.injected_s(), 1, "fault",
           fmt::format("**{} injected** (`{}` on {}): {}.", title, a.name, a.target, a.description)});
    }
    const std::string error = a.error.value_or("");
    if (!error.empty()) {
      const double at = f.injected() ? f.injected_s() : a.inject_called_s.value_or(a.planned_at_s);
      const bool not_applied = a.status == "inject_failed";
      entries.push_back(
          {at, 2, "fault_problem",
           not_applied ? fmt::format("**{} did not apply**, so it was never in force: {}.", title, error)
                       : fmt::format("{} ran into a problem: {}.", title, error)});
    }
    if (a.reverted_s) {
      const double reverted = *a.reverted_s;
      const double planned_end = a.planned_at_s + a.planned_duration_s.value_or(0);
      const bool early = run.stopped_early && a.planned_duration_s && reverted < planned_end - 0.05;
      entries.push_back({reverted, 6, "revert",
                         fmt::format("**{} reverted** (`{}` on {}) after {}{}.", title, a.name, a.target,
                                     human_duration(reverted - f.injected_s()),
                                     early ? fmt::format(", ahead of the planned {} because the run stopped",
                                                         offset(planned_end))
                                           : std::string())});
    }
  }
}

// First errors per fault, from the windows: the first window overlapping
// the fault with an error kind that was not already present just before it.
void add_first_errors(const Run& run, std::vector<Entry>& entries) {
  const auto& windows = run.windows;
  const auto& impact = run.impact;
  bool first_error_from_windows = false;
  std::set<size_t> claimed;
  for (const auto* f : run.injected) {
    const double from = f->injected_s();
    const double until = f->activity->reverted_s.value_or(run.run_end);
    std::set<std::string> ongoing;
    for (const auto& w : windows) {
      if (w.end_s <= from + 1e-9) {
        ongoing.clear();
        for (const auto& [kind, n] : error_kinds(w.statuses, w.transport_errors)) {
          ongoing.insert(kind);
        }
      }
    }
    for (size_t i = 0; i < windows.size(); ++i) {
      const journal::Window& w = windows[i];
      if (w.end_s <= from + 1e-9 || w.start_s >= until || w.errors == 0) {
        continue;
      }
      std::vector<std::pair<std::string, uint64_t>> fresh;
      for (const auto& k : error_kinds(w.statuses, w.transport_errors)) {
        if (!ongoing.count(k.first)) {
          fresh.push_back(k);
        }
      }
      if (fresh.empty()) {
        continue;
      }
      first_error_from_windows = true;
      if (claimed.insert(i).second) {
        // When users saw the first failed request (the journal keeps the
        // first of the incident, at the moment its error came back) when
        // it was one of this window's: those come back by the window's end
        // plus the load's timeout. Else the window's start.
        double at = std::max(w.start_s, from);
        const double answered_by = w.end_s + run.load.timeout_s;
        if (impact.first_error_s && *impact.first_error_s >= at && *impact.first_error_s < answered_by) {
          at = *impact.first_error_s;
        }
        entries.push_back(
            {at, 3, "first_error",
             fmt::format("**First errors after {}**: {}, out of {} requests in the window {}–{}.",
                         fault_label(*f, run.faults.size()), joined(kind_phrases(fresh)), w.requests,
                         offset(w.start_s), offset(w.end_s))});
      }
      break;
    }
  }
  if (!first_error_from_windows && impact.first_error_s) {
    entries.push_back({*impact.first_error_s, 3, "first_error", "**First failed request** after the fault."});
  }
}

void add_detection(const Run& run, std::vector<Entry>& entries) {
  const auto& analysis = run.analysis;
  if (!analysis.detected_s) {
    return;
  }
  const double first = analysis.first_breach_s.value_or(0);
  std::vector<std::string> which;
  for (const auto& o : run.objectives) {
    for (const auto& b : o.breaches) {
      if (b.start_s <= first + 1e-9 && first < b.end_s) {
        which.push_back(fmt::format("{} (`{}`; worst {} during the breach)", o.name, o.expr, b.worst_text));
      }
    }
  }
  entries.push_back(
      {*analysis.detected_s, 4, "detect",
       fmt::format("**SLO breach detected**, {} after the {}fault, at the end of the first failing "
                   "window: {}.",
                   human_duration(analysis.time_to_detect_s.value_or(0)),
                   run.injected.size() > 1 ? "first " : "", joined(which))});
}

// What happened around the faults: health checks, crashes and notes.
void add_events(const Run& run, std::vector<Entry>& entries) {
  // Health-check transitions the load balancer logged; older journals have none.
  for (const auto& e : run.j.lb_events) {
    std::string text = e.text;
    if (text.empty()) {
      text = fmt::format("{} marked {} {}", e.service, e.server, e.to);
    }
    if (!e.from.empty() && !e.to.empty()) {
      text += fmt::format(" ({} → {})", e.from, e.to);
    }
    entries.push_back({e.t, 4, "lb_event", fmt::format("**Health check**: {}.", text)});
  }

  // Services that crashed under the load (an app with on_overflow: crash),
  // and servers that died, which stopped the run (the harness's failure).
  for (const auto& e : run.j.service_events) {
    if (e.event == "died") {
      entries.push_back({e.t, 4, "service_died", fmt::format("**{} died**: {}.", e.service, e.text)});
    } else {
      entries.push_back({e.t, 4, "service_crash", fmt::format("**{} crashed**: {}.", e.service, e.text)});
    }
  }

  for (const auto& note : run.j.notes) {
    if (note.source == "operator") {
      entries.push_back(
          {note.t, 5, "operator_note", fmt::format("Operator note, typed during the run: “{}”", note.text)});
    } else {
      // Written in the experiment's method, not observed: said so.
      entries.push_back(
          {note.t, 5, "note", fmt::format("Scripted note, from the experiment's method: “{}”", note.text)});
    }
  }
}

// How the run stopped early, if it did.
void add_stop(const Run& run, std::vector<Entry>& entries) {
  const journal::Journal& j = run.j;
  const auto& abort_info = run.abort_info;
  const auto& gate_info = run.gate_info;
  if (run.outcome == Outcome::aborted) {
    const double at = abort_info.stopped_s.value_or(run.run_end);
    entries.push_back(
        {at, 5, "abort",
         abort_info.condition.empty()
             ? fmt::format("**Run aborted**: {}.", j.error.value_or(""))
             : fmt::format(
                   "**Run aborted**: the abort condition `{}` held from {} to {} (last value {}); faultline "
                   "reverted the faults and stopped the load.",
                   abort_info.condition, offset(abort_info.since_s), offset(abort_info.until_s),
                   abort_info.value_text)});
  }
  if (run.outcome == Outcome::steady_state_failed) {
    const double at = gate_info.stopped_s.value_or(run.run_end);
    entries.push_back(
        {at, 5, "gate",
         gate_info.objective.empty()
             ? fmt::format("**Stopped at the steady-state gate**: {}.", j.error.value_or(""))
             : fmt::format("**Stopped at the steady-state gate**: {} (`{}`) measured {} in the window {}–{}, "
                           "before any fault; nothing was injected.",
                           gate_info.objective, gate_info.expr, gate_info.value_text,
                           offset(gate_info.window_start_s), offset(gate_info.window_end_s))});
  }
  if (run.harness) {
    // The detail is in the summary (and in the "died" row when a server died).
    const auto& h = *run.harness;
    entries.push_back({run.run_end, 7, "harness_failure",
                       fmt::format("**Run stopped by a harness failure**: {}; what was measured after it is "
                                   "not the fault's effect.",
                                   h.headline)});
  } else if (run.outcome == Outcome::interrupted || run.outcome == Outcome::failed) {
    // The first line only: an error may carry a server's log lines, which
    // would break the table row.
    const std::string error = j.error.value_or("");
    entries.push_back({run.run_end, 7, "interrupted",
                       fmt::format("**Run stopped early**: {}.", error.substr(0, error.find('\n')))});
  }
}

void add_recovery_and_end(const Run& run, std::vector<Entry>& entries) {
  const auto& analysis = run.analysis;
  const auto& load = run.load;
  if (analysis.recovered_s) {
    entries.push_back({*analysis.recovered_s, 7, "recover",
                       fmt::format("**SLOs met again**: every objective held, {} after the revert.",
                                   human_duration(analysis.time_to_recover_s.value_or(0)))});
  } else if (analysis.first_breach_s && analysis.last_revert_s) {
    entries.push_back({run.run_end, 7, "not_recovered", capitalised(not_recovered_phrase(run)) + "."});
  }
  const double ran = load.ran_s.value_or(run.run_end);
  const double planned = load.duration_s;
  std::string text = planned > 0 && ran < planned - 0.05
                         ? fmt::format("**Load stopped** after {} of the planned {}", human_duration(ran),
                                       human_duration(planned))
                         : fmt::format("**Load stopped** after {}", human_duration(ran));
  if (load.requests) {
    text += fmt::format(" ({} requests sent)", *load.requests);
  }
  // Faults stopped by a signal or an abort are reverted after the load
  // ends; the teardown is only worth a mention when nothing follows it.
  double last_revert = 0;
  for (const auto* f : run.injected) {
    last_revert = std::max(last_revert, f->activity->reverted_s.value_or(0));
  }
  entries.push_back(
      {run.run_end, 8, "end", text + (last_revert <= run.run_end ? "; the test stack was torn down." : ".")});
}

}  // namespace

json timeline(const Run& run) {
  std::vector<Entry> entries;
  entries.push_back({0, 0, "baseline", baseline_text(run)});
  add_faults(run, entries);
  add_first_errors(run, entries);
  add_detection(run, entries);
  add_events(run, entries);
  add_stop(run, entries);
  add_recovery_and_end(run, entries);
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.t != b.t ? a.t < b.t : a.order < b.order; });
  json rows = json::array();
  for (const auto& e : entries) {
    rows.push_back(
        {{"time", run.clock.at(e.t)}, {"offset", offset(e.t)}, {"event", e.text}, {"kind", e.kind}});
  }
  return rows;
}

}  // namespace faultline::reporters::postmortem
