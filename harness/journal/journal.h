#pragma once

// The journal as types: what a run writes (harness/runner/journal.cpp fills
// it) and what every reporter, `compare` and `report` read back. The JSON
// form is the contract on disk (docs/JOURNAL.md); this is the contract in
// the code, so a field is spelled here and where it is read and written
// (journal_read.cpp, journal_write.cpp), and nowhere else.
//
// Reading is total: a journal may be hand-edited, written by an older
// faultline or by a fuzzer, so from_json never throws. A field that is
// missing or of the wrong type reads as its default; where a reader must
// tell "absent" from a value (null offsets, fields older journals lack) the
// field is an optional.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace faultline::journal {

using json = nlohmann::ordered_json;

// The schema this build writes; bump on any incompatible change and
// document it in docs/JOURNAL.md.
inline constexpr const char* kSchema = "faultline.journal/1";

// Counts by key: an HTTP status ("503"), a transport error class, a backend.
// Kept in the journal's own order.
using Counts = std::vector<std::pair<std::string, uint64_t>>;

struct Failure {
  std::string stage;
  std::optional<std::string> service;
  std::optional<double> t;
  std::string time;
};

struct Verdict {
  std::string outcome;
  bool expectation_met = false;
  int exit_code = 0;
  std::optional<bool> breached_after_fault;
  std::optional<bool> breached_any;
};

// What a container runtime's service ran: its image and the first line of
// its server's `-v`, asked in the container; `why` when it could not be.
struct ServerSoftware {
  std::string service;
  std::string image;
  std::string version;
  std::string why;
};

struct Environment {
  std::string hostname;
  std::string kernel;
  // This machine's servers, which the netns runtime runs; empty on the
  // container runtimes, whose servers are the images' (`servers`).
  std::string haproxy;
  std::string nginx;
  std::vector<ServerSoftware> servers;
};

struct ExperimentInfo {
  std::string title;
  std::string description;
  std::vector<std::string> tags;
  std::string source_file;
  json document;  // the YAML as run, after --set: free-form by nature
};

struct Instant {
  double t = 0;
  std::string time;
  std::optional<int64_t> epoch_ms;  // the start only
};

struct Capacity {
  std::optional<int64_t> workers;
  std::optional<double> service_time_ms;
  int64_t queue = 0;
  double rps = 0;
  bool crash_on_overflow = false;
};

// A service of the stack; the load-balancer fields are set for load
// balancers only, `capacity` for app backends with one.
struct Service {
  std::string name;
  std::string kind;
  std::string address;
  int64_t port = 0;
  bool load_balancer = false;  // the journal had `backends`
  std::vector<std::string> backends;
  Counts weights;
  std::string balance;
  bool health_check = false;
  std::optional<double> health_check_interval_s;
  std::optional<int64_t> health_check_fall;
  std::optional<int64_t> health_check_rise;
  // Absent in journals written before the stack's limits were recorded.
  std::optional<int64_t> maxconn;
  std::optional<int64_t> retries;
  bool redispatch = false;
  std::vector<std::string> retry_on;
  std::optional<Capacity> capacity;
  // Run from the team's own config: the file as the experiment names it,
  // and what faultline changed in the copy it ran. Such a load balancer's
  // balancing, checks and retries are the file's: the fields above keep
  // their defaults and say nothing of them.
  std::optional<std::string> config;
  std::vector<std::string> config_changes;
  // kind process: the team's command line.
  std::optional<std::string> command;
};

struct ExternalTarget {
  std::string name;
  std::string address;
  std::optional<std::string> reason;
};

struct Stack {
  std::string runtime;
  std::string subnet;
  std::vector<Service> services;
  std::vector<ExternalTarget> external_targets;
};

struct Delivery {
  bool delivered = true;
  double late_threshold_ms = 0;
  double max_late_share = 0;
  uint64_t late = 0;
  double late_share = 0;
  uint64_t expired_unsent = 0;
  uint64_t connection_limit_waits = 0;
  std::vector<std::string> problems;
};

// HTTPS load (issue 21): how the load spoke TLS, and how it went.
struct LoadTls {
  std::string sni;    // the server name sent and checked ("" for none)
  std::string trust;  // "run-ca", "ca" (load.ca), or "none" (load.insecure)
  std::string ca;     // the CA file trusted; "" with insecure
  uint64_t handshakes = 0;
  uint64_t resumed = 0;
  Counts errors;  // failed handshakes by reason
  // Whether a new connection offered a session (load.resume); journals
  // before the key was written resumed.
  bool resume = true;
};

struct Load {
  std::string target;
  std::string path;
  double rate = 0;
  int64_t connections = 0;
  int64_t max_connections = 0;
  int64_t users = 0;
  double timeout_s = 0;
  double ramp_s = 0;
  double duration_s = 0;
  std::optional<double> ran_s;
  std::optional<uint64_t> requests;
  uint64_t not_sent = 0;
  double late_threshold_ms = 0;
  uint64_t late_sends = 0;
  double send_lateness_p99_ms = 0;
  double send_lateness_max_ms = 0;
  uint64_t expired_unsent = 0;
  uint64_t peak_connections = 0;
  uint64_t connection_limit_waits = 0;
  uint64_t retried = 0;
  std::optional<Delivery> delivery;  // journals before delivery was judged lack it
  std::string scheme = "http";
  std::optional<LoadTls> tls;  // HTTPS load only
};

struct Breach {
  double start_s = 0;
  double end_s = 0;
  int64_t first_window = 0;
  int64_t last_window = 0;
  std::optional<double> worst;
  std::string worst_text;
};

struct Objective {
  std::string name;
  std::string expr;
  std::string metric;
  std::string comparator;
  std::optional<double> threshold;
  // Judged: absent when the run never got to windows.
  std::optional<bool> breached;
  std::optional<double> worst;
  std::optional<std::string> worst_text;
  std::vector<Breach> breaches;
  // Journals before breach times were summed lack it.
  std::optional<double> breach_s;
};

struct Slo {
  double window_s = 0;
  double steady_state_s = 0;
  std::optional<double> target;
  std::vector<std::string> abort_when;
  std::vector<Objective> objectives;
};

struct SteadyStateFailure {
  std::string objective;
  std::string expr;
  std::optional<double> value;
  std::string value_text;
  double window_start_s = 0;
  double window_end_s = 0;
  std::optional<double> stopped_s;
};

struct Abort {
  std::string condition;
  double since_s = 0;
  double until_s = 0;
  double value = 0;
  std::string value_text;
  std::optional<double> stopped_s;
};

// A corrective measure a fault suggests. Journals written before measures
// were typed hold plain strings: those read with no type.
struct SuggestedMeasure {
  std::string action;
  std::optional<std::string> type;
};

struct Activity {
  std::string type;
  std::string name;
  std::string target;
  json params;  // the step's params as written: free-form by nature
  std::string description;
  std::optional<std::string> kernel_path;
  std::optional<std::string> mechanism;
  double planned_at_s = 0;
  std::optional<double> planned_duration_s;
  std::optional<double> inject_called_s;
  std::optional<double> injected_s;
  std::optional<double> inject_took_ms;
  std::optional<double> reverted_s;
  std::optional<double> revert_took_ms;
  std::string status;
  std::optional<std::string> error;
  std::vector<SuggestedMeasure> suggested_measures;
};

struct Note {
  double t = 0;
  std::string text;
  std::string source;
};

struct LbEvent {
  double t = 0;
  std::string service;
  std::string server;
  std::string from;
  std::string to;
  std::string text;
};

struct ServiceEvent {
  double t = 0;
  std::string service;
  std::string event;
  std::string text;
};

// What the backend shares (of phases and windows) were counted from.
// Journals before it have none, and were counted from the header.
struct SharesBasis {
  std::string source;                // "response-header", "haproxy-counters", "nginx-access-log"
  std::string detail;                // a phrase, e.g. "HAProxy's own per-server request counters on lb (...)"
  std::optional<double> interval_s;  // how often the source was read; none for the header
  // Servers that answered at an address no service of the stack has,
  // counted as unknown; left out when none.
  std::vector<std::string> unknown_servers;
};

// A request of the load's mix in a phase: `requests_by_name`.
struct RequestFigures {
  std::string name;
  uint64_t requests = 0;
  uint64_t errors = 0;
  std::optional<double> p99_ms;  // none when the phase had none of its requests
};

struct Phase {
  std::string name;
  std::string kind;
  double start_s = 0;
  double end_s = 0;
  uint64_t requests = 0;
  uint64_t errors = 0;
  double error_rate = 0;
  double p50_ms = 0;
  std::optional<double> p99_ms;
  Counts backends;
  Counts statuses;
  // Only with a request mix of more than one request; in the mix's order.
  std::vector<RequestFigures> requests_by_name;
};

struct Recovery {
  std::optional<bool> observable;
  std::optional<double> tail_after_revert_s;
  double tail_needed_s = 0;
};

struct ErrorBudget {
  double target = 0;
  uint64_t requests = 0;
  uint64_t failed = 0;
  double allowed = 0;
  double consumed = 0;
};

struct Impact {
  std::optional<double> start_s;
  std::optional<double> end_s;
  std::optional<double> breach_s;
  // Journals before the incident's impact was measured lack these.
  std::optional<uint64_t> requests;
  std::optional<uint64_t> failed;
  std::optional<double> failed_share;
  uint64_t slow = 0;
  std::optional<double> latency_objective_ms;
  std::optional<uint64_t> users_seen;
  std::optional<uint64_t> users_affected;
  std::optional<double> users_affected_share;
  std::optional<double> peak_p99_ms;
  std::optional<double> first_error_s;
  Counts statuses;
  Counts transport_errors;
};

struct Analysis {
  uint64_t requests_total = 0;
  uint64_t requests_failed = 0;
  std::optional<double> first_inject_s;
  std::optional<double> last_revert_s;
  std::optional<double> first_breach_s;
  std::optional<double> detected_s;
  std::optional<double> time_to_detect_s;
  std::optional<double> recovered_s;
  std::optional<double> time_to_recover_s;
  std::optional<double> total_breach_s;
  std::optional<Recovery> recovery;
  std::optional<ErrorBudget> error_budget;
  Impact impact;
};

struct ObjectiveValue {
  std::optional<double> value;
  bool holds = true;
};

struct Window {
  int64_t index = 0;
  double start_s = 0;
  double end_s = 0;
  uint64_t requests = 0;
  // Journals before windows counted responses lack these three; their
  // `throughput` meant what `offered_rate` means now.
  std::optional<uint64_t> responses;
  std::optional<uint64_t> good_responses;
  uint64_t errors = 0;
  std::optional<double> error_rate;
  std::optional<double> offered_rate;
  std::optional<double> throughput;
  std::optional<double> goodput;
  double mean_ms = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  std::optional<double> p99_ms;
  double p999_ms = 0;
  double max_ms = 0;
  double service_p50_ms = 0;
  double service_p90_ms = 0;
  double service_p99_ms = 0;
  Counts statuses;
  Counts transport_errors;
  Counts backends;
  bool holds = true;
  std::vector<std::pair<std::string, ObjectiveValue>> objectives;
};

// A corrective action of the experiment's postmortem section: the text
// alone, or with the columns the experiment filled in.
struct CorrectiveAction {
  std::string action;
  std::optional<std::string> type;
  std::optional<std::string> priority;
  std::optional<std::string> owner;
};

struct PostmortemSection {
  std::string service;
  std::string timezone;
  std::string detection;
  std::string root_cause;
  std::vector<CorrectiveAction> corrective_actions;
};

struct Journal {
  std::string schema = kSchema;
  std::string faultline_version;
  std::string run_id;
  std::string status;
  std::optional<std::string> error;
  std::optional<Failure> failure;
  std::string expect;
  bool expectation_met = false;
  // Journals before the one verdict rule have none: see journal_outcome.
  std::optional<Verdict> verdict;
  std::vector<std::string> not_proven;
  std::vector<std::string> server_logs;
  bool steady_state_held = true;
  bool deviated = false;
  Environment environment;
  ExperimentInfo experiment;
  std::string timezone;
  Instant start;
  Instant end;
  Stack stack;
  Load load;
  Slo slo;
  bool live_checks = false;
  std::optional<SteadyStateFailure> steady_state_failure;
  std::optional<Abort> abort;
  std::vector<Activity> activities;
  std::vector<Note> notes;
  std::vector<LbEvent> lb_events;
  std::vector<ServiceEvent> service_events;
  std::optional<SharesBasis> shares_basis;
  std::vector<Phase> phases;
  Analysis analysis;
  std::vector<Window> windows;
  PostmortemSection postmortem;
};

// The journal as written to journal.json, key for key in the order of
// docs/JOURNAL.md.
json to_json(const Journal& journal);

// Reads any JSON value as a journal, never throwing: see the top of this
// file. Checking the schema is the caller's (compare and report refuse a
// journal of another schema with a message saying so).
Journal from_json(const json& doc);

}  // namespace faultline::journal
