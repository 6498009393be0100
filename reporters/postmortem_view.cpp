// The postmortem's view: what kind of run this was, and the sections
// (postmortem_impact.cpp, postmortem_cause.cpp, postmortem_timeline.cpp,
// postmortem_summary.cpp) put together in the order templates read them.

#include "reporters/postmortem_view.h"

#include <fmt/format.h>

#include <set>
#include <string>
#include <vector>

#include "harness/common/verdict_rule.h"
#include "reporters/journal_outcome.h"
#include "reporters/postmortem_parts.h"
#include "reporters/time_format.h"

namespace faultline::reporters {

namespace postmortem {

namespace {

json objective_rows(const Run& run) {
  json objectives = json::array();
  for (const auto& o : run.objectives) {
    std::vector<std::string> spans;
    for (const auto& b : o.breaches) {
      spans.push_back(
          fmt::format("{}–{} (worst {})", run.clock.at(b.start_s), run.clock.at(b.end_s), b.worst_text));
    }
    const std::string worst = o.worst_text.value_or("");
    objectives.push_back({{"name", o.name},
                          {"expr", o.expr},
                          {"result", o.breached.value_or(false) ? "breached" : "held"},
                          {"worst", worst.empty() ? "–" : worst},
                          {"breaches", spans.empty() ? "none" : fmt::format("{}", fmt::join(spans, "; "))}});
  }
  return objectives;
}

// A closing paragraph: the verdict, the main contributing factor, the first
// action item and what would restore a service still down.
std::string conclusion(const Run& run, const json& view) {
  std::vector<std::string> out;
  out.push_back(view["verdict"].get<std::string>());
  if (run.outcome == Outcome::passed) {
    out.push_back(fmt::format("The protection held against {}.", joined(run.causes, "; ")));
  }
  const json& factors = view["factors"];
  if (!factors.empty() && run.breached && run.outcome != Outcome::passed) {
    out.push_back("The main contributing factor: " + sentence_case_off(factors[0].get<std::string>()));
  }
  // The first prevent-first item (P1), else the first of the table.
  const json* first = nullptr;
  for (const auto& a : view["actions"]) {
    if (str(a, "priority").rfind("P1", 0) == 0) {
      first = &a;
      break;
    }
  }
  if (first == nullptr && !view["actions"].empty()) {
    first = &view["actions"][0];
  }
  if (first != nullptr) {
    out.push_back(fmt::format("First action item: {}.", str(*first, "action")));
  }
  const std::string restore = restore_advice(run);
  if (!restore.empty()) {
    out.push_back(restore);
  }
  return fmt::format("{}", fmt::join(out, " "));
}

}  // namespace

Run::Run(const json& doc)
    : j(journal::from_json(doc)),
      exp(j.experiment),
      pm(j.postmortem),
      analysis(j.analysis),
      impact(j.analysis.impact),
      slo(j.slo),
      load(j.load),
      windows(j.windows),
      phases(j.phases),
      activities(j.activities),
      objectives(j.slo.objectives),
      abort_info(j.abort.value_or(journal::Abort{})),
      gate_info(j.steady_state_failure.value_or(journal::SteadyStateFailure{})),
      clock{j.start.epoch_ms.value_or(0), j.timezone.empty() ? "UTC" : j.timezone},
      run_end(j.end.t),
      window_s(j.slo.window_s),
      service(pm.service.empty() ? std::string("the service under test") : pm.service),
      status(j.status),
      harness(harness_failure(j)) {
  for (const auto& a : activities) {
    faults.push_back({static_cast<int>(faults.size()) + 1, &a});
  }
  for (const auto& f : faults) {
    if (f.injected()) {
      injected.push_back(&f);
      causes.push_back(f.activity->description);
    }
  }
  const JournalOutcome verdict = journal_outcome(j);
  outcome = verdict.outcome;
  breached = verdict.breached;
  not_proven = j.not_proven;
  if (load.delivery) {
    load_problems = load.delivery->problems;
  }
  if (const auto& recovery = analysis.recovery) {
    recovery_observable = recovery->observable.value_or(true);
    tail_after_revert_s = recovery->tail_after_revert_s.value_or(-1);
    tail_needed_s = recovery->tail_needed_s;
  }
  stopped_early = outcome == Outcome::aborted || outcome == Outcome::interrupted ||
                  outcome == Outcome::failed || outcome == Outcome::steady_state_failed;
  fault_ran = analysis.first_inject_s.has_value() || !injected.empty();
  inc_start = impact.start_s.value_or(0.0);
  inc_end = impact.end_s.value_or(run_end);
}

}  // namespace postmortem

nlohmann::ordered_json postmortem_view(const nlohmann::ordered_json& journal) {
  using namespace postmortem;
  const Run run(journal);
  const journal::Journal& j = run.j;
  json view;
  view["title"] = run.exp.title;
  view["description"] = run.exp.description.empty() ? json(nullptr) : json(run.exp.description);
  view["run_id"] = j.run_id;
  view["timezone"] = run.clock.zone;
  view["generated"] = run.clock.full(0);
  view["service"] = run.service;
  view["source_file"] = run.exp.source_file;

  view["outcome"] = std::string(to_string(run.outcome));
  // People were only paged and misled when users were hurt; a passed test or
  // a run stopped at the gate has no investigation to tell.
  // Nor was anyone misled by a run the harness stopped: its errors are
  // faultline's problem, not an incident of the system under test.
  // Nor by a run that proves nothing: what it measured is not an incident
  // of the system either.
  view["is_incident"] = run.breached && run.outcome != Outcome::passed &&
                        run.outcome != Outcome::steady_state_failed && run.outcome != Outcome::not_proven &&
                        !run.harness;
  view["is_passed"] = run.outcome == Outcome::passed;
  // Factors, detection and lessons are drawn only from a run whose fault
  // was in force and measured: not for a passed test (nothing to learn from
  // a breach), a run stopped at the gate (no fault), one that proves
  // nothing, or one the harness stopped (its figures are not the fault's).
  view["is_postmortem"] = run.outcome != Outcome::passed && run.outcome != Outcome::steady_state_failed &&
                          run.outcome != Outcome::not_proven && !run.harness && run.fault_ran;
  view["heading"] = run.outcome == Outcome::passed       ? "Regression test passed"
                    : run.outcome == Outcome::not_proven ? "Run not proven: no verdict"
                    : run.outcome == Outcome::steady_state_failed
                        ? "Experiment stopped at the steady-state gate"
                    : run.harness ? "Run stopped by a harness failure"
                                  : "Postmortem";
  view["kicker"] = run.outcome == Outcome::passed    ? "Regression test report"
                   : view["is_incident"].get<bool>() ? "Incident postmortem · draft"
                                                     : "Drill report · draft";
  view["badge"] = std::string(verdict_headline(run.outcome))
                      .substr(0, std::string(verdict_headline(run.outcome)).find(':'));
  view["expect"] = j.expect;
  if (run.outcome == Outcome::not_proven) {
    view["run_problem"] = fmt::format(
        "This run proves nothing about {}: {}. It states no verdict: neither that the SLOs held nor that "
        "they breached because of the fault. The figures below are what was measured, for diagnosis only.",
        run.service, fmt::join(run.not_proven, "; "));
  } else if (run.harness) {
    view["run_problem"] =
        fmt::format("This run did not complete: {}. {}.", describe_harness_failure(*run.harness),
                    harness_failure_consequence(*run.harness));
  } else if (run.status != "completed") {
    view["run_problem"] = fmt::format(
        "This run did not complete ({}): {}. The figures below cover only what was "
        "measured before it stopped.",
        run.status, j.error.value_or(""));
  }

  // A load that fell short is said at the top even when the run stopped
  // for another reason (a not-proven run lists it among its reasons).
  // (One warning paragraph: the template engine leaves a blank line
  // between two adjacent empty sections.)
  if (run.outcome != Outcome::not_proven && !run.load_problems.empty()) {
    const std::string warning =
        fmt::format("The figures are not trustworthy: {}.", fmt::join(run.load_problems, "; "));
    view["run_problem"] =
        view.contains("run_problem") ? view["run_problem"].get<std::string>() + " " + warning : warning;
  }

  const ImpactFigures figures = add_impact(run, view);
  view["factors"] = contributing_factors(run, figures);
  add_cause_and_verdict(run, figures, view);
  view["timeline"] = timeline(run);
  view["summary"] = summary(run, figures);
  add_lessons(run, figures, view);

  const json phases = phase_rows(run);
  view["phases"] = phases;
  view["has_phases"] = !phases.empty();
  if (const auto basis = shares_basis_sentence(run.j)) {
    view["shares_basis"] = *basis;
  }
  view["objectives"] = objective_rows(run);
  view["window"] = human_duration(run.window_s);
  view["resolution"] = resolution(run);
  add_actions(run, view);
  add_prompts(run, view);
  add_support(run, view);
  view["has_factors"] = !view["factors"].empty();
  view["has_detection"] = !view["detection"].empty();
  view["conclusion"] = conclusion(run, view);
  return view;
}

}  // namespace faultline::reporters
