// Lessons Learned (what went well, what went wrong, where we got lucky) and
// the Conclusion, each line from a measurement or the experiment's plan.

#include <fmt/format.h>

#include <algorithm>

#include "reporters/postmortem_parts.h"
#include "reporters/time_format.h"

namespace faultline::reporters::postmortem {

namespace {

// Health-check verdicts that took a backend the faults hit out of the
// pool during the incident: the load balancer doing its job.
std::vector<std::string> taken_out(const Run& run) {
  std::vector<std::string> out;
  for (const auto& e : run.j.lb_events) {
    const double t = e.t;
    if (e.to != "DOWN" || t < run.inc_start || t > run.inc_end) {
      continue;
    }
    out.push_back(fmt::format("{} took {} out of the pool at {}, {} after the {}fault (measured).",
                              e.service.empty() ? std::string("The load balancer") : e.service, e.server,
                              run.clock.at(t), human_duration(t - run.inc_start),
                              run.injected.size() > 1 ? "first " : ""));
  }
  return out;
}

std::vector<std::string> crashed(const Run& run) {
  std::vector<std::string> out;
  for (const auto& e : run.j.service_events) {
    if (e.event != "died") {
      out.push_back(fmt::format("{} crashed at {} ({}) and did not come back during the run.", e.service,
                                run.clock.at(e.t), offset(e.t)));
    }
  }
  return out;
}

}  // namespace

void add_lessons(const Run& run, const ImpactFigures& figures, json& view) {
  const auto& analysis = run.analysis;
  std::vector<std::string> well;
  std::vector<std::string> wrong;
  std::vector<std::string> lucky;
  if (run.fault_ran && run.outcome != Outcome::not_proven && !run.harness &&
      run.outcome != Outcome::steady_state_failed) {
    if (run.outcome == Outcome::passed) {
      well.push_back(
          fmt::format("Every objective held for the whole run, the {} with the fault in force "
                      "included.",
                      human_duration(run.inc_end - run.inc_start)));
    }
    if (analysis.time_to_detect_s) {
      const auto first = objectives_breached_first(run);
      well.push_back(fmt::format("The {} {} detected the breach {} after the change (measured).",
                                 first.empty() ? std::string("SLO") : joined(first),
                                 first.size() == 1 ? "objective" : "objectives",
                                 human_duration(*analysis.time_to_detect_s)));
    }
    if (analysis.time_to_recover_s) {
      well.push_back(
          fmt::format("Every objective held again {} after the revert, with nothing else done "
                      "(measured).",
                      human_duration(*analysis.time_to_recover_s)));
    }
    for (auto& line : taken_out(run)) {
      well.push_back(line);
    }
    if (figures.failed == 0 && figures.requests > 0) {
      well.push_back(
          fmt::format("No request failed: all {} requests of the incident were answered.", figures.requests));
    }

    if (figures.failed > 0) {
      wrong.push_back(fmt::format("{} of {} requests failed: {}.", figures.failed, figures.requests,
                                  joined(kind_phrases(figures.kinds))));
    }
    if (figures.slow > 0 && figures.latency_objective_ms >= 0) {
      wrong.push_back(fmt::format("{} responses were slower than the {} objective.", figures.slow,
                                  ms(figures.latency_objective_ms)));
    }
    if (figures.skew) {
      wrong.push_back(figures.skew_clause() + ".");
    }
    const auto crashes = crashed(run);
    wrong.insert(wrong.end(), crashes.begin(), crashes.end());
    // A backend the faults hit that the load balancer never took out, while
    // requests failed or it was down.
    const journal::Service& lb = target_service(run);
    if (!lb.name.empty() && (figures.failed > 0 || !crashes.empty())) {
      const auto hit = hit_backends(run, lb);
      for (const auto& m : figures.moves) {
        if (std::find(hit.begin(), hit.end(), m.backend) == hit.end() ||
            marked_down_at(run, m.backend, Span::run)) {
          continue;
        }
        if (crash_of(run, m.backend) != nullptr) {
          wrong.push_back(
              fmt::format("No health check took {} out after it crashed: requests kept going to it "
                          "and failed.",
                          m.backend));
        } else if (m.during > 0) {
          wrong.push_back(
              fmt::format("No health check took {} out: it kept {} of the {} while the fault was in "
                          "force.",
                          m.backend, pct(m.during), m.answered ? "answers" : "traffic"));
        }
      }
    }
    if (run.breached && !analysis.recovered_s && run.outcome != Outcome::passed) {
      wrong.push_back(capitalised(not_recovered_phrase(run)) + ".");
    }

    if (figures.skew && figures.failed == 0 && figures.skew->moved() > 0) {
      lucky.push_back(
          fmt::format("{} took {} of the load without a failed request at the {:g} requests/s of "
                      "this run (configured); the run does not show how much more it could take.",
                      figures.skew->backend, pct(figures.skew->during), run.load.rate));
    }
    if (run.breached && run.outcome != Outcome::passed && !run.injected.empty()) {
      lucky.push_back(fmt::format(
          "The change was reverted on the experiment's schedule, {} after it was made. In a real incident it "
          "stays until someone finds it, so users would have been hurt for longer than the {} of this run.",
          human_duration(analysis.last_revert_s.value_or(0) - analysis.first_inject_s.value_or(0)),
          human_duration(run.inc_end - run.inc_start)));
    }
  }
  view["lessons_well"] = well;
  view["lessons_wrong"] = wrong;
  view["lessons_lucky"] = lucky;
  view["has_lessons"] = !well.empty() || !wrong.empty() || !lucky.empty();
}

}  // namespace faultline::reporters::postmortem
