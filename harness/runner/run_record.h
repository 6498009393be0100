#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/clock.h"
#include "harness/load/sample.h"
#include "harness/runner/lb_watch.h"
#include "harness/runner/live_monitor.h"
#include "harness/runner/share_source.h"
#include "harness/runner/validate.h"
#include "harness/stack/stack.h"
#include "harness/verify/verdict.h"
#include "harness/verify/window.h"

namespace faultline::runner {

// What happened to one fault of the method. Times are ns on the run clock;
// -1 = did not happen.
struct FaultRecord {
  const faults::BoundFault* bound = nullptr;
  // inject() was called, whether or not it succeeded.
  int64_t inject_called_ns = -1;
  // The fault is in force from here: set only when inject() succeeded, to
  // the moment it was called (the change may take effect at any moment of
  // an inject that takes time: a config check and reload take ~100 ms). A
  // fault whose inject failed never counts: not in the phases, the timing,
  // the impact or the verdict.
  int64_t injected_ns = -1;
  int64_t inject_done_ns = -1;    // inject() returned
  int64_t revert_called_ns = -1;  // revert() called
  int64_t reverted_ns = -1;       // revert() returned
  bool inject_failed = false;
  bool revert_failed = false;
  std::string error;  // inject or revert failure

  bool in_force_at_some_point() const { return injected_ns >= 0; }
};

struct NoteRecord {
  int64_t at_ns = 0;
  std::string text;
  std::string source;  // "method" or "operator"
};

// A service of the stack that died: as the system under test may (an app
// crashing on a full queue, event "crashed": part of the incident), or a
// server whose death ended the run (event "died": a harness failure).
struct ServiceEvent {
  int64_t at_ns = 0;
  std::string service;
  std::string text;
  std::string event = "crashed";
};

// Where a failed run failed: in bringing the stack up, or during the run
// (a server died). `service` is empty when no single service is at fault.
struct RunFailure {
  std::string stage;  // "bring-up" or "run"
  std::string service;
  int64_t at_ns = -1;  // run clock: when faultline noticed
};

// The machine a run ran on, as the journal's `environment` reports it.
// Probed by the runner when the run starts, so that writing the journal
// runs no program and reads nothing of the machine.
struct RunEnvironment {
  std::string hostname;
  std::string kernel;   // "Linux 6.1.0-18-amd64"
  std::string haproxy;  // the first line of `haproxy -v`; empty when it is not installed or did not run
  std::string nginx;    // the first line of `nginx -v`; empty when it is not installed or did not run
  // Container runtimes: per HAProxy and nginx service, its image and its
  // server's version asked in the container (journal::ServerSoftware).
  struct Server {
    std::string service;
    std::string image;
    std::string version;
    std::string why;
  };
  std::vector<Server> servers;
};

// The per-backend counts a share source read through the run (the load
// balancer's own, share_source.h), with what they are. The basis of the
// shares when no response named its backend.
struct ShareRecord {
  SharesBasis basis;
  std::vector<verify::BackendCount> counts;
};

// steady_state_failed: the objectives did not hold before the first fault
// was due, so nothing was injected; aborted: an abort condition (slo.abort_when)
// stopped the run and every fault was reverted; not_proven: the run went to
// its end, but what it measured proves nothing about the system (a fault
// did not apply or could not be reverted, or the load was not delivered):
// RunRecord::not_proven says why.
enum class RunStatus { completed, interrupted, failed, steady_state_failed, aborted, not_proven };
std::string to_string(RunStatus s);

// Everything a run produced, before it is turned into the journal.
struct RunRecord {
  RunStatus status = RunStatus::completed;
  std::string error;  // why the run failed or was interrupted
  int signal = 0;
  std::string run_id;
  RunEnvironment environment;
  std::optional<stack::Plan> plan;
  // Per service run from the team's own config: what faultline changed in
  // the copy it ran, one line each with its reason.
  std::map<std::string, std::vector<std::string>> config_changes;
  RunClock clock;
  int64_t load_start_ns = -1;  // t = 0 of the method timeline
  int64_t load_end_ns = -1;
  load::LoadResult load;
  // HTTPS load: the CA file the load trusted (the run's, or load.ca).
  std::string load_tls_ca;
  std::vector<FaultRecord> faults;
  std::vector<NoteRecord> notes;
  // Server state changes the load balancers reported (health checks, maintenance).
  std::vector<LbEvent> lb_events;
  // When the load target is a load balancer running a team's config.
  std::optional<ShareRecord> shares;
  std::vector<ServiceEvent> service_events;
  std::vector<verify::WindowStats> windows;
  verify::Verdict verdict;
  // Whether samples could be judged while the load ran (the steady-state
  // gate and the abort conditions need it).
  bool live_checks = false;
  std::optional<SteadyStateFailure> steady_state_failure;  // with steady_state_failed
  std::optional<AbortTrigger> abort;                       // with aborted
  int64_t stopped_ns = -1;            // when the gate, an abort condition or a failure stopped the run
  std::optional<RunFailure> failure;  // with failed
  // Why the run proves nothing (with not_proven), one sentence each.
  std::vector<std::string> not_proven;
  // The servers' own logs kept beside the reports, relative to the output
  // folder ("logs/lb/error.log").
  std::vector<std::string> server_logs;
};

}  // namespace faultline::runner
