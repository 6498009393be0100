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
#include "harness/journal/journal.h"
#include "reporters/harness_failure.h"
#include "reporters/number_cast.h"
#include "reporters/number_text.h"

namespace faultline::reporters::postmortem {

using json = nlohmann::ordered_json;

// Reads free-form JSON defensively: a fault step's `params` as the
// experiment wrote them, and the view the sections build. The journal
// itself is read through its types (Run::j).
inline double num(const json& j, const char* key, double fallback = 0) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : fallback;
}
inline bool has_num(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number();
}
inline std::string str(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

// A configured number that counts something (connections, users, a port),
// never below zero.
inline uint64_t at_least_zero(int64_t v) {
  return v > 0 ? static_cast<uint64_t>(v) : 0;
}

inline std::string pct(double fraction) {
  return percent_text(fraction, PercentStyle::prose);
}
inline std::string ms(double v) {
  return milliseconds_text(v);
}

// --- Wording (postmortem_wording.cpp) ---------------------------------------------------

std::string capitalised(std::string s);
// A sentence's capital dropped to continue another ("No health check…" →
// "no health check…"); names stay as written ("HAProxy", "web1").
std::string sentence_case_off(std::string s);
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
std::vector<std::pair<std::string, uint64_t>> error_kinds(const journal::Counts& statuses,
                                                          const journal::Counts& transport);

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
  const journal::Activity* activity;
  bool injected() const { return activity->injected_s.has_value(); }
  double injected_s() const { return activity->injected_s.value_or(0); }
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

// The journal (harness/journal/journal.h), its parts and what every
// section works out from them alike. The parts point into the journal it
// holds (and `injected` into `faults`), so it is neither copied nor moved.
struct Run {
  explicit Run(const json& doc);
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  const journal::Journal j;
  const journal::ExperimentInfo& exp;
  const journal::PostmortemSection& pm;
  const journal::Analysis& analysis;
  const journal::Impact& impact;
  const journal::Slo& slo;
  const journal::Load& load;
  const std::vector<journal::Window>& windows;
  const std::vector<journal::Phase>& phases;
  const std::vector<journal::Activity>& activities;
  const std::vector<journal::Objective>& objectives;
  // Empty (all defaults) when the run was not aborted or did not stop at
  // the steady-state gate.
  const journal::Abort abort_info;
  const journal::SteadyStateFailure gate_info;

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

// How one backend's share of the requests moved from the baseline to a
// fault phase. `answered` is set when some requests reached no backend:
// then the share is of the requests each backend answered, all a client
// can know, and `unanswered` is the share no backend answered.
struct ShareMove {
  std::string backend;
  double before = 0;
  double during = 0;
  bool answered = false;
  double unanswered = 0;
  double moved() const { return during - before; }
};

// A share counts as moved from this many points up, everywhere the
// postmortem says so (summary, impact, lessons): an even split that stayed
// even is no symptom.
inline constexpr double kShareMoved = 0.10;

// What the impact section worked out that the other sections tell again.
struct ImpactFigures {
  uint64_t requests = 0;
  uint64_t failed = 0;
  uint64_t slow = 0;
  double latency_objective_ms = -1;
  uint64_t users_seen = 0;
  uint64_t users_affected = 0;
  std::vector<std::pair<std::string, uint64_t>> kinds;
  double peak_p99 = 0;
  double baseline_p99 = -1;
  // Every backend's move in the fault phases, the largest first.
  std::vector<ShareMove> moves;
  // The largest move when it reached kShareMoved; nullopt otherwise.
  std::optional<ShareMove> skew;
  // The skew as a clause ("web1 received 80% of the requests while the
  // fault was in force, against 33% in the baseline"); "" without one.
  std::string skew_clause() const;
};

// postmortem_impact.cpp: "duration", "duration_basis" and "impact".
ImpactFigures add_impact(const Run& run, json& view);
// postmortem_impact.cpp: each phase's traffic per backend, as table rows.
json phase_rows(const Run& run);
// postmortem_impact.cpp: what the backend shares were counted from, in one
// sentence, when it was not the response header (a load balancer running
// a team's config counted them itself); nullopt for the header, and for
// journals from before the journal said.
std::optional<std::string> shares_basis_sentence(const journal::Journal& j);
// postmortem_cause.cpp: "root_cause", "trigger", "detection", "verdict".
void add_cause_and_verdict(const Run& run, const ImpactFigures& figures, json& view);
// postmortem_cause.cpp: how the faults were reverted and the SLOs recovered,
// each figure adding up to the incident's duration.
std::vector<std::string> resolution(const Run& run);
// postmortem_timeline.cpp: the run's events in order, as table rows.
json timeline(const Run& run);
// postmortem_summary.cpp: the paragraph a reader can stop after.
std::string summary(const Run& run, const ImpactFigures& figures);
// postmortem_factors.cpp: why the stack could not absorb the fault, from
// its configuration (said as configured) and the measurements.
std::vector<std::string> contributing_factors(const Run& run, const ImpactFigures& figures);
// postmortem_factors.cpp: what would restore a service that never
// recovered, or "" when it recovered.
std::string restore_advice(const Run& run);
// postmortem_lessons.cpp: "lessons" (went_well, went_wrong, lucky) and
// "conclusion".
void add_lessons(const Run& run, const ImpactFigures& figures, json& view);
// postmortem_actions.cpp: "actions" (the Action Items table), "prompts"
// per section, and "support" (Supporting Information).
void add_actions(const Run& run, json& view);
void add_prompts(const Run& run, json& view);
void add_support(const Run& run, json& view);

// The load target's service in the journal's stack (the load balancer the
// postmortem talks about), or an empty service (no name).
const journal::Service& target_service(const Run& run);
// A stack service by name, or an empty service.
const journal::Service& service_named(const Run& run, const std::string& name);
// The objectives whose breach began with the first breaching window after
// the fault (the ones that detected it), by name.
std::vector<std::string> objectives_breached_first(const Run& run);
// Whether `list` holds `name`.
bool in_list(const std::vector<std::string>& list, const std::string& name);
// The backends the faults hit: targets and `server` parameters that are
// backends of the load balancer `lb`, and backends that crashed.
std::vector<std::string> hit_backends(const Run& run, const journal::Service& lb);
// When the load balancer first marked `server` DOWN: within the incident,
// or at any time of the run.
enum class Span { incident, run };
std::optional<double> marked_down_at(const Run& run, const std::string& server, Span span = Span::incident);
// The service event of `service` crashing (any event but a plain "died"),
// or nullptr.
const journal::ServiceEvent* crash_of(const Run& run, const std::string& service);
// The scripted notes of the method (source "method"), lower-cased, for the
// prompts the experiment already answers.
std::vector<std::string> scripted_notes(const Run& run);

}  // namespace faultline::reporters::postmortem
