#include "harness/runner/summary.h"

#include <fmt/format.h>

namespace faultline::runner {

std::string render_summary(const nlohmann::ordered_json& j) {
  std::string out;
  out += fmt::format("\n{} — run {} {}\n", j["experiment"].value("title", ""), j.value("run_id", ""),
                     j.value("status", ""));
  if (!j["error"].is_null()) {
    out += fmt::format("  {}\n", j["error"].get<std::string>());
  }
  const auto& phases = j.value("phases", nlohmann::ordered_json::array());
  if (!phases.empty()) {
    out += fmt::format("\n  {:<28} {:>13} {:>9} {:>8} {:>10}  {}\n", "phase", "time", "requests", "errors",
                       "p99", "backend shares");
    for (const auto& p : phases) {
      uint64_t total = 0;
      for (const auto& [name, n] : p["backends"].items()) {
        total += n.get<uint64_t>();
      }
      std::string shares;
      for (const auto& [name, n] : p["backends"].items()) {
        shares += fmt::format("{} {:.0f}%  ", name, total ? 100.0 * n.get<double>() / double(total) : 0.0);
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
  if (!a["time_to_detect_s"].is_null()) {
    out += fmt::format("\n  time to detect: {:.1f}s", a["time_to_detect_s"].get<double>());
    if (!a["time_to_recover_s"].is_null()) {
      out += fmt::format("   time to recover: {:.1f}s", a["time_to_recover_s"].get<double>());
    }
    out += fmt::format("   in breach: {:.1f}s", a.value("total_breach_s", 0.0));
    out +=
        fmt::format("   users affected: {:.1f}%\n", 100.0 * a["impact"].value("users_affected_share", 0.0));
  }
  if (a.contains("error_budget") && !a["error_budget"].is_null()) {
    const auto& b = a["error_budget"];
    out += fmt::format("  error budget (target {:g}%): {:.0f}% consumed ({} of {:.1f} allowed failures)\n",
                       100.0 * b.value("target", 0.0), 100.0 * b.value("consumed", 0.0), b.value("failed", 0),
                       b.value("allowed", 0.0));
  }
  const auto& load = j["load"];
  const uint64_t requests = load.value("requests", uint64_t{0});
  const uint64_t late = load.value("late_sends", uint64_t{0});
  const uint64_t dropped = load.value("expired_unsent", uint64_t{0});
  if (requests > 0 && late + dropped > requests / 100) {
    // Latency still counts from the intended time, so the figures stay
    // honest, but the offered load was not the one asked for.
    out += fmt::format(
        "\n  warning: the load generator did not keep the rate: {} of {} requests ({:.1f}%) were sent more "
        "than {:g} ms late (p99 {:.1f} ms), {} never went out\n",
        late, requests, 100.0 * double(late) / double(requests), load.value("late_threshold_ms", 0.0),
        load.value("send_lateness_p99_ms", 0.0), dropped);
  }
  if (j.value("status", "") != "completed") {
    out += fmt::format("\n  expect {}: not judged (the run {})\n", j.value("expect", ""),
                       j.value("status", "") == "steady_state_failed" ? "stopped at the steady-state gate"
                                                                      : "did not complete");
    return out;
  }
  const bool met = j.value("expectation_met", false);
  out += fmt::format("\n  expect {}: {}\n", j.value("expect", ""), met ? "MET" : "NOT MET");
  return out;
}

}  // namespace faultline::runner
