#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/verdict_rule.h"
#include "harness/runner/run_record.h"

namespace faultline::runner {

// One request of the mix in a phase (Phase::by_request).
struct RequestFigures {
  std::string name;
  uint64_t requests = 0;
  uint64_t errors = 0;
  double p99_ms = 0;
};

// A stretch of the run with its own figures: the baseline before the first
// fault, each fault's active period, and the time after the last revert.
struct Phase {
  std::string name;  // "baseline", "fault 1: lb_weight on lb", "after revert"
  std::string kind;  // "baseline" | "fault" | "recovery"
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  uint64_t requests = 0;
  uint64_t errors = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  std::map<std::string, uint64_t> backends;  // answering backend -> requests
  std::map<int, uint64_t> statuses;
  // Per request of the mix, in the mix's order; empty when the load sent
  // one kind of request (no `requests` in the experiment).
  std::vector<RequestFigures> by_request;
};

std::vector<Phase> make_phases(const RunRecord& rec);

// The incident as users saw it, one definition for every report: from the
// first fault's injection to the moment every objective was seen holding
// again after the last revert (Timing::recovered_ns); to the end of the load
// when a breach never recovered (or its recovery could not be observed); to
// the last revert when nothing breached. So the incident's duration is the
// time the fault was in force plus the time to recover, and the breach time
// inside it (breach_ns) is never more than the duration.
struct Impact {
  int64_t start_ns = -1;
  int64_t end_ns = -1;
  int64_t breach_ns = 0;  // breaching windows, clipped to [start_ns, end_ns)
  uint64_t requests = 0;
  uint64_t failed = 0;
  uint64_t slow = 0;                           // answered, but slower than the latency objective
  uint64_t users_seen = 0;                     // distinct users who sent a request in the window
  uint64_t users_affected = 0;                 // saw at least one error or slow response
  double peak_p99_ms = 0;                      // worst window p99 in the window
  std::optional<double> latency_objective_ms;  // the tightest p(N) or max ceiling (< or <=), if any
  std::optional<int64_t> first_error_ns;
  std::map<int, uint64_t> statuses;  // all HTTP statuses in the window
  std::map<std::string, uint64_t> transport_errors;
};

Impact measure_impact(const RunRecord& rec, const ValidatedExperiment& v);

// Detection and recovery of the incident, from the SLO windows.
struct Timing {
  std::optional<int64_t> first_inject_ns;
  std::optional<int64_t> last_revert_ns;
  std::optional<int64_t> first_breach_ns;  // start of the first breaching window after the first inject
  std::optional<int64_t> detected_ns;      // the end of that window: when a per-window check sees it
  std::optional<int64_t> recovered_ns;     // end of the first window of a run of holding windows after the
                                           // last revert: when a per-window check sees recovery
  int64_t total_breach_ns = 0;             // breaching windows, all objectives together
  // How long the load ran after the last revert, and whether that was long
  // enough to see recovery (verify::kRecoveryHoldingWindows windows): a run
  // that was not may say "recovery not observed", never "had not recovered".
  int64_t tail_after_revert_ns = 0;
  int64_t tail_needed_ns = 0;
  bool recovery_observable = false;
};

Timing measure_timing(const RunRecord& rec);

// The error budget of the run against `slo.target`: a target of 99.9%
// allows 0.1% of the requests to fail; consumed = failed / allowed, so 1.0
// is the whole budget (and more is more than the whole).
struct ErrorBudget {
  double target = 0;  // fraction, e.g. 0.999
  uint64_t requests = 0;
  uint64_t failed = 0;
  double allowed = 0;   // requests * (1 - target)
  double consumed = 0;  // failed / allowed; 0 when there were no requests
};

// nullopt when the experiment states no target.
std::optional<ErrorBudget> error_budget(const RunRecord& rec, const ValidatedExperiment& v);

// Whether the objectives held over the steady-state period before the first
// fault (or over the whole baseline when steady_state is 0).
bool steady_state_held(const RunRecord& rec, const ValidatedExperiment& v);

// The run's verdict by the one rule (harness/common/verdict_rule.h):
// `breach` needs an SLO breach in a window at or after the first fault was in
// force (a failed inject never counts); `hold` needs no breach in any window
// of the run; a run that is not completed states no verdict.
struct RunJudgement {
  RunOutcome outcome = RunOutcome::failed;
  bool expectation_met = false;
  bool breached_after_fault = false;
  bool breached_any = false;
};
RunJudgement judge_run(const RunRecord& rec, const ValidatedExperiment& v);

// judge_run(rec, v).expectation_met.
bool expectation_met(const RunRecord& rec, const ValidatedExperiment& v);

}  // namespace faultline::runner
