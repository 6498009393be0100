#pragma once

// What the files of the postmortem view share (postmortem_view.cpp
// assembles the view from the sections in the other postmortem_*.cpp).
// Private to them: nothing else includes this.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/common/verdict_rule.h"
#include "reporters/harness_failure.h"
#include "reporters/number_cast.h"
#include "reporters/number_text.h"

namespace faultline::reporters::postmortem {

using json = nlohmann::ordered_json;

// Reads the journal defensively: a hand-edited or older journal with a
// field missing renders with that part left out, never a crash.
inline double num(const json& j, const char* key, double fallback = 0) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : fallback;
}
inline bool has_num(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number();
}
inline std::string str(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}
inline const json& sub(const json& j, const char* key, const json& fallback) {
  return j.is_object() && j.contains(key) && j[key].type() == fallback.type() ? j[key] : fallback;
}
// A count field of the journal (requests, users), saturated: see number_cast.h.
inline uint64_t count_at(const json& j, const char* key) {
  return saturating_u64(num(j, key));
}
inline const json& empty_object() {
  static const json o = json::object();
  return o;
}
inline const json& empty_array() {
  static const json a = json::array();
  return a;
}

inline std::string pct(double fraction) {
  return percent_text(fraction, PercentStyle::prose);
}
inline std::string ms(double v) {
  return milliseconds_text(v);
}

// --- Wording (postmortem_wording.cpp) ---------------------------------------------------

std::string capitalised(std::string s);
std::string joined(const std::vector<std::string>& parts, const char* last_sep = " and ");
std::string plural(uint64_t n, const std::string& one, const std::string& many);
// "t+12.5 s"
std::string offset(double t);

// An error kind is an HTTP status ("503") or a transport error class
// ("response_timeout"). kind_name: "HTTP 503 Service Unavailable";
// kind_phrase: "12 HTTP 503 (Service Unavailable) responses".
std::string kind_name(const std::string& kind);
std::string kind_phrase(const std::string& kind, uint64_t n);
std::vector<std::string> kind_phrases(const std::vector<std::pair<std::string, uint64_t>>& kinds);

// Failed requests by kind, largest first: 5xx statuses and transport errors
// are what the load generator counts as failures.
std::vector<std::pair<std::string, uint64_t>> error_kinds(const json& statuses, const json& transport);

// Instants of the run (seconds since load start) as wall-clock time in the
// experiment's zone.
struct Clock {
  int64_t start_epoch_ms;
  std::string zone;
  std::string at(double t, const char* format = "%H:%M:%S") const;
  std::string full(double t) const { return at(t, "%Y-%m-%d %H:%M:%S %Z"); }
  std::string date(double t) const { return at(t, "%Y-%m-%d"); }
};

// --- The run (postmortem_view.cpp) --------------------------------------------------------

// What kind of document this run deserves: an incident postmortem, a passed
// regression test, or a report of a run that stopped before it could tell
// or proves nothing. The one verdict rule of harness/common/verdict_rule.h.
using Outcome = RunOutcome;

struct Fault {
  int number;
  const json* activity;
  bool injected() const { return has_num(*activity, "injected_s"); }
  double injected_s() const { return num(*activity, "injected_s"); }
};

// When the SLOs were still in breach at the end: "the SLOs had not recovered
// when the load stopped", or, when the load ended too soon after the revert
// to judge, "recovery was not observed: the load ended 2 s after the revert
// (judging recovery needs 3 s)".
struct Run;
std::string not_recovered_phrase(const Run& run);

// "the fault" when there was one, "fault 2" when the reader must tell them apart.
std::string fault_label(const Fault& f, size_t total);
std::string fault_title(const Fault& f, size_t total);

// The journal's parts and what every section works out from them alike.
// It points into the journal (and `injected` into `faults`), so it is
// neither copied nor moved, and must not outlive the journal.
struct Run {
  explicit Run(const json& journal);
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  const json& j;
  const json& exp;
  const json& pm;
  const json& analysis;
  const json& impact;
  const json& slo;
  const json& load;
  const json& windows;
  const json& phases;
  const json& activities;
  const json& objectives;
  const json& abort_info;
  const json& gate_info;

  Clock clock;
  double run_end;
  double window_s;
  std::string service;
  std::vector<Fault> faults;
  std::vector<const Fault*> injected;
  // The description of each injected fault, in order.
  std::vector<std::string> causes;

  std::string status;
  // What the verdict counts as a breach: after the first fault was in force
  // for a drill, anywhere in the run for a regression test.
  bool breached;
  Outcome outcome;
  // Why the run proves nothing (journal not_proven); empty otherwise.
  std::vector<std::string> not_proven;
  // How the load fell short of the experiment's (journal load.delivery).
  std::vector<std::string> load_problems;
  // Whether the load ran long enough after the last revert to judge
  // recovery, and how long it did run.
  bool recovery_observable = true;
  double tail_after_revert_s = -1;
  double tail_needed_s = 0;
  // The run ended before its timeline did.
  bool stopped_early;
  bool fault_ran;
  // Set when the harness itself stopped the run (a server died, bring-up
  // failed): then the figures after it and the verdict are not the
  // experiment's.
  std::optional<HarnessFailure> harness;
  // The incident: from the first fault to the end of the last breach or
  // revert (the analysis's), else the whole run.
  double inc_start;
  double inc_end;
};

// --- Sections -----------------------------------------------------------------------------

// What the impact section worked out that the summary tells again.
struct ImpactFigures {
  uint64_t requests = 0;
  uint64_t failed = 0;
  std::vector<std::pair<std::string, uint64_t>> kinds;
  double peak_p99 = 0;
  double baseline_p99 = -1;
  // The backend whose share moved most from the baseline, as a clause;
  // empty when no share moved at all (the impact lists it only from 10
  // points up, the summary whenever it is there).
  std::string skew_line;
};

// postmortem_impact.cpp: "duration", "duration_basis" and "impact".
ImpactFigures add_impact(const Run& run, json& view);
// postmortem_impact.cpp: each phase's traffic per backend, as table rows.
json phase_rows(const Run& run);
// postmortem_cause.cpp: "root_cause", "detection", "verdict", "expectation_met".
void add_cause_and_verdict(const Run& run, json& view);
// postmortem_cause.cpp: how the faults were reverted and the SLOs recovered.
std::vector<std::string> resolution(const Run& run);
// postmortem_timeline.cpp: the run's events in order, as table rows.
json timeline(const Run& run);
// postmortem_summary.cpp: the paragraph a reader can stop after.
std::string summary(const Run& run, const ImpactFigures& figures);

}  // namespace faultline::reporters::postmortem
