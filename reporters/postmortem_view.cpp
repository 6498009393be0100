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

std::vector<std::string> strings_of(const json& list) {
  std::vector<std::string> out;
  if (list.is_array()) {
    for (const auto& item : list) {
      if (item.is_string()) {
        out.push_back(item.get<std::string>());
      }
    }
  }
  return out;
}

json objective_rows(const Run& run) {
  json objectives = json::array();
  for (const auto& o : run.objectives) {
    std::vector<std::string> spans;
    for (const auto& b : sub(o, "breaches", empty_array())) {
      spans.push_back(fmt::format("{}–{} (worst {})", run.clock.at(num(b, "start_s")),
                                  run.clock.at(num(b, "end_s")), str(b, "worst_text")));
    }
    objectives.push_back({{"name", str(o, "name")},
                          {"expr", str(o, "expr")},
                          {"result", o.value("breached", false) ? "breached" : "held"},
                          {"worst", str(o, "worst_text").empty() ? "–" : str(o, "worst_text")},
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
    : j(doc),
      typed(journal::from_json(doc)),
      exp(sub(j, "experiment", empty_object())),
      pm(sub(j, "postmortem", empty_object())),
      analysis(sub(j, "analysis", empty_object())),
      impact(sub(analysis, "impact", empty_object())),
      slo(sub(j, "slo", empty_object())),
      load(sub(j, "load", empty_object())),
      windows(sub(j, "windows", empty_array())),
      phases(sub(j, "phases", empty_array())),
      activities(sub(j, "activities", empty_array())),
      objectives(sub(slo, "objectives", empty_array())),
      abort_info(sub(j, "abort", empty_object())),
      gate_info(sub(j, "steady_state_failure", empty_object())),
      clock{saturating_i64(num(sub(j, "start", empty_object()), "epoch_ms")),
            str(j, "timezone").empty() ? "UTC" : str(j, "timezone")},
      run_end(num(sub(j, "end", empty_object()), "t")),
      window_s(num(slo, "window_s")),
      service(str(pm, "service").empty() ? std::string("the service under test") : str(pm, "service")),
      status(str(j, "status")),
      harness(harness_failure(typed)) {
  for (const auto& a : activities) {
    faults.push_back({static_cast<int>(faults.size()) + 1, &a});
  }
  for (const auto& f : faults) {
    if (f.injected()) {
      injected.push_back(&f);
      causes.push_back(str(*f.activity, "description"));
    }
  }
  const JournalOutcome verdict = journal_outcome(typed);
  outcome = verdict.outcome;
  breached = verdict.breached;
  not_proven = strings_of(sub(j, "not_proven", empty_array()));
  load_problems = strings_of(sub(sub(load, "delivery", empty_object()), "problems", empty_array()));
  const json& recovery = sub(analysis, "recovery", empty_object());
  if (recovery.contains("observable") && recovery["observable"].is_boolean()) {
    recovery_observable = recovery["observable"].get<bool>();
  }
  tail_after_revert_s = has_num(recovery, "tail_after_revert_s") ? num(recovery, "tail_after_revert_s") : -1;
  tail_needed_s = num(recovery, "tail_needed_s");
  stopped_early = outcome == Outcome::aborted || outcome == Outcome::interrupted ||
                  outcome == Outcome::failed || outcome == Outcome::steady_state_failed;
  fault_ran = has_num(analysis, "first_inject_s") || !injected.empty();
  inc_start = has_num(impact, "start_s") ? num(impact, "start_s") : 0.0;
  inc_end = has_num(impact, "end_s") ? num(impact, "end_s") : run_end;
}

}  // namespace postmortem

nlohmann::ordered_json postmortem_view(const nlohmann::ordered_json& journal) {
  using namespace postmortem;
  const Run run(journal);
  const json& j = run.j;
  json view;
  view["title"] = str(run.exp, "title");
  view["description"] =
      str(run.exp, "description").empty() ? json(nullptr) : json(str(run.exp, "description"));
  view["run_id"] = str(j, "run_id");
  view["timezone"] = run.clock.zone;
  view["generated"] = run.clock.full(0);
  view["service"] = run.service;
  view["source_file"] = str(run.exp, "source_file");

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
  view["expect"] = str(j, "expect");
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
        run.status, str(j, "error"));
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
