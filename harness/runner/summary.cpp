#include "harness/runner/summary.h"

#include <fmt/format.h>

#include <algorithm>

#include "harness/common/verdict_rule.h"

namespace faultline::runner {

std::string render_summary(const nlohmann::ordered_json& j) {
  std::string out;
  out += fmt::format("\n{} — run {} {}\n", j["experiment"].value("title", ""), j.value("run_id", ""),
                     j.value("status", ""));
  const auto not_proven = j.value("not_proven", nlohmann::ordered_json::array());
  if (!not_proven.empty()) {
    // At the top: nothing below may be read as a verdict on the system.
    out += "  NOT PROVEN: the figures below say nothing about the system under test:\n";
    for (const auto& reason : not_proven) {
      out += fmt::format("  - {}\n", reason.get<std::string>());
    }
  } else if (!j["error"].is_null()) {
    out += fmt::format("  {}\n", j["error"].get<std::string>());
  }
  const auto& phases = j.value("phases", nlohmann::ordered_json::array());
  if (!phases.empty()) {
    out += fmt::format("\n  {:<28} {:>13} {:>9} {:>8} {:>10}  {}\n", "phase", "time", "requests", "errors",
                       "p99", "backend shares");
    for (const auto& p : phases) {
      // Shares of every request of the phase, as the postmortem counts them:
      // what no backend answered is its own entry, not spread over the rest.
      uint64_t answered = 0;
      for (const auto& [name, n] : p["backends"].items()) {
        answered += n.get<uint64_t>();
      }
      const uint64_t total = std::max<uint64_t>(answered, p.value("requests", uint64_t{0}));
      std::string shares = total == 0 ? std::string("-") : std::string();
      for (const auto& [name, n] : p["backends"].items()) {
        shares += fmt::format("{} {:.0f}%  ", name, 100.0 * n.get<double>() / double(total));
      }
      if (total > answered) {
        shares += fmt::format("(no backend) {:.0f}%  ", 100.0 * double(total - answered) / double(total));
      }
      out += fmt::format("  {:<28} {:>5.1f}–{:>5.1f}s {:>9} {:>7.2f}% {:>8.1f}ms  {}\n", p.value("name", ""),
                         p.value("start_s", 0.0), p.value("end_s", 0.0), p.value("requests", 0),
                         100.0 * p.value("error_rate", 0.0), p.value("p99_ms", 0.0), shares);
    }
  }
  out += "\n";
  for (const auto& o : j["slo"].value("objectives", nlohmann::ordered_json::array())) {
    const bool breached = o.value("breached", false);
    std::string detail;
    if (breached) {
      const auto& b = o["breaches"];
      detail = fmt::format("breached in {} interval{}, first at t+{:.1f}s, worst {}", b.size(),
                           b.size() == 1 ? "" : "s", b[0].value("start_s", 0.0), o.value("worst_text", ""));
    } else {
      detail = "held";
    }
    out += fmt::format("  {:<5} {:<14} {:<28} {}\n", breached ? "FAIL" : "ok", o.value("name", ""),
                       o.value("expr", ""), detail);
  }
  const auto& a = j["analysis"];
  const auto& im = a.value("impact", nlohmann::ordered_json::object());
  if (im.value("start_s", nlohmann::ordered_json()).is_number() &&
      im.value("end_s", nlohmann::ordered_json()).is_number()) {
    // The incident window and denominators of the postmortem (one
    // definition: analysis.impact), so the two never disagree.
    const double from = im["start_s"].get<double>();
    const double to = im["end_s"].get<double>();
    out += fmt::format("\n  incident: t+{:.1f}–{:.1f}s ({:.1f}s)", from, to, to - from);
    if (!a["time_to_detect_s"].is_null()) {
      out += fmt::format("   detected after {:.1f}s", a["time_to_detect_s"].get<double>());
    }
    if (!a["time_to_recover_s"].is_null()) {
      out += fmt::format("   recovered {:.1f}s after the revert", a["time_to_recover_s"].get<double>());
    }
    out += fmt::format("   in breach: {:.1f}s of it\n", im.value("breach_s", 0.0));
    out += fmt::format("  failed: {} of {} requests   users affected: {} of {}\n", im.value("failed", 0),
                       im.value("requests", 0), im.value("users_affected", 0), im.value("users_seen", 0));
  }
  if (a.contains("error_budget") && !a["error_budget"].is_null()) {
    const auto& b = a["error_budget"];
    out += fmt::format("  error budget (target {:g}%): {:.0f}% consumed ({} of {:.1f} allowed failures)\n",
                       100.0 * b.value("target", 0.0), 100.0 * b.value("consumed", 0.0), b.value("failed", 0),
                       b.value("allowed", 0.0));
  }
  const auto& load = j["load"];
  if (load.value("retried", uint64_t{0}) > 0) {
    // Counted, not hidden: a retry hides a closed connection from the
    // figures the way a browser hides it from its user.
    out += fmt::format(
        "\n  {} requests were sent again on a fresh connection after the server closed an idle "
        "kept-alive one before answering\n",
        load.value("retried", uint64_t{0}));
  }
  const std::string status = j.value("status", "");
  RunOutcome outcome{};
  const auto& verdict = j.value("verdict", nlohmann::ordered_json::object());
  if (verdict.value("outcome", nlohmann::ordered_json()).is_string() &&
      parse_outcome(verdict["outcome"].get<std::string>(), outcome)) {
    out += fmt::format("\n  verdict: {}\n", verdict_headline(outcome));
  }
  if (status != "not_proven") {
    // A run stopped early is not called unproven, but its load may still
    // have fallen short before it stopped.
    const auto& delivery = j["load"].value("delivery", nlohmann::ordered_json::object());
    for (const auto& p : delivery.value("problems", nlohmann::ordered_json::array())) {
      out += fmt::format("\n  warning: {}\n", p.get<std::string>());
    }
  }
  if (status == "not_proven") {
    out +=
        fmt::format("\n  expect {}: not judged (the run proves nothing: see above)\n", j.value("expect", ""));
    return out;
  }
  if (status != "completed") {
    out += fmt::format(
        "\n  expect {}: not judged (the run {})\n", j.value("expect", ""),
        status == "steady_state_failed" ? "stopped at the steady-state gate" : "did not complete");
    return out;
  }
  const bool met = j.value("expectation_met", false);
  out += fmt::format("\n  expect {}: {}\n", j.value("expect", ""), met ? "MET" : "NOT MET");
  return out;
}

}  // namespace faultline::runner
