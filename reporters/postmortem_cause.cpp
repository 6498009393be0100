// Why it happened, how it was caught, what the run proves, and how it was
// cleared: the root cause, detection, verdict and resolution sections.

#include <fmt/format.h>

#include "harness/common/verdict_rule.h"
#include "reporters/postmortem_parts.h"
#include "reporters/time_format.h"

namespace faultline::reporters::postmortem {

namespace {

std::string root_cause(const Run& run, const ImpactFigures& figures) {
  std::string text = run.pm.root_cause;
  if (!text.empty()) {
    return text;
  }
  // A weight, timeout or config change is a misconfiguration; a server put
  // in maintenance or drained is an operation of the load balancer.
  bool all_lb = true;
  bool all_operations = true;
  for (const auto* f : run.injected) {
    const std::string& name = f->activity->name;
    all_lb = all_lb && name.rfind("lb_", 0) == 0;
    all_operations = all_operations && (name == "lb_maintenance" || name == "lb_drain");
  }
  const char* lb_kind = all_operations ? "A load-balancer operation" : "A load-balancer misconfiguration";
  const auto& causes = run.causes;
  if (run.outcome == Outcome::steady_state_failed) {
    return "No fault was injected: the stack missed its SLOs during the steady-state check, before the "
           "first fault was due.";
  }
  if (causes.empty()) {
    return "No fault was injected.";
  }
  std::string cause;
  if (causes.size() == 1) {
    cause = all_lb ? fmt::format("{}: {}.", lb_kind, causes[0]) : fmt::format("{}.", capitalised(causes[0]));
  } else {
    std::vector<std::string> numbered;
    for (size_t i = 0; i < causes.size(); ++i) {
      numbered.push_back(fmt::format("({}) {}", run.injected[i]->number, causes[i]));
    }
    cause = fmt::format("{} faults, injected in turn{}: {}.", run.injected.size(),
                        all_lb ? " into the load-balancer configuration" : "", fmt::join(numbered, "; "));
  }
  // Why the stack could not absorb it, when it did not: the first
  // contributing factor, which the section of that name explains.
  const auto factors = contributing_factors(run, figures);
  if (run.breached && run.outcome != Outcome::passed && !factors.empty()) {
    cause += " The stack could not absorb it: " + sentence_case_off(factors.front());
  }
  return cause;
}

std::vector<std::string> trigger(const Run& run) {
  std::vector<std::string> out;
  for (const auto& f : run.faults) {
    const journal::Activity& a = *f.activity;
    const std::string planned =
        a.planned_duration_s.value_or(0) > 0
            ? fmt::format(", planned by the experiment for {}", human_duration(*a.planned_duration_s))
            : std::string();
    if (f.injected()) {
      out.push_back(fmt::format("At {} ({}), {} (`{}` on {}{}).", run.clock.at(f.injected_s(), "%H:%M:%S %Z"),
                                offset(f.injected_s()), a.description, a.name, a.target, planned));
    } else if (a.status == "inject_failed") {
      out.push_back(fmt::format("{} (`{}` on {}) did not apply, so it was never in force: {}.",
                                capitalised(fault_label(f, run.faults.size())), a.name, a.target,
                                a.error.value_or("")));
    }
  }
  if (out.empty()) {
    out.push_back("No fault was in force during the run.");
  }
  return out;
}

std::string verdict(const Run& run) {
  if (run.harness) {
    return fmt::format("No verdict: {}, so the outcome is not a result of the experiment.",
                       brief_harness_failure(*run.harness));
  }
  std::string text(verdict_headline(run.outcome));
  if (run.outcome == Outcome::not_proven && !run.not_proven.empty()) {
    text += fmt::format(" Why: {}.", fmt::join(run.not_proven, "; "));
  }
  if (run.outcome == Outcome::aborted && run.breached) {
    text += " The SLOs had been breached, but recovery was not measured.";
  }
  return text;
}

std::vector<std::string> detection(const Run& run) {
  std::vector<std::string> out;
  const auto& analysis = run.analysis;
  if (analysis.detected_s) {
    const auto first = objectives_breached_first(run);
    out.push_back(fmt::format(
        "Measured: the {} {} flagged the breach at the end of the first failing {} window, {} after the "
        "{}fault was injected.",
        first.empty() ? std::string("SLO") : joined(first), first.size() == 1 ? "objective" : "objectives",
        human_duration(run.window_s), human_duration(analysis.time_to_detect_s.value_or(0)),
        run.injected.size() > 1 ? "first " : ""));
  } else if (run.fault_ran && !run.breached) {
    out.push_back("No SLO was breached, so there was nothing to detect.");
  }
  const std::string& told = run.pm.detection;
  if (!told.empty()) {
    out.push_back(fmt::format("In production, in the experiment's words: {}", told));
  }
  return out;
}

}  // namespace

std::vector<std::string> objectives_breached_first(const Run& run) {
  std::vector<std::string> which;
  if (!run.analysis.first_breach_s) {
    return which;
  }
  const double first = *run.analysis.first_breach_s;
  for (const auto& o : run.objectives) {
    for (const auto& b : o.breaches) {
      if (b.start_s <= first + 1e-9 && first < b.end_s) {
        which.push_back(o.name);
        break;
      }
    }
  }
  return which;
}

void add_cause_and_verdict(const Run& run, const ImpactFigures& figures, json& view) {
  view["root_cause"] = root_cause(run, figures);
  view["trigger"] = trigger(run);
  view["detection"] = detection(run);
  view["verdict"] = verdict(run);
  view["expectation_met"] = run.j.expectation_met;
}

std::vector<std::string> resolution(const Run& run) {
  const Clock& clock = run.clock;
  const auto& analysis = run.analysis;
  std::vector<std::string> out;
  for (const auto* f : run.injected) {
    const journal::Activity& a = *f->activity;
    if (a.reverted_s) {
      const double reverted = *a.reverted_s;
      const double planned_end = a.planned_at_s + a.planned_duration_s.value_or(0);
      const bool early = run.stopped_early && a.planned_duration_s && reverted < planned_end - 0.05;
      out.push_back(fmt::format("At {} ({}) {} was reverted (`{}` on {}), {} after it was injected{}.",
                                clock.at(reverted), offset(reverted), fault_label(*f, run.faults.size()),
                                a.name, a.target, human_duration(reverted - f->injected_s()),
                                early ? " and earlier than planned, because the run stopped" : ""));
    } else {
      out.push_back(fmt::format("{} (`{}` on {}) has no recorded revert; check {} by hand.",
                                capitalised(fault_label(*f, run.faults.size())), a.name, a.target, a.target));
    }
  }
  // The breach time inside the incident window (older journals: the whole
  // run's), so that it never exceeds the duration it is compared with.
  const double breach_s = run.impact.breach_s ? *run.impact.breach_s : analysis.total_breach_s.value_or(0);
  const double duration = run.inc_end - run.inc_start;
  if (analysis.time_to_recover_s) {
    const double in_force = analysis.last_revert_s.value_or(0) - analysis.first_inject_s.value_or(0);
    out.push_back(fmt::format(
        "Every objective was seen holding again {} after the {}revert, at the end of the first {} window "
        "that held, so the incident lasted {} ({} with the fault{} in force, then {} to recover). The SLOs "
        "were in breach for {} of it.",
        human_duration(*analysis.time_to_recover_s), run.injected.size() > 1 ? "last " : "",
        human_duration(run.window_s), human_duration(duration), human_duration(in_force),
        run.injected.size() > 1 ? "s" : "", human_duration(*analysis.time_to_recover_s),
        human_duration(breach_s)));
  } else if (run.outcome == Outcome::passed) {
    out.push_back("The SLOs never broke, so nothing else had to be done.");
  } else if (run.outcome == Outcome::steady_state_failed) {
    out.push_back("Nothing was injected, so nothing had to be reverted.");
  } else if (run.breached) {
    out.push_back(fmt::format("The SLOs were in breach for {} of the {} incident, and {}.",
                              human_duration(breach_s), human_duration(duration), not_recovered_phrase(run)));
    const std::string restore = restore_advice(run);
    if (!restore.empty()) {
      out.push_back(restore);
    }
  }
  return out;
}

std::string not_recovered_phrase(const Run& run) {
  if (run.recovery_observable || run.tail_after_revert_s < 0) {
    return "the SLOs had not recovered when the load stopped";
  }
  return fmt::format(
      "recovery was not observed: the load ended {} after the revert (judging recovery needs {})",
      human_duration(run.tail_after_revert_s), human_duration(run.tail_needed_s));
}

}  // namespace faultline::reporters::postmortem
