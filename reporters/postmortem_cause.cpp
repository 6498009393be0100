// Why it happened, how it was caught, what the run proves, and how it was
// cleared: the root cause, detection, verdict and resolution sections.

#include <fmt/format.h>

#include "reporters/postmortem_parts.h"
#include "reporters/time_format.h"

namespace faultline::reporters::postmortem {

namespace {

std::string root_cause(const Run& run) {
  std::string text = str(run.pm, "root_cause");
  if (!text.empty()) {
    return text;
  }
  bool all_lb = true;
  for (const auto* f : run.injected) {
    all_lb = all_lb && str(*f->activity, "name").rfind("lb_", 0) == 0;
  }
  const auto& causes = run.causes;
  if (run.outcome == Outcome::steady_state_failed) {
    return "No fault was injected: the stack missed its SLOs during the steady-state check, before the "
           "first fault was due.";
  }
  if (causes.empty()) {
    return "No fault was injected.";
  }
  if (causes.size() == 1) {
    return all_lb ? fmt::format("A load-balancer misconfiguration: {}.", causes[0])
                  : fmt::format("{}.", capitalised(causes[0]));
  }
  std::vector<std::string> numbered;
  for (size_t i = 0; i < causes.size(); ++i) {
    numbered.push_back(fmt::format("({}) {}", run.injected[i]->number, causes[i]));
  }
  return fmt::format("{} faults, injected in turn{}: {}.", run.injected.size(),
                     all_lb ? " into the load-balancer configuration" : "", fmt::join(numbered, "; "));
}

std::string verdict(const Run& run) {
  if (run.harness) {
    return fmt::format("No verdict: {}, so the outcome is not a result of the experiment.",
                       brief_harness_failure(*run.harness));
  }
  switch (run.outcome) {
    case Outcome::incident:
      return "The drill reproduced the incident: the SLOs were breached after the fault, as expected "
             "(`expect: breach`).";
    case Outcome::not_reproduced:
      return "The drill did NOT reproduce the incident: no SLO was breached after the fault "
             "(`expect: breach`).";
    case Outcome::passed:
      return "Regression test passed: every SLO held with the fault active (`expect: hold`).";
    case Outcome::regression:
      return "Regression test failed: the SLOs were breached although they were expected to hold "
             "(`expect: hold`).";
    case Outcome::aborted:
      return run.breached ? "Inconclusive: the SLOs were breached, but the run was aborted by its safety "
                            "condition before the timeline finished, so recovery was not measured."
                          : "Inconclusive: the run was aborted by its safety condition.";
    case Outcome::steady_state_failed:
      return "No verdict: the stack did not hold its SLOs before the fault, so nothing was injected.";
    case Outcome::interrupted:
    case Outcome::failed:
      return run.breached ? "Inconclusive: the SLOs had been breached when the run stopped early."
                          : "Inconclusive: the run stopped before the experiment finished.";
    case Outcome::not_proven:
      return fmt::format("No verdict: the run proves nothing ({}).", fmt::join(run.not_proven, "; "));
  }
  return "";
}

}  // namespace

void add_cause_and_verdict(const Run& run, json& view) {
  const bool met = run.j.value("expectation_met", false);
  view["root_cause"] = root_cause(run);

  std::string detection = str(run.pm, "detection");
  if (detection.empty() && has_num(run.analysis, "detected_s")) {
    detection = fmt::format(
        "The SLO check flagged the breach at the end of the first failing {} window, {} after "
        "the {}fault was injected.",
        human_duration(run.window_s), human_duration(num(run.analysis, "time_to_detect_s")),
        run.injected.size() > 1 ? "first " : "");
  }
  view["detection"] = detection.empty() ? json(nullptr) : json(detection);
  view["verdict"] = verdict(run);
  view["expectation_met"] = met;
}

std::vector<std::string> resolution(const Run& run) {
  const Clock& clock = run.clock;
  const json& analysis = run.analysis;
  std::vector<std::string> out;
  for (const auto* f : run.injected) {
    const json& a = *f->activity;
    if (has_num(a, "reverted_s")) {
      const double planned_end = num(a, "planned_at_s") + num(a, "planned_duration_s");
      const bool early =
          run.stopped_early && has_num(a, "planned_duration_s") && num(a, "reverted_s") < planned_end - 0.05;
      out.push_back(fmt::format("At {} ({}) {} was reverted (`{}` on {}), {} after it was injected{}.",
                                clock.at(num(a, "reverted_s")), offset(num(a, "reverted_s")),
                                fault_label(*f, run.faults.size()), str(a, "name"), str(a, "target"),
                                human_duration(num(a, "reverted_s") - f->injected_s()),
                                early ? " and earlier than planned, because the run stopped" : ""));
    } else {
      out.push_back(fmt::format("{} (`{}` on {}) has no recorded revert; check {} by hand.",
                                capitalised(fault_label(*f, run.faults.size())), str(a, "name"),
                                str(a, "target"), str(a, "target")));
    }
  }
  if (has_num(analysis, "time_to_recover_s")) {
    out.push_back(fmt::format("Every objective held again {} later; in total the SLOs were breached for {}.",
                              human_duration(num(analysis, "time_to_recover_s")),
                              human_duration(num(analysis, "total_breach_s"))));
  } else if (run.outcome == Outcome::passed) {
    out.push_back("The SLOs never broke, so nothing else had to be done.");
  } else if (run.outcome == Outcome::steady_state_failed) {
    out.push_back("Nothing was injected, so nothing had to be reverted.");
  } else if (run.breached) {
    out.push_back(fmt::format("The SLOs were breached for {} in total, and {}.",
                              human_duration(num(analysis, "total_breach_s")), not_recovered_phrase(run)));
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
