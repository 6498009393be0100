#include "reporters/postmortem_view.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "reporters/time_format.h"

namespace faultline::reporters {

namespace {

using json = nlohmann::ordered_json;

// Reads the journal defensively: a hand-edited or older journal with a
// field missing renders with that part left out, never a crash.
double num(const json& j, const char* key, double fallback = 0) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : fallback;
}
bool has_num(const json& j, const char* key) {
  return j.contains(key) && j[key].is_number();
}
std::string str(const json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

std::string pct(double fraction) {
  const double p = fraction * 100;
  if (p == 0) {
    return "0%";
  }
  if (p < 0.1) {
    return fmt::format("{:.2f}%", p);
  }
  if (p < 10) {
    return fmt::format("{:.1f}%", p);
  }
  return fmt::format("{:.0f}%", p);
}

std::string ms(double v) {
  if (v < 10) {
    return fmt::format("{:.1f} ms", v);
  }
  return fmt::format("{:.0f} ms", v);
}

std::string status_phrase(const json& statuses, bool errors_only) {
  std::vector<std::string> parts;
  for (const auto& [code, count] : statuses.items()) {
    const int c = std::atoi(code.c_str());
    if (errors_only && c < 500) {
      continue;
    }
    parts.push_back(fmt::format("{} × HTTP {}", count.get<uint64_t>(), code));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

struct Clock {
  int64_t start_epoch_ms;
  std::string zone;
  std::string at(double t, const char* format = "%H:%M:%S") const {
    return format_in_zone(start_epoch_ms + static_cast<int64_t>(std::llround(t * 1000)), zone, format);
  }
  std::string full(double t) const { return at(t, "%Y-%m-%d %H:%M:%S %Z"); }
};

std::string offset(double t) {
  return fmt::format("t+{:.1f} s", t);
}

}  // namespace

json postmortem_view(const json& j) {
  json view;
  const json& exp = j.value("experiment", json::object());
  const json& pm = j.value("postmortem", json::object());
  const json& analysis = j.value("analysis", json::object());
  const json& impact = analysis.value("impact", json::object());
  const json& start = j.value("start", json::object());

  Clock clock{static_cast<int64_t>(num(start, "epoch_ms")),
              str(j, "timezone").empty() ? "UTC" : str(j, "timezone")};
  const double run_end = num(j.value("end", json::object()), "t");

  view["title"] = str(exp, "title");
  view["description"] = str(exp, "description").empty() ? json(nullptr) : json(str(exp, "description"));
  view["run_id"] = str(j, "run_id");
  view["timezone"] = clock.zone;
  view["generated"] = clock.full(0);
  view["service"] = str(pm, "service").empty() ? std::string("the service under test") : str(pm, "service");
  view["source_file"] = str(exp, "source_file");

  // Status of the run itself, when it did not complete.
  const std::string status = str(j, "status");
  if (status != "completed") {
    view["run_problem"] = fmt::format(
        "This run did not complete ({}): {}. The figures below cover only what was "
        "measured before it stopped.",
        status, str(j, "error"));
  }

  // --- Issue summary ---------------------------------------------------------------
  const json& activities = j.value("activities", json::array());
  const bool fault_ran = has_num(analysis, "first_inject_s");
  const double inc_start = has_num(impact, "start_s") ? num(impact, "start_s") : 0.0;
  const double inc_end = has_num(impact, "end_s") ? num(impact, "end_s") : run_end;
  view["duration"] = fmt::format("{} to {}, {}", clock.full(inc_start), clock.at(inc_end, "%H:%M:%S %Z"),
                                 human_duration(inc_end - inc_start));
  view["duration_basis"] = fault_ran
                               ? "from the first fault injected to the end of the last SLO breach or revert"
                               : "the whole run (no fault was injected)";

  std::vector<std::string> impact_lines;
  const auto requests = static_cast<uint64_t>(num(impact, "requests"));
  const auto failed = static_cast<uint64_t>(num(impact, "failed"));
  if (requests > 0) {
    impact_lines.push_back(fmt::format("{} of requests failed during the incident ({} of {}).",
                                       pct(num(impact, "failed_share")), failed, requests));
    const auto users_seen = static_cast<uint64_t>(num(impact, "users_seen"));
    const auto users_hit = static_cast<uint64_t>(num(impact, "users_affected"));
    std::string slow_part =
        has_num(impact, "latency_objective_ms")
            ? fmt::format(" or a response slower than {}", ms(num(impact, "latency_objective_ms")))
            : std::string();
    impact_lines.push_back(fmt::format("{} of users ({} of {}) saw at least one error{}.",
                                       pct(users_seen ? double(users_hit) / double(users_seen) : 0),
                                       users_hit, users_seen, slow_part));
    impact_lines.push_back(
        fmt::format("p99 latency peaked at {} in one window.", ms(num(impact, "peak_p99_ms"))));
    const std::string codes = status_phrase(impact.value("statuses", json::object()), true);
    std::vector<std::string> transport;
    const json transport_errors = impact.value("transport_errors", json::object());
    for (const auto& [cls, n] : transport_errors.items()) {
      transport.push_back(fmt::format("{} × {}", n.get<uint64_t>(), cls));
    }
    if (!codes.empty() || !transport.empty()) {
      std::string symptoms = codes;
      if (!transport.empty()) {
        symptoms += (symptoms.empty() ? "" : "; ") + fmt::format("{}", fmt::join(transport, ", "));
      }
      impact_lines.push_back("Errors users saw: " + symptoms + ".");
    }
  }
  // The imbalance itself, from the phase with the most skewed traffic.
  const json& phases = j.value("phases", json::array());
  std::string skew_line;
  double worst_share = 0;
  for (const auto& p : phases) {
    if (str(p, "kind") != "fault") {
      continue;
    }
    const json& b = p.value("backends", json::object());
    uint64_t total = 0;
    for (const auto& [name, n] : b.items()) {
      total += n.get<uint64_t>();
    }
    for (const auto& [name, n] : b.items()) {
      const double share = total ? double(n.get<uint64_t>()) / double(total) : 0;
      if (share > worst_share) {
        worst_share = share;
        skew_line =
            fmt::format("{} received {} of the traffic while the fault was active.", name, pct(share));
      }
    }
  }
  if (!skew_line.empty()) {
    impact_lines.push_back(skew_line);
  }
  if (impact_lines.empty()) {
    impact_lines.push_back("No requests were measured during the incident window.");
  }
  view["impact"] = impact_lines;

  std::vector<std::string> causes;
  for (const auto& a : activities) {
    if (str(a, "status") != "not run") {
      causes.push_back(str(a, "description"));
    }
  }
  std::string cause_text = str(pm, "root_cause");
  if (cause_text.empty()) {
    cause_text = causes.empty()
                     ? std::string("No fault was injected.")
                     : fmt::format("A load-balancer misconfiguration: {}.", fmt::join(causes, "; "));
    cause_text[0] = static_cast<char>(std::toupper(cause_text[0]));
  }
  view["root_cause"] = cause_text;
  view["detection"] = str(pm, "detection").empty() ? json(nullptr) : json(str(pm, "detection"));

  // --- Verdict ------------------------------------------------------------------------
  const std::string expect = str(j, "expect");
  const bool met = j.value("expectation_met", false);
  if (expect == "breach") {
    view["verdict"] =
        met ? "The drill reproduced the incident: the SLOs were breached after the fault, as expected "
              "(`expect: breach`)."
            : "The drill did NOT reproduce the incident: no SLO was breached after the fault "
              "(`expect: breach`).";
  } else {
    view["verdict"] = met ? "The SLOs held throughout, despite the fault: the corrective measures are proven "
                            "(`expect: hold`)."
                          : "The SLOs were breached although they were expected to hold (`expect: hold`).";
  }
  view["expectation_met"] = met;

  // --- Timeline -----------------------------------------------------------------------
  struct Entry {
    double t;
    int order;
    std::string text;
  };
  std::vector<Entry> entries;
  const json& load = j.value("load", json::object());
  entries.push_back(
      {0, 0,
       fmt::format("Load starts: {:g} requests/s to {} over {} connections from {} virtual users.",
                   num(load, "rate"), str(load, "target"), num(load, "connections"), num(load, "users"))});
  int n = 0;
  for (const auto& a : activities) {
    ++n;
    if (has_num(a, "injected_s")) {
      entries.push_back({num(a, "injected_s"), 1,
                         fmt::format("**Fault {} injected** ({} on {}): {}.", n, str(a, "name"),
                                     str(a, "target"), str(a, "description"))});
    }
    if (!str(a, "error").empty()) {
      entries.push_back({num(a, "injected_s"), 2, fmt::format("Fault {} problem: {}.", n, str(a, "error"))});
    }
    if (has_num(a, "reverted_s")) {
      entries.push_back(
          {num(a, "reverted_s"), 6, fmt::format("**Fault {} reverted**: the configuration is restored.", n)});
    }
  }
  if (has_num(impact, "first_error_s")) {
    entries.push_back({num(impact, "first_error_s"), 3, "First failed request after the change."});
  }
  if (has_num(analysis, "detected_s")) {
    const double first = num(analysis, "first_breach_s");
    std::vector<std::string> which;
    for (const auto& o : j["slo"].value("objectives", json::array())) {
      for (const auto& b : o.value("breaches", json::array())) {
        if (num(b, "start_s") <= first + 1e-9 && first < num(b, "end_s")) {
          which.push_back(
              fmt::format("{} (`{}`, worst {})", str(o, "name"), str(o, "expr"), str(b, "worst_text")));
        }
      }
    }
    entries.push_back(
        {num(analysis, "detected_s"), 4,
         fmt::format("**SLO breach detected** at the end of the first breaching window, {} after "
                     "the fault: {}.",
                     human_duration(num(analysis, "time_to_detect_s")), fmt::join(which, "; "))});
  }
  for (const auto& note : j.value("notes", json::array())) {
    entries.push_back({num(note, "t"), 5, fmt::format("Note: {}", str(note, "text"))});
  }
  if (has_num(analysis, "recovered_s")) {
    entries.push_back({num(analysis, "recovered_s"), 7,
                       fmt::format("**SLOs hold again**, {} after the revert.",
                                   human_duration(num(analysis, "time_to_recover_s")))});
  } else if (has_num(analysis, "first_breach_s") && has_num(analysis, "last_revert_s")) {
    entries.push_back({run_end, 7, "The SLOs had not recovered when the load ended."});
  }
  entries.push_back({run_end, 8, "Load ends; the stack is torn down."});
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.t != b.t ? a.t < b.t : a.order < b.order; });
  json timeline = json::array();
  for (const auto& e : entries) {
    timeline.push_back({{"time", clock.at(e.t)}, {"offset", offset(e.t)}, {"event", e.text}});
  }
  view["timeline"] = timeline;

  // --- Traffic per backend, per phase ---------------------------------------------------
  std::vector<std::string> backends;
  for (const auto& s : j["stack"].value("services", json::array())) {
    if (str(s, "name") == str(load, "target")) {
      for (const auto& b : s.value("backends", json::array())) {
        backends.push_back(b.get<std::string>());
      }
    }
  }
  json phase_rows = json::array();
  for (const auto& p : phases) {
    const json& b = p.value("backends", json::object());
    uint64_t total = 0;
    for (const auto& [name, c] : b.items()) {
      total += c.get<uint64_t>();
    }
    json shares = json::array();
    for (const auto& name : backends) {
      const double share = total && b.contains(name) ? double(b[name].get<uint64_t>()) / double(total) : 0.0;
      const int width = static_cast<int>(std::lround(share * 40));
      // A bar of full blocks, one per 2.5% of traffic.
      std::string bar;
      for (int i = 0; i < width; ++i) {
        bar += "\u2588";
      }
      shares.push_back({{"backend", name}, {"share", pct(share)}, {"bar", bar}});
    }
    phase_rows.push_back({
        {"name", str(p, "name")},
        {"from", clock.at(num(p, "start_s"))},
        {"to", clock.at(num(p, "end_s"))},
        {"requests", static_cast<uint64_t>(num(p, "requests"))},
        {"error_rate", pct(num(p, "error_rate"))},
        {"p50", ms(num(p, "p50_ms"))},
        {"p99", ms(num(p, "p99_ms"))},
        {"shares", shares},
    });
  }
  view["phases"] = phase_rows;
  view["has_phases"] = !phase_rows.empty();

  // --- Objectives ----------------------------------------------------------------------
  json objectives = json::array();
  for (const auto& o : j["slo"].value("objectives", json::array())) {
    std::vector<std::string> spans;
    for (const auto& b : o.value("breaches", json::array())) {
      spans.push_back(fmt::format("{}–{} (worst {})", clock.at(num(b, "start_s")), clock.at(num(b, "end_s")),
                                  str(b, "worst_text")));
    }
    objectives.push_back({{"name", str(o, "name")},
                          {"expr", str(o, "expr")},
                          {"result", o.value("breached", false) ? "breached" : "held"},
                          {"worst", str(o, "worst_text").empty() ? "–" : str(o, "worst_text")},
                          {"breaches", spans.empty() ? "none" : fmt::format("{}", fmt::join(spans, "; "))}});
  }
  view["objectives"] = objectives;
  view["window"] = human_duration(num(j["slo"], "window_s"));

  // --- Root cause and resolution ----------------------------------------------------------
  std::vector<std::string> resolution;
  for (const auto& a : activities) {
    if (has_num(a, "reverted_s")) {
      resolution.push_back(fmt::format("At {} ({}) the change was reverted ({} on {}).",
                                       clock.at(num(a, "reverted_s")), offset(num(a, "reverted_s")),
                                       str(a, "name"), str(a, "target")));
    }
  }
  if (has_num(analysis, "time_to_recover_s")) {
    resolution.push_back(fmt::format(
        "Every objective held again {} later; in total the SLOs were breached for {}.",
        human_duration(num(analysis, "time_to_recover_s")), human_duration(num(analysis, "total_breach_s"))));
  } else if (j.value("deviated", false)) {
    resolution.push_back(
        fmt::format("The SLOs were breached for {} in total, and had not recovered by the end of the load.",
                    human_duration(num(analysis, "total_breach_s"))));
  }
  view["resolution"] = resolution;

  // --- Measures -------------------------------------------------------------------------
  std::vector<std::string> measures;
  std::set<std::string> seen;
  for (const auto& m : pm.value("corrective_actions", json::array())) {
    if (seen.insert(m.get<std::string>()).second) {
      measures.push_back(m.get<std::string>());
    }
  }
  std::vector<std::string> suggested;
  for (const auto& a : activities) {
    for (const auto& m : a.value("suggested_measures", json::array())) {
      if (seen.insert(m.get<std::string>()).second) {
        suggested.push_back(m.get<std::string>());
      }
    }
  }
  view["measures"] = measures;
  view["has_measures"] = !measures.empty();
  view["suggested_measures"] = suggested;
  view["has_suggested_measures"] = !suggested.empty();
  return view;
}

}  // namespace faultline::reporters
