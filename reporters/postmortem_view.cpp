#include "reporters/postmortem_view.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "reporters/time_format.h"

namespace faultline::reporters {

namespace {

using json = nlohmann::ordered_json;

// Reads the journal defensively: a hand-edited or older journal with a
// field missing renders with that part left out, never a crash.
double num(const json& j, const char* key, double fallback = 0) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : fallback;
}
bool has_num(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number();
}
std::string str(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}
const json& sub(const json& j, const char* key, const json& fallback) {
  return j.is_object() && j.contains(key) && j[key].type() == fallback.type() ? j[key] : fallback;
}
uint64_t count_of(const json& v) {
  // Converting a negative or too large double is undefined: 0, or saturate.
  const double d = v.is_number() ? v.get<double>() : 0;
  return d > 0 ? (d < 0x1p64 ? static_cast<uint64_t>(d) : UINT64_MAX) : 0;
}

const json& empty_object() {
  static const json o = json::object();
  return o;
}
const json& empty_array() {
  static const json a = json::array();
  return a;
}

std::string pct(double fraction) {
  const double p = fraction * 100;
  if (p == 0) {
    return "0%";
  }
  // The thresholds compare the value as it will print, so 9.99 reads
  // "10%" like its neighbours, not "10.0%".
  if (std::round(p * 100) / 100 < 0.1) {
    return fmt::format("{:.2f}%", p);
  }
  if (std::round(p * 10) / 10 < 10) {
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

std::string capitalised(std::string s) {
  if (!s.empty()) {
    s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  }
  return s;
}

// Requests of a phase that no backend answered: the load balancer's own
// errors (no server, connection refused) and timeouts.
constexpr const char* kNoBackend = "(no backend)";

// Each backend's share of a phase's requests. The denominator is every
// request, so a backend sent traffic it never answered does not look
// idle; what no backend answered is under kNoBackend.
std::map<std::string, double> phase_shares(const json& phase) {
  const json& b = sub(phase, "backends", empty_object());
  uint64_t answered = 0;
  for (const auto& [name, n] : b.items()) {
    answered += count_of(n);
  }
  const uint64_t requests = std::max<uint64_t>(answered, static_cast<uint64_t>(num(phase, "requests")));
  std::map<std::string, double> out;
  if (requests == 0) {
    return out;
  }
  for (const auto& [name, n] : b.items()) {
    out[name] = double(count_of(n)) / double(requests);
  }
  if (requests > answered) {
    out[kNoBackend] = double(requests - answered) / double(requests);
  }
  return out;
}

std::string joined(const std::vector<std::string>& parts, const char* last_sep = " and ") {
  if (parts.empty()) {
    return {};
  }
  if (parts.size() == 1) {
    return parts[0];
  }
  std::vector<std::string> head(parts.begin(), parts.end() - 1);
  return fmt::format("{}{}{}", fmt::join(head, ", "), last_sep, parts.back());
}

std::string plural(uint64_t n, const std::string& one, const std::string& many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

// Readers of a postmortem know "502 Bad Gateway" better than a bare code.
std::string reason(int code) {
  switch (code) {
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return {};
  }
}

// Transport error classes from the load generator, as a reader would say them.
std::string transport_phrase(const std::string& kind, uint64_t n) {
  if (kind == "response_timeout") {
    return plural(n, "response timeout", "response timeouts");
  }
  if (kind == "connect_timeout") {
    return plural(n, "connection timeout", "connection timeouts");
  }
  if (kind == "connect_refused") {
    return plural(n, "refused connection", "refused connections");
  }
  if (kind == "reset") {
    return plural(n, "connection reset", "connection resets");
  }
  return plural(n, "other transport error", "other transport errors");
}

// The kind alone, for "all of them HTTP 503 (Service Unavailable)".
std::string kind_name(const std::string& kind) {
  if (!kind.empty() && std::isdigit(static_cast<unsigned char>(kind[0]))) {
    const std::string why = reason(std::atoi(kind.c_str()));
    return fmt::format("HTTP {}{}", kind, why.empty() ? "" : " " + why);
  }
  const std::string many = transport_phrase(kind, 2);
  return many.substr(many.find(' ') + 1);
}

// An error kind is an HTTP status ("503") or a transport error class
// ("response_timeout"); both read as a count of things users got.
std::string kind_phrase(const std::string& kind, uint64_t n) {
  if (!kind.empty() && std::isdigit(static_cast<unsigned char>(kind[0]))) {
    const std::string why = reason(std::atoi(kind.c_str()));
    return fmt::format("{} HTTP {}{} {}", n, kind, why.empty() ? "" : " (" + why + ")",
                       n == 1 ? "response" : "responses");
  }
  return transport_phrase(kind, n);
}

// Failed requests by kind, largest first: 5xx statuses and transport errors
// are what the load generator counts as failures.
std::vector<std::pair<std::string, uint64_t>> error_kinds(const json& statuses, const json& transport) {
  std::vector<std::pair<std::string, uint64_t>> kinds;
  for (const auto& [code, n] : statuses.items()) {
    if (std::atoi(code.c_str()) >= 500 && count_of(n) > 0) {
      kinds.emplace_back(code, count_of(n));
    }
  }
  for (const auto& [cls, n] : transport.items()) {
    if (count_of(n) > 0) {
      kinds.emplace_back(cls, count_of(n));
    }
  }
  std::stable_sort(kinds.begin(), kinds.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return kinds;
}

std::vector<std::string> kind_phrases(const std::vector<std::pair<std::string, uint64_t>>& kinds) {
  std::vector<std::string> out;
  for (const auto& [kind, n] : kinds) {
    out.push_back(kind_phrase(kind, n));
  }
  return out;
}

struct Clock {
  int64_t start_epoch_ms;
  std::string zone;
  std::string at(double t, const char* format = "%H:%M:%S") const {
    return format_in_zone(start_epoch_ms + static_cast<int64_t>(std::llround(t * 1000)), zone, format);
  }
  std::string full(double t) const { return at(t, "%Y-%m-%d %H:%M:%S %Z"); }
  std::string date(double t) const { return at(t, "%Y-%m-%d"); }
};

std::string offset(double t) {
  return fmt::format("t+{:.1f} s", t);
}

// What kind of document this run deserves: an incident postmortem, a passed
// regression test, or a report of a run that stopped before it could tell.
enum class Outcome { incident, regression, passed, not_reproduced, aborted, gate, interrupted, failed };

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::incident:
      return "incident";
    case Outcome::regression:
      return "regression";
    case Outcome::passed:
      return "passed";
    case Outcome::not_reproduced:
      return "not_reproduced";
    case Outcome::aborted:
      return "aborted";
    case Outcome::gate:
      return "steady_state_failed";
    case Outcome::interrupted:
      return "interrupted";
    case Outcome::failed:
      return "failed";
  }
  return "incident";
}

struct Fault {
  int number;
  const json* activity;
  bool injected() const { return has_num(*activity, "injected_s"); }
  double injected_s() const { return num(*activity, "injected_s"); }
};

// "the fault" when there was one, "fault 2" when the reader must tell them apart.
std::string fault_label(const Fault& f, size_t total) {
  return total > 1 ? fmt::format("fault {}", f.number) : std::string("the fault");
}
std::string fault_title(const Fault& f, size_t total) {
  return total > 1 ? fmt::format("Fault {}", f.number) : std::string("Fault");
}

}  // namespace

json postmortem_view(const json& j) {
  json view;
  const json& exp = sub(j, "experiment", empty_object());
  const json& pm = sub(j, "postmortem", empty_object());
  const json& analysis = sub(j, "analysis", empty_object());
  const json& impact = sub(analysis, "impact", empty_object());
  const json& start = sub(j, "start", empty_object());
  const json& slo = sub(j, "slo", empty_object());
  const json& load = sub(j, "load", empty_object());
  const json& windows = sub(j, "windows", empty_array());
  const json& phases = sub(j, "phases", empty_array());
  const json& activities = sub(j, "activities", empty_array());
  const json& objectives_in = sub(slo, "objectives", empty_array());

  Clock clock{static_cast<int64_t>(num(start, "epoch_ms")),
              str(j, "timezone").empty() ? "UTC" : str(j, "timezone")};
  const double run_end = num(sub(j, "end", empty_object()), "t");
  const double window_s = num(slo, "window_s");

  const std::string service =
      str(pm, "service").empty() ? std::string("the service under test") : str(pm, "service");
  view["title"] = str(exp, "title");
  view["description"] = str(exp, "description").empty() ? json(nullptr) : json(str(exp, "description"));
  view["run_id"] = str(j, "run_id");
  view["timezone"] = clock.zone;
  view["generated"] = clock.full(0);
  view["service"] = service;
  view["source_file"] = str(exp, "source_file");

  std::vector<Fault> faults;
  for (const auto& a : activities) {
    faults.push_back({static_cast<int>(faults.size()) + 1, &a});
  }
  std::vector<const Fault*> injected;
  for (const auto& f : faults) {
    if (f.injected()) {
      injected.push_back(&f);
    }
  }

  // --- What kind of run this was ---------------------------------------------------------
  const std::string status = str(j, "status");
  const std::string expect = str(j, "expect");
  const bool met = j.value("expectation_met", false);
  bool breached = has_num(analysis, "first_breach_s");
  for (const auto& o : objectives_in) {
    breached = breached || o.value("breached", false);
  }
  Outcome outcome = Outcome::incident;
  if (status == "steady_state_failed") {
    outcome = Outcome::gate;
  } else if (status == "aborted") {
    outcome = Outcome::aborted;
  } else if (status == "interrupted") {
    outcome = Outcome::interrupted;
  } else if (!status.empty() && status != "completed") {
    outcome = Outcome::failed;
  } else if (expect == "hold") {
    outcome = breached ? Outcome::regression : Outcome::passed;
  } else {
    outcome = breached ? Outcome::incident : Outcome::not_reproduced;
  }
  view["outcome"] = outcome_name(outcome);
  // People were only paged and misled when users were hurt; a passed test or
  // a run stopped at the gate has no investigation to tell.
  view["is_incident"] = breached && outcome != Outcome::passed && outcome != Outcome::gate;
  view["heading"] = outcome == Outcome::passed ? "Regression test passed"
                    : outcome == Outcome::gate ? "Experiment stopped at the steady-state gate"
                                               : "Postmortem";

  if (status != "completed") {
    view["run_problem"] = fmt::format(
        "This run did not complete ({}): {}. The figures below cover only what was "
        "measured before it stopped.",
        status, str(j, "error"));
  }

  // --- Measured impact ---------------------------------------------------------------------
  const bool fault_ran = has_num(analysis, "first_inject_s") || !injected.empty();
  const double inc_start = has_num(impact, "start_s") ? num(impact, "start_s") : 0.0;
  const double inc_end = has_num(impact, "end_s") ? num(impact, "end_s") : run_end;
  const bool same_day = clock.date(inc_start) == clock.date(inc_end);
  view["duration"] = fmt::format("{} to {}, {}", clock.full(inc_start),
                                 clock.at(inc_end, same_day ? "%H:%M:%S %Z" : "%Y-%m-%d %H:%M:%S %Z"),
                                 human_duration(inc_end - inc_start));
  view["duration_basis"] = !fault_ran                   ? "the whole run; no fault was injected"
                           : outcome == Outcome::passed ? "from the first fault injected to the last revert"
                           : !has_num(analysis, "recovered_s") && has_num(analysis, "first_breach_s")
                               ? "from the first fault injected to the end of the run: the SLOs had not "
                                 "recovered"
                               : "from the first fault injected to the end of the last "
                                 "SLO breach or revert";

  double baseline_p99 = -1;
  for (const auto& p : phases) {
    if (str(p, "kind") == "baseline" && has_num(p, "p99_ms")) {
      baseline_p99 = num(p, "p99_ms");
    }
  }

  std::vector<std::string> impact_lines;
  const auto requests = static_cast<uint64_t>(num(impact, "requests"));
  const auto failed = static_cast<uint64_t>(num(impact, "failed"));
  const auto kinds =
      error_kinds(sub(impact, "statuses", empty_object()), sub(impact, "transport_errors", empty_object()));
  const double peak_p99 = num(impact, "peak_p99_ms");
  if (requests > 0) {
    impact_lines.push_back(fmt::format("{} of requests failed ({} of {}) between {} and {}.",
                                       pct(num(impact, "failed_share")), failed, requests,
                                       clock.at(inc_start), clock.at(inc_end)));
    const auto users_seen = static_cast<uint64_t>(num(impact, "users_seen"));
    const auto users_hit = static_cast<uint64_t>(num(impact, "users_affected"));
    const bool has_latency_objective = has_num(impact, "latency_objective_ms");
    const std::string slow_part = has_latency_objective ? fmt::format(" or a response slower than {}",
                                                                      ms(num(impact, "latency_objective_ms")))
                                                        : std::string();
    if (users_seen > 0) {
      impact_lines.push_back(fmt::format("{} of users ({} of {} simulated users) got at least one error{}.",
                                         pct(double(users_hit) / double(users_seen)), users_hit, users_seen,
                                         slow_part));
    }
    if (!kinds.empty()) {
      impact_lines.push_back("Users saw " + joined(kind_phrases(kinds)) + ".");
    }
    if (has_latency_objective && num(impact, "slow") > 0) {
      impact_lines.push_back(fmt::format("{} responses took longer than the {} objective.",
                                         static_cast<uint64_t>(num(impact, "slow")),
                                         ms(num(impact, "latency_objective_ms"))));
    }
    impact_lines.push_back(
        baseline_p99 >= 0 ? fmt::format("p99 latency peaked at {} in one window, against {} in the baseline.",
                                        ms(peak_p99), ms(baseline_p99))
                          : fmt::format("p99 latency peaked at {} in one window.", ms(peak_p99)));
    // Statuses below 500 are not failures to the SLOs, but users still got
    // them (a rate limit answers 429), so they belong in the impact.
    std::vector<std::string> refused;
    for (const auto& [code, n] : sub(impact, "statuses", empty_object()).items()) {
      const int c = std::atoi(code.c_str());
      if (c >= 400 && c < 500 && count_of(n) > 0) {
        refused.push_back(kind_phrase(code, count_of(n)));
      }
    }
    if (!refused.empty()) {
      impact_lines.push_back(
          fmt::format("A further {} reached users; the SLOs do not count 4xx as failures.", joined(refused)));
    }
  }
  // The imbalance itself: the backend whose share moved most from the
  // baseline in a fault phase (up for a weight skew, down for a server
  // taken out or broken).
  std::map<std::string, double> baseline_shares;
  for (const auto& p : phases) {
    if (str(p, "kind") == "baseline") {
      baseline_shares = phase_shares(p);
    }
  }
  std::string skew_line;
  double skew_moved = 0;
  for (const auto& p : phases) {
    if (str(p, "kind") != "fault" || baseline_shares.empty()) {
      continue;
    }
    const auto shares = phase_shares(p);
    const auto unanswered = shares.find(kNoBackend);
    for (const auto& [name, before] : baseline_shares) {
      if (name == kNoBackend || name == "(unknown)") {
        continue;
      }
      const auto it = shares.find(name);
      const double during = it == shares.end() ? 0.0 : it->second;
      if (std::abs(during - before) <= skew_moved) {
        continue;
      }
      skew_moved = std::abs(during - before);
      // "received" only when every request reached a backend: otherwise
      // the share a backend answered is all the client can know.
      skew_line = unanswered == shares.end()
                      ? fmt::format(
                            "{} received {} of the traffic while the fault was active, against {} in "
                            "the baseline",
                            name, pct(during), pct(before))
                      : fmt::format(
                            "{} answered {} of the requests while the fault was active, against {} in "
                            "the baseline; no backend answered {} of them (the load balancer's own "
                            "errors and timeouts)",
                            name, pct(during), pct(before), pct(unanswered->second));
    }
  }
  // An even split that stayed even is no symptom worth a line.
  if (skew_moved >= 0.1) {
    impact_lines.push_back(skew_line + ".");
  }
  if (impact_lines.empty()) {
    impact_lines.push_back(outcome == Outcome::gate
                               ? "No fault was injected, so there was no incident to measure."
                               : "No requests were measured during the incident window.");
  }
  view["impact"] = impact_lines;

  // --- Root cause ---------------------------------------------------------------------------
  std::vector<std::string> causes;
  bool all_lb = true;
  for (const auto* f : injected) {
    causes.push_back(str(*f->activity, "description"));
    all_lb = all_lb && str(*f->activity, "name").rfind("lb_", 0) == 0;
  }
  std::string cause_text = str(pm, "root_cause");
  if (cause_text.empty()) {
    if (outcome == Outcome::gate) {
      cause_text =
          "No fault was injected: the stack missed its SLOs during the steady-state check, before the "
          "first fault was due.";
    } else if (causes.empty()) {
      cause_text = "No fault was injected.";
    } else if (causes.size() == 1) {
      cause_text = all_lb ? fmt::format("A load-balancer misconfiguration: {}.", causes[0])
                          : fmt::format("{}.", capitalised(causes[0]));
    } else {
      std::vector<std::string> numbered;
      for (size_t i = 0; i < causes.size(); ++i) {
        numbered.push_back(fmt::format("({}) {}", injected[i]->number, causes[i]));
      }
      cause_text =
          fmt::format("{} faults, injected in turn{}: {}.", injected.size(),
                      all_lb ? " into the load-balancer configuration" : "", fmt::join(numbered, "; "));
    }
  }
  view["root_cause"] = cause_text;

  std::string detection = str(pm, "detection");
  if (detection.empty() && has_num(analysis, "detected_s")) {
    detection = fmt::format(
        "The SLO check flagged the breach at the end of the first failing {} window, {} after "
        "the {}fault was injected.",
        human_duration(window_s), human_duration(num(analysis, "time_to_detect_s")),
        injected.size() > 1 ? "first " : "");
  }
  view["detection"] = detection.empty() ? json(nullptr) : json(detection);

  // --- Verdict -------------------------------------------------------------------------------
  switch (outcome) {
    case Outcome::incident:
      view["verdict"] =
          "The drill reproduced the incident: the SLOs were breached after the fault, as expected "
          "(`expect: breach`).";
      break;
    case Outcome::not_reproduced:
      view["verdict"] =
          "The drill did NOT reproduce the incident: no SLO was breached after the fault "
          "(`expect: breach`).";
      break;
    case Outcome::passed:
      view["verdict"] = "Regression test passed: every SLO held with the fault active (`expect: hold`).";
      break;
    case Outcome::regression:
      view["verdict"] =
          "Regression test failed: the SLOs were breached although they were expected to hold "
          "(`expect: hold`).";
      break;
    case Outcome::aborted:
      view["verdict"] = breached
                            ? "Inconclusive: the SLOs were breached, but the run was aborted by its safety "
                              "condition before the timeline finished, so recovery was not measured."
                            : "Inconclusive: the run was aborted by its safety condition.";
      break;
    case Outcome::gate:
      view["verdict"] =
          "No verdict: the stack did not hold its SLOs before the fault, so nothing was injected.";
      break;
    case Outcome::interrupted:
    case Outcome::failed:
      view["verdict"] = breached ? "Inconclusive: the SLOs had been breached when the run stopped early."
                                 : "Inconclusive: the run stopped before the experiment finished.";
      break;
  }
  view["expectation_met"] = met;

  // --- Timeline -------------------------------------------------------------------------------
  struct Entry {
    double t;
    int order;
    std::string kind;
    std::string text;
  };
  std::vector<Entry> entries;
  const double steady_s = num(slo, "steady_state_s");
  {
    std::string text =
        fmt::format("**Baseline load started**: {:g} requests/s to {} over {} from {}.", num(load, "rate"),
                    str(load, "target"),
                    plural(static_cast<uint64_t>(num(load, "connections")), "connection", "connections"),
                    plural(static_cast<uint64_t>(num(load, "users")), "simulated user", "simulated users"));
    if (steady_s > 0) {
      text += fmt::format(" The SLOs had to hold for {} before any fault (steady-state gate).",
                          human_duration(steady_s));
    }
    entries.push_back({0, 0, "baseline", text});
  }

  const bool stopped_early = outcome == Outcome::aborted || outcome == Outcome::interrupted ||
                             outcome == Outcome::failed || outcome == Outcome::gate;
  for (const auto& f : faults) {
    const json& a = *f.activity;
    const std::string title = fault_title(f, faults.size());
    if (f.injected()) {
      entries.push_back({f.injected_s(), 1, "fault",
                         fmt::format("**{} injected** (`{}` on {}): {}.", title, str(a, "name"),
                                     str(a, "target"), str(a, "description"))});
    }
    if (!str(a, "error").empty()) {
      entries.push_back({f.injected() ? f.injected_s() : num(a, "planned_at_s"), 2, "fault_problem",
                         fmt::format("{} ran into a problem: {}.", title, str(a, "error"))});
    }
    if (has_num(a, "reverted_s")) {
      const double planned_end = num(a, "planned_at_s") + num(a, "planned_duration_s");
      const bool early =
          stopped_early && has_num(a, "planned_duration_s") && num(a, "reverted_s") < planned_end - 0.05;
      entries.push_back({num(a, "reverted_s"), 6, "revert",
                         fmt::format("**{} reverted** (`{}` on {}) after {}{}.", title, str(a, "name"),
                                     str(a, "target"), human_duration(num(a, "reverted_s") - f.injected_s()),
                                     early ? fmt::format(", ahead of the planned {} because the run stopped",
                                                         offset(planned_end))
                                           : std::string())});
    }
  }

  // First errors per fault, from the windows: the first window overlapping
  // the fault with an error kind that was not already present just before it.
  bool first_error_from_windows = false;
  std::set<size_t> claimed;
  for (const auto* f : injected) {
    const double from = f->injected_s();
    const double until = has_num(*f->activity, "reverted_s") ? num(*f->activity, "reverted_s") : run_end;
    std::set<std::string> ongoing;
    for (const auto& w : windows) {
      if (num(w, "end_s") <= from + 1e-9) {
        ongoing.clear();
        for (const auto& [kind, n] :
             error_kinds(sub(w, "statuses", empty_object()), sub(w, "transport_errors", empty_object()))) {
          ongoing.insert(kind);
        }
      }
    }
    for (size_t i = 0; i < windows.size(); ++i) {
      const json& w = windows[i];
      if (num(w, "end_s") <= from + 1e-9 || num(w, "start_s") >= until || num(w, "errors") <= 0) {
        continue;
      }
      std::vector<std::pair<std::string, uint64_t>> fresh;
      for (const auto& k :
           error_kinds(sub(w, "statuses", empty_object()), sub(w, "transport_errors", empty_object()))) {
        if (!ongoing.count(k.first)) {
          fresh.push_back(k);
        }
      }
      if (fresh.empty()) {
        continue;
      }
      first_error_from_windows = true;
      if (claimed.insert(i).second) {
        // The first failed request's own time when it is in this window
        // (the journal keeps the first of the incident), else the window's start.
        double at = std::max(num(w, "start_s"), from);
        if (has_num(impact, "first_error_s") && num(impact, "first_error_s") >= at &&
            num(impact, "first_error_s") < num(w, "end_s")) {
          at = num(impact, "first_error_s");
        }
        entries.push_back(
            {at, 3, "first_error",
             fmt::format("**First errors after {}**: {}, out of {} requests in the window {}–{}.",
                         fault_label(*f, faults.size()), joined(kind_phrases(fresh)),
                         static_cast<uint64_t>(num(w, "requests")), offset(num(w, "start_s")),
                         offset(num(w, "end_s")))});
      }
      break;
    }
  }
  if (!first_error_from_windows && has_num(impact, "first_error_s")) {
    entries.push_back(
        {num(impact, "first_error_s"), 3, "first_error", "**First failed request** after the fault."});
  }

  if (has_num(analysis, "detected_s")) {
    const double first = num(analysis, "first_breach_s");
    std::vector<std::string> which;
    for (const auto& o : objectives_in) {
      for (const auto& b : sub(o, "breaches", empty_array())) {
        if (num(b, "start_s") <= first + 1e-9 && first < num(b, "end_s")) {
          which.push_back(fmt::format("{} (`{}`; worst {} during the breach)", str(o, "name"), str(o, "expr"),
                                      str(b, "worst_text")));
        }
      }
    }
    entries.push_back(
        {num(analysis, "detected_s"), 4, "detect",
         fmt::format("**SLO breach detected**, {} after the {}fault, at the end of the first failing "
                     "window: {}.",
                     human_duration(num(analysis, "time_to_detect_s")), injected.size() > 1 ? "first " : "",
                     joined(which))});
  }

  // Health-check transitions the load balancer logged; older journals have none.
  for (const auto& e : sub(j, "lb_events", empty_array())) {
    std::string text = str(e, "text");
    if (text.empty()) {
      text = fmt::format("{} marked {} {}", str(e, "service"), str(e, "server"), str(e, "to"));
    }
    if (!str(e, "from").empty() && !str(e, "to").empty()) {
      text += fmt::format(" ({} → {})", str(e, "from"), str(e, "to"));
    }
    entries.push_back({num(e, "t"), 4, "lb_event", fmt::format("**Health check**: {}.", text)});
  }

  // Services that crashed under the load (an app with on_overflow: crash).
  for (const auto& e : sub(j, "service_events", empty_array())) {
    entries.push_back({num(e, "t"), 4, "service_crash",
                       fmt::format("**{} crashed**: {}.", str(e, "service"), str(e, "text"))});
  }

  for (const auto& note : sub(j, "notes", empty_array())) {
    if (str(note, "source") == "operator") {
      entries.push_back({num(note, "t"), 5, "operator_note",
                         fmt::format("Operator note, typed during the run: “{}”", str(note, "text"))});
    } else {
      entries.push_back({num(note, "t"), 5, "note", fmt::format("Note: {}", str(note, "text"))});
    }
  }

  const json& abort_info = sub(j, "abort", empty_object());
  if (outcome == Outcome::aborted) {
    const double at = has_num(abort_info, "stopped_s") ? num(abort_info, "stopped_s") : run_end;
    entries.push_back(
        {at, 5, "abort",
         str(abort_info, "condition").empty()
             ? fmt::format("**Run aborted**: {}.", str(j, "error"))
             : fmt::format(
                   "**Run aborted**: the abort condition `{}` held from {} to {} (last value {}); faultline "
                   "reverted the faults and stopped the load.",
                   str(abort_info, "condition"), offset(num(abort_info, "since_s")),
                   offset(num(abort_info, "until_s")), str(abort_info, "value_text"))});
  }
  const json& gate_info = sub(j, "steady_state_failure", empty_object());
  if (outcome == Outcome::gate) {
    const double at = has_num(gate_info, "stopped_s") ? num(gate_info, "stopped_s") : run_end;
    entries.push_back(
        {at, 5, "gate",
         str(gate_info, "objective").empty()
             ? fmt::format("**Stopped at the steady-state gate**: {}.", str(j, "error"))
             : fmt::format("**Stopped at the steady-state gate**: {} (`{}`) measured {} in the window {}–{}, "
                           "before any fault; nothing was injected.",
                           str(gate_info, "objective"), str(gate_info, "expr"), str(gate_info, "value_text"),
                           offset(num(gate_info, "window_start_s")),
                           offset(num(gate_info, "window_end_s")))});
  }
  if (outcome == Outcome::interrupted || outcome == Outcome::failed) {
    entries.push_back(
        {run_end, 7, "interrupted", fmt::format("**Run stopped early**: {}.", str(j, "error"))});
  }

  if (has_num(analysis, "recovered_s")) {
    entries.push_back({num(analysis, "recovered_s"), 7, "recover",
                       fmt::format("**SLOs met again**: every objective held, {} after the revert.",
                                   human_duration(num(analysis, "time_to_recover_s")))});
  } else if (has_num(analysis, "first_breach_s") && has_num(analysis, "last_revert_s")) {
    entries.push_back({run_end, 7, "not_recovered", "The SLOs had not recovered when the load stopped."});
  }
  {
    const double ran = has_num(load, "ran_s") ? num(load, "ran_s") : run_end;
    const double planned = num(load, "duration_s");
    std::string text = planned > 0 && ran < planned - 0.05
                           ? fmt::format("**Load stopped** after {} of the planned {}", human_duration(ran),
                                         human_duration(planned))
                           : fmt::format("**Load stopped** after {}", human_duration(ran));
    if (has_num(load, "requests")) {
      text += fmt::format(" ({} requests sent)", static_cast<uint64_t>(num(load, "requests")));
    }
    // Faults stopped by a signal or an abort are reverted after the load
    // ends; the teardown is only worth a mention when nothing follows it.
    double last_revert = 0;
    for (const auto* f : injected) {
      last_revert = std::max(last_revert, num(*f->activity, "reverted_s"));
    }
    entries.push_back(
        {run_end, 8, "end", text + (last_revert <= run_end ? "; the test stack was torn down." : ".")});
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.t != b.t ? a.t < b.t : a.order < b.order; });
  json timeline = json::array();
  for (const auto& e : entries) {
    timeline.push_back(
        {{"time", clock.at(e.t)}, {"offset", offset(e.t)}, {"event", e.text}, {"kind", e.kind}});
  }
  view["timeline"] = timeline;

  // --- Summary paragraph ----------------------------------------------------------------------
  // One paragraph a reader can stop after: when, what users saw, why, and
  // how fast it was caught and cleared.
  std::vector<std::string> summary;
  const std::string when =
      fmt::format("On {}, from {} to {} {} ({})", clock.date(inc_start), clock.at(inc_start),
                  clock.at(inc_end), clock.at(inc_end, "%Z"), human_duration(inc_end - inc_start));
  std::string effect;
  if (failed > 0) {
    std::string how;
    if (kinds.size() == 1) {
      how = ", all of them " + kind_name(kinds[0].first);
    } else if (!kinds.empty()) {
      how = fmt::format(", most of them {} ({} of {})", kind_name(kinds[0].first), kinds[0].second, failed);
    }
    effect = fmt::format("{} failed {} of requests ({} of {}){}", service, pct(num(impact, "failed_share")),
                         failed, requests, how);
  } else if (!skew_line.empty()) {
    effect = fmt::format("{} answered every request, but {}", service, skew_line);
  } else if (requests > 0 && baseline_p99 > 0) {
    effect = fmt::format("{} answered every request; p99 latency peaked at {} against {} in the baseline",
                         service, ms(peak_p99), ms(baseline_p99));
  } else if (requests > 0) {
    effect = fmt::format("{} answered every request", service);
  }
  const std::string fault_clause =
      causes.size() == 1 ? fmt::format("the fault was: {}", causes[0])
                         : fmt::format("{} faults were injected (listed under Root cause)", causes.size());
  switch (outcome) {
    case Outcome::gate:
      summary.push_back(fmt::format(
          "The run stopped at the steady-state gate at {}, before any fault was injected: "
          "{}. The stack itself missed its SLOs, so there is no incident to analyse; "
          "fix the stack or the objective and run the experiment again.",
          clock.at(has_num(gate_info, "stopped_s") ? num(gate_info, "stopped_s") : run_end),
          str(gate_info, "objective").empty()
              ? str(j, "error")
              : fmt::format("objective {} (`{}`) measured {} between {} and {}", str(gate_info, "objective"),
                            str(gate_info, "expr"), str(gate_info, "value_text"),
                            offset(num(gate_info, "window_start_s")),
                            offset(num(gate_info, "window_end_s")))));
      break;
    case Outcome::passed:
      summary.push_back(
          fmt::format("This run was a regression test, and it passed. With {} active for {} ({}), every SLO "
                      "held{}. There was "
                      "no incident; the figures below show what the protection withstood.",
                      causes.size() == 1 ? "the fault" : fmt::format("{} faults", causes.size()),
                      human_duration(inc_end - inc_start), joined(causes, "; "),
                      effect.empty() ? std::string() : fmt::format(": {}", effect)));
      break;
    case Outcome::not_reproduced:
      summary.push_back(
          fmt::format("{}, {} was exposed to a fault, but no SLO was breached: the drill did not "
                      "reproduce the incident. {}.",
                      when, service, capitalised(fault_clause)));
      break;
    default: {
      if (!effect.empty() && fault_ran) {
        summary.push_back(fmt::format("{}, {}.", when, effect));
      }
      if (fault_ran) {
        summary.push_back(causes.size() == 1 ? fmt::format("The cause was a deliberate fault: {}.", causes[0])
                                             : capitalised(fault_clause) + ".");
      }
      // A crash outlives the fault that caused it: say so up front.
      std::vector<std::string> crashed;
      for (const auto& e : sub(j, "service_events", empty_array())) {
        crashed.push_back(fmt::format("{} crashed at {} ({})", str(e, "service"), clock.at(num(e, "t")),
                                      offset(num(e, "t"))));
      }
      if (!crashed.empty()) {
        summary.push_back((crashed.size() == 1 ? "Service " : "Services ") + joined(crashed) +
                          (crashed.size() == 1 ? " under the load and did not come back during the run."
                                               : " under the load; none came back during the run."));
      }
      if (has_num(analysis, "time_to_detect_s")) {
        std::string s = fmt::format("The SLO checks caught the breach {} after the first fault",
                                    human_duration(num(analysis, "time_to_detect_s")));
        if (has_num(analysis, "time_to_recover_s")) {
          s += fmt::format(", and every objective held again {} after the last revert",
                           human_duration(num(analysis, "time_to_recover_s")));
        } else if (outcome == Outcome::incident || outcome == Outcome::regression) {
          s += ", and the SLOs had not recovered when the load stopped";
        }
        summary.push_back(s + ".");
      }
      if (outcome == Outcome::regression) {
        summary.push_back(
            "The run was a regression test (`expect: hold`): the SLOs should have held, so the "
            "protection it checks did not work.");
      } else if (outcome == Outcome::aborted) {
        summary.push_back(
            str(abort_info, "condition").empty()
                ? fmt::format("The run was aborted: {}.", str(j, "error"))
                : fmt::format(
                      "The run was aborted at {} when its safety condition `{}` held ({}); the faults were "
                      "reverted early and the rest of the timeline did not run.",
                      offset(has_num(abort_info, "stopped_s") ? num(abort_info, "stopped_s") : run_end),
                      str(abort_info, "condition"), str(abort_info, "value_text")));
      } else if (outcome == Outcome::interrupted || outcome == Outcome::failed) {
        summary.push_back(
            fmt::format("The run stopped early at {} ({}); the figures cover only what was measured "
                        "until then.",
                        offset(run_end), str(j, "error")));
      }
    }
  }
  std::vector<std::string> never_run;
  for (const auto& f : faults) {
    if (!f.injected() && outcome != Outcome::gate) {
      never_run.push_back(fmt::format("{} (`{}` on {}, planned for {})", fault_label(f, faults.size()),
                                      str(*f.activity, "name"), str(*f.activity, "target"),
                                      offset(num(*f.activity, "planned_at_s"))));
    }
  }
  if (!never_run.empty()) {
    summary.push_back(fmt::format("Never injected because the run stopped first: {}.", joined(never_run)));
  }
  view["summary"] = fmt::format("{}", fmt::join(summary, " "));

  // --- Traffic per backend, per phase ---------------------------------------------------
  std::vector<std::string> backends;
  for (const auto& s : sub(sub(j, "stack", empty_object()), "services", empty_array())) {
    if (str(s, "name") == str(load, "target")) {
      for (const auto& b : sub(s, "backends", empty_array())) {
        backends.push_back(b.get<std::string>());
      }
    }
  }
  json phase_rows = json::array();
  for (const auto& p : phases) {
    const auto phase = phase_shares(p);
    std::vector<std::string> rows = backends;
    if (phase.count(kNoBackend) != 0) {
      rows.push_back(kNoBackend);
    }
    json shares = json::array();
    for (const auto& name : rows) {
      const auto it = phase.find(name);
      const double share = it == phase.end() ? 0.0 : it->second;
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
  for (const auto& o : objectives_in) {
    std::vector<std::string> spans;
    for (const auto& b : sub(o, "breaches", empty_array())) {
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
  view["window"] = human_duration(window_s);

  // --- Root cause and resolution ----------------------------------------------------------
  std::vector<std::string> resolution;
  for (const auto* f : injected) {
    const json& a = *f->activity;
    if (has_num(a, "reverted_s")) {
      const double planned_end = num(a, "planned_at_s") + num(a, "planned_duration_s");
      const bool early =
          stopped_early && has_num(a, "planned_duration_s") && num(a, "reverted_s") < planned_end - 0.05;
      resolution.push_back(fmt::format("At {} ({}) {} was reverted (`{}` on {}), {} after it was injected{}.",
                                       clock.at(num(a, "reverted_s")), offset(num(a, "reverted_s")),
                                       fault_label(*f, faults.size()), str(a, "name"), str(a, "target"),
                                       human_duration(num(a, "reverted_s") - f->injected_s()),
                                       early ? " and earlier than planned, because the run stopped" : ""));
    } else {
      resolution.push_back(fmt::format("{} (`{}` on {}) has no recorded revert; check {} by hand.",
                                       capitalised(fault_label(*f, faults.size())), str(a, "name"),
                                       str(a, "target"), str(a, "target")));
    }
  }
  if (has_num(analysis, "time_to_recover_s")) {
    resolution.push_back(fmt::format(
        "Every objective held again {} later; in total the SLOs were breached for {}.",
        human_duration(num(analysis, "time_to_recover_s")), human_duration(num(analysis, "total_breach_s"))));
  } else if (outcome == Outcome::passed) {
    resolution.push_back("The SLOs never broke, so nothing else had to be done.");
  } else if (outcome == Outcome::gate) {
    resolution.push_back("Nothing was injected, so nothing had to be reverted.");
  } else if (breached) {
    resolution.push_back(
        fmt::format("The SLOs were breached for {} in total, and had not recovered by the end of the load.",
                    human_duration(num(analysis, "total_breach_s"))));
  }
  view["resolution"] = resolution;

  // --- Measures -------------------------------------------------------------------------
  std::vector<std::string> measures;
  std::set<std::string> seen;
  for (const auto& m : sub(pm, "corrective_actions", empty_array())) {
    if (m.is_string() && seen.insert(m.get<std::string>()).second) {
      measures.push_back(m.get<std::string>());
    }
  }
  std::vector<std::string> suggested;
  for (const auto& a : activities) {
    for (const auto& m : sub(a, "suggested_measures", empty_array())) {
      if (m.is_string() && seen.insert(m.get<std::string>()).second) {
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
