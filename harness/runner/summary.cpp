#include "harness/runner/summary.h"

#include <fmt/format.h>

#include <algorithm>

#include "harness/common/verdict_rule.h"

namespace faultline::runner {

namespace {

std::string phase_rows(const std::vector<journal::Phase>& phases) {
  std::string out = fmt::format("\n  {:<28} {:>13} {:>9} {:>8} {:>10}  {}\n", "phase", "time", "requests",
                                "errors", "p99", "backend shares");
  for (const auto& p : phases) {
    // Shares of every request of the phase, as the postmortem counts them:
    // what no backend answered is its own entry, not spread over the rest.
    uint64_t answered = 0;
    for (const auto& [name, n] : p.backends) {
      answered += n;
    }
    const uint64_t total = std::max<uint64_t>(answered, p.requests);
    std::string shares = total == 0 ? std::string("-") : std::string();
    for (const auto& [name, n] : p.backends) {
      shares += fmt::format("{} {:.0f}%  ", name, 100.0 * double(n) / double(total));
    }
    if (total > answered) {
      shares += fmt::format("(no backend) {:.0f}%  ", 100.0 * double(total - answered) / double(total));
    }
    out += fmt::format("  {:<28} {:>5.1f}–{:>5.1f}s {:>9} {:>7.2f}% {:>8.1f}ms  {}\n", p.name, p.start_s,
                       p.end_s, p.requests, 100.0 * p.error_rate, p.p99_ms.value_or(0), shares);
  }
  return out;
}

std::string objective_rows(const std::vector<journal::Objective>& objectives) {
  std::string out;
  for (const auto& o : objectives) {
    const bool breached = o.breached.value_or(false);
    std::string detail = "held";
    if (breached) {
      const auto& b = o.breaches;
      detail =
          fmt::format("breached in {} interval{}, first at t+{:.1f}s, worst {}", b.size(),
                      b.size() == 1 ? "" : "s", b.empty() ? 0.0 : b[0].start_s, o.worst_text.value_or(""));
    }
    out += fmt::format("  {:<5} {:<14} {:<28} {}\n", breached ? "FAIL" : "ok", o.name, o.expr, detail);
  }
  return out;
}

std::string impact_lines(const journal::Analysis& a) {
  std::string out;
  const auto& im = a.impact;
  if (im.start_s && im.end_s) {
    // The incident window and denominators of the postmortem (one
    // definition: analysis.impact), so the two never disagree.
    out += fmt::format("\n  incident: t+{:.1f}–{:.1f}s ({:.1f}s)", *im.start_s, *im.end_s,
                       *im.end_s - *im.start_s);
    if (a.time_to_detect_s) {
      out += fmt::format("   detected after {:.1f}s", *a.time_to_detect_s);
    }
    if (a.time_to_recover_s) {
      out += fmt::format("   recovered {:.1f}s after the revert", *a.time_to_recover_s);
    }
    out += fmt::format("   in breach: {:.1f}s of it\n", im.breach_s.value_or(0));
    out += fmt::format("  failed: {} of {} requests   users affected: {} of {}\n", im.failed.value_or(0),
                       im.requests.value_or(0), im.users_affected.value_or(0), im.users_seen.value_or(0));
  }
  if (const auto& b = a.error_budget) {
    out += fmt::format("  error budget (target {:g}%): {:.0f}% consumed ({} of {:.1f} allowed failures)\n",
                       100.0 * b->target, 100.0 * b->consumed, b->failed, b->allowed);
  }
  return out;
}

}  // namespace

std::string render_summary(const journal::Journal& j) {
  std::string out = fmt::format("\n{} — run {} {}\n", j.experiment.title, j.run_id, j.status);
  if (!j.not_proven.empty()) {
    // At the top: nothing below may be read as a verdict on the system.
    out += "  NOT PROVEN: the figures below say nothing about the system under test:\n";
    for (const auto& reason : j.not_proven) {
      out += fmt::format("  - {}\n", reason);
    }
  } else if (j.error) {
    out += fmt::format("  {}\n", *j.error);
  }
  if (!j.phases.empty()) {
    out += phase_rows(j.phases);
  }
  out += "\n";
  out += objective_rows(j.slo.objectives);
  out += impact_lines(j.analysis);
  if (j.load.retried > 0) {
    // Counted, not hidden: a retry hides a closed connection from the
    // figures the way a browser hides it from its user.
    out += fmt::format(
        "\n  {} requests were sent again on a fresh connection after the server closed an idle "
        "kept-alive one before answering\n",
        j.load.retried);
  }
  if (const auto& tls = j.load.tls; tls && !tls->errors.empty()) {
    // A failed handshake's reason is the one thing the error class alone
    // does not say (issue 21).
    for (const auto& [reason, n] : tls->errors) {
      out += fmt::format("\n  {} TLS handshakes failed: {}\n", n, reason);
    }
  }
  RunOutcome outcome{};
  if (j.verdict && parse_outcome(j.verdict->outcome, outcome)) {
    out += fmt::format("\n  verdict: {}\n", verdict_headline(outcome));
  }
  if (j.status != "not_proven" && j.load.delivery) {
    // A run stopped early is not called unproven, but its load may still
    // have fallen short before it stopped.
    for (const auto& p : j.load.delivery->problems) {
      out += fmt::format("\n  warning: {}\n", p);
    }
  }
  if (j.status == "not_proven") {
    out += fmt::format("\n  expect {}: not judged (the run proves nothing: see above)\n", j.expect);
    return out;
  }
  if (j.status != "completed") {
    out += fmt::format(
        "\n  expect {}: not judged (the run {})\n", j.expect,
        j.status == "steady_state_failed" ? "stopped at the steady-state gate" : "did not complete");
    return out;
  }
  out += fmt::format("\n  expect {}: {}\n", j.expect, j.expectation_met ? "MET" : "NOT MET");
  return out;
}

}  // namespace faultline::runner
