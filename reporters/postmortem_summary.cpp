// The summary paragraph: one paragraph a reader can stop after, saying
// when, what users saw, why, and how fast it was caught and cleared.

#include <fmt/format.h>

#include "reporters/postmortem_parts.h"
#include "reporters/time_format.h"

namespace faultline::reporters::postmortem {

namespace {

// A p99 this much above the baseline's (and by at least kSlowerByMs) counts
// as slower responses when no latency objective says how slow is too slow.
constexpr double kSlowerRatio = 2.0;
constexpr double kSlowerByMs = 5.0;

// What users saw, as the end of a sentence: the dominant measured impact,
// errors first, then slow responses, then a share that moved; never a share
// that did not move. Empty when nothing was measured.
std::string effect(const Run& run, const ImpactFigures& figures, bool expected_to_hold = false) {
  // A passed regression test expected its fault's effect: no "but".
  const char* but = expected_to_hold ? "; " : ", but ";
  const auto& kinds = figures.kinds;
  if (figures.failed > 0) {
    std::string how;
    if (kinds.size() == 1) {
      how = ", all of them " + kind_name(kinds[0].first);
    } else if (!kinds.empty()) {
      how = fmt::format(", most of them {} ({} of {})", kind_name(kinds[0].first), kinds[0].second,
                        figures.failed);
    }
    return fmt::format("{} failed {} of requests ({} of {}){}", run.service,
                       pct(run.impact.failed_share.value_or(0)), figures.failed, figures.requests, how);
  }
  const std::string p99_against = figures.baseline_p99 > 0
                                      ? fmt::format("p99 latency peaked at {} against {} in the baseline",
                                                    ms(figures.peak_p99), ms(figures.baseline_p99))
                                      : fmt::format("p99 latency peaked at {}", ms(figures.peak_p99));
  if (figures.slow > 0 && figures.latency_objective_ms >= 0) {
    return fmt::format("{} answered every request{}{} of {} responses took longer than the {} objective ({})",
                       run.service, but, figures.slow, figures.requests, ms(figures.latency_objective_ms),
                       p99_against);
  }
  if (figures.baseline_p99 > 0 && figures.peak_p99 >= kSlowerRatio * figures.baseline_p99 &&
      figures.peak_p99 - figures.baseline_p99 >= kSlowerByMs) {
    return fmt::format("{} answered every request{}more slowly: {}", run.service, but, p99_against);
  }
  if (figures.skew) {
    return fmt::format("{} answered every request{}{}", run.service, but, figures.skew_clause());
  }
  if (figures.requests > 0) {
    return fmt::format("{} answered every request, no backend's share moved by {} points or more, and {}",
                       run.service, static_cast<int>(kShareMoved * 100), p99_against);
  }
  return {};
}

std::string gate_sentence(const Run& run) {
  const auto& gate_info = run.gate_info;
  return fmt::format(
      "The run stopped at the steady-state gate at {}, before any fault was injected: "
      "{}. The stack itself missed its SLOs, so there is no incident to analyse; "
      "fix the stack or the objective and run the experiment again.",
      run.clock.at(gate_info.stopped_s.value_or(run.run_end)),
      gate_info.objective.empty()
          ? run.j.error.value_or("")
          : fmt::format("objective {} (`{}`) measured {} between {} and {}", gate_info.objective,
                        gate_info.expr, gate_info.value_text, offset(gate_info.window_start_s),
                        offset(gate_info.window_end_s)));
}

// The sentences of an incident, a failed regression test or a run that
// stopped early.
void incident_sentences(const Run& run, const std::string& when, const std::string& effect_text,
                        const std::string& fault_clause, std::vector<std::string>& out) {
  const journal::Journal& j = run.j;
  const auto& analysis = run.analysis;
  const auto& causes = run.causes;
  // A harness failure first: what follows must not be read as the fault's
  // doing.
  if (run.harness) {
    const auto& h = *run.harness;
    out.push_back(fmt::format(
        "{} a harness failure stopped the run: {}{}. {}.",
        h.t ? fmt::format("At {} ({})", run.clock.at(*h.t), offset(*h.t)) : "Before the end,", h.headline,
        h.detail.empty() ? std::string() : fmt::format(" ({})", h.detail), harness_failure_consequence(h)));
  }
  if (!effect_text.empty() && run.fault_ran) {
    out.push_back(fmt::format("{}, {}.", when, effect_text));
  }
  if (run.fault_ran) {
    if (run.harness) {
      out.push_back(causes.size() == 1 ? fmt::format("The experiment's fault was: {}.", causes[0])
                                       : capitalised(fault_clause) + ".");
    } else {
      out.push_back(causes.size() == 1 ? fmt::format("The trigger was a deliberate fault: {}.", causes[0])
                                       : capitalised(fault_clause) + ".");
    }
  }
  // A crash outlives the fault that caused it: say so up front. A server
  // that died is the harness failure above, not a crash under the load.
  std::vector<std::string> crashed;
  for (const auto& e : j.service_events) {
    if (e.event == "died") {
      continue;
    }
    crashed.push_back(fmt::format("{} crashed at {} ({})", e.service, run.clock.at(e.t), offset(e.t)));
  }
  if (!crashed.empty()) {
    out.push_back((crashed.size() == 1 ? "Service " : "Services ") + joined(crashed) +
                  (crashed.size() == 1 ? " under the load and did not come back during the run."
                                       : " under the load; none came back during the run."));
  }
  if (analysis.time_to_detect_s) {
    const auto first = objectives_breached_first(run);
    std::string s =
        fmt::format("The {} {} caught it {} after the {}fault", joined(first),
                    first.size() == 1 ? "objective" : "objectives",
                    human_duration(*analysis.time_to_detect_s), run.injected.size() > 1 ? "first " : "");
    if (first.empty()) {
      s = fmt::format("The SLO checks caught it {} after the {}fault",
                      human_duration(*analysis.time_to_detect_s), run.injected.size() > 1 ? "first " : "");
    }
    if (analysis.time_to_recover_s) {
      s += fmt::format("; every objective held again {} after the {}revert",
                       human_duration(*analysis.time_to_recover_s), run.injected.size() > 1 ? "last " : "");
    } else if (run.outcome == Outcome::incident || run.outcome == Outcome::regression) {
      s += "; " + not_recovered_phrase(run);
    }
    out.push_back(s + ".");
    const std::string restore = restore_advice(run);
    if (!restore.empty()) {
      out.push_back(restore);
    }
  }
  const auto& abort_info = run.abort_info;
  if (run.outcome == Outcome::regression) {
    out.push_back(
        "The run was a regression test (`expect: hold`): the SLOs should have held, so the "
        "protection it checks did not work.");
  } else if (run.outcome == Outcome::aborted) {
    out.push_back(
        abort_info.condition.empty()
            ? fmt::format("The run was aborted: {}.", j.error.value_or(""))
            : fmt::format(
                  "The run was aborted at {} when its safety condition `{}` held ({}); the faults were "
                  "reverted early and the rest of the timeline did not run.",
                  offset(abort_info.stopped_s.value_or(run.run_end)), abort_info.condition,
                  abort_info.value_text));
  } else if (run.harness) {
    out.push_back("Fix the harness problem and run the experiment again.");
  } else if (run.outcome == Outcome::interrupted || run.outcome == Outcome::failed) {
    out.push_back(
        fmt::format("The run stopped early at {} ({}); the figures cover only what was measured "
                    "until then.",
                    offset(run.run_end), j.error.value_or("")));
  }
}

}  // namespace

std::string summary(const Run& run, const ImpactFigures& figures) {
  const Clock& clock = run.clock;
  const auto& causes = run.causes;
  std::vector<std::string> out;
  const std::string when = fmt::format(
      "On {}, from {} to {} {} ({})", clock.date(run.inc_start), clock.at(run.inc_start),
      clock.at(run.inc_end), clock.at(run.inc_end, "%Z"), human_duration(run.inc_end - run.inc_start));
  const std::string effect_text = effect(run, figures, run.outcome == Outcome::passed);
  const std::string fault_clause =
      causes.size() == 1 ? fmt::format("the fault was: {}", causes[0])
                         : fmt::format("{} faults were injected (listed under Root cause)", causes.size());
  switch (run.outcome) {
    case Outcome::steady_state_failed:
      out.push_back(gate_sentence(run));
      break;
    case Outcome::passed:
      out.push_back(fmt::format(
          "On {}, {} withstood {} for {} ({}): every SLO held, as the regression test expected{}. The "
          "figures below show what the protection withstood.",
          clock.date(run.inc_start), run.service,
          causes.size() == 1 ? "a deliberate fault" : fmt::format("{} deliberate faults", causes.size()),
          human_duration(run.inc_end - run.inc_start), joined(causes, "; "),
          effect_text.empty() ? std::string() : fmt::format("; {}", effect_text)));
      break;
    case Outcome::not_reproduced:
      out.push_back(
          fmt::format("{}, {} was exposed to a fault, but no SLO was breached: the drill did not "
                      "reproduce the incident. {}.",
                      when, run.service, capitalised(fault_clause)));
      break;
    default:
      incident_sentences(run, when, effect_text, fault_clause, out);
  }
  std::vector<std::string> never_run;
  for (const auto& f : run.faults) {
    // Only a fault that was never tried: one that failed to apply says so
    // in its own words (the run went on).
    if (!f.injected() && f.activity->status != "inject_failed" &&
        run.outcome != Outcome::steady_state_failed) {
      never_run.push_back(fmt::format("{} (`{}` on {}, planned for {})", fault_label(f, run.faults.size()),
                                      f.activity->name, f.activity->target,
                                      offset(f.activity->planned_at_s)));
    }
  }
  if (!never_run.empty()) {
    out.push_back(fmt::format("Never injected because the run stopped first: {}.", joined(never_run)));
  }
  return fmt::format("{}", fmt::join(out, " "));
}

}  // namespace faultline::reporters::postmortem
