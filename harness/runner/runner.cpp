#include "harness/runner/runner.h"

#include "harness/runner/analysis.h"
#include "harness/runner/phases/analyse.h"
#include "harness/runner/phases/bring_up.h"
#include "harness/runner/phases/environment.h"
#include "harness/runner/phases/load_phase.h"
#include "harness/runner/phases/method.h"
#include "harness/runner/phases/run_context.h"
#include "harness/runner/phases/teardown.h"
#include "harness/runner/phases/watches.h"
#include "harness/runner/progress.h"
#include "harness/runner/signal_watcher.h"

namespace faultline::runner {

std::string to_string(RunStatus s) {
  switch (s) {
    case RunStatus::completed:
      return "completed";
    case RunStatus::interrupted:
      return "interrupted";
    case RunStatus::failed:
      return "failed";
    case RunStatus::steady_state_failed:
      return "steady_state_failed";
    case RunStatus::aborted:
      return "aborted";
    case RunStatus::not_proven:
      return "not_proven";
  }
  return "unknown";
}

// The phases of a run, in order; each lives in harness/runner/phases/.
// Validation and the machine checks (preflight) come before, in
// `faultline run`; the journal after, from the record returned here.
RunRecord run_experiment(ValidatedExperiment& v, const RunOptions& options) {
  RunRecord rec;
  Progress progress(options.live_progress);
  // Signals first: from here on Ctrl-C and SIGTERM only set a flag (and stop
  // the load), and the phases below revert and tear down on their way out.
  ActiveLoad active_load;
  SignalWatcher signals([&](int) { active_load.stop(); });
  RunContext run(v, rec, progress, options.clock != nullptr ? *options.clock : steady_clock(), signals);

  auto in_use = bring_up(run, options.runtime, options.registry_dir);
  if (!in_use) {
    // Nothing is up and nothing was injected: there is nothing to revert
    // or tear down.
    rec.environment = probe_environment();
    progress.done();
    return rec;
  }
  rec.faults = fault_records(v);
  RunWatches watches(run, *in_use);

  // The steady state, the method and the recovery after it, all on one
  // load; a signal before it starts skips it.
  if (run.interrupted()) {
    rec.status = RunStatus::interrupted;
  } else {
    drive_load(run, *in_use->stack, watches, active_load);
  }

  // Where every fault is reverted, on every exit path: however the load
  // phase ended (the load's end, a signal, the steady-state gate, an abort
  // condition, a server that died) it returns here, not by an exception
  // (faults and the stack report failures as Status), and leaves in place
  // whatever the method had in force. An abort has reverted already, which
  // revert_fault skips. Only then is the stack torn down, which would undo
  // any fault by construction anyway.
  revert_all_faults(run, *in_use->stack);
  // A container runtime's servers are the images': asked while their
  // containers still run, after the load for the same reason as below.
  const auto servers = probe_servers(*in_use->stack);
  tear_down(run, *in_use, watches, options.out_dir);
  // The servers' versions, for the journal. Asked after the load, not
  // before it: each `-v` is a process start, which on a slow machine (a
  // user-mode Linux guest takes a quarter of a second per start) would
  // delay the load and every fault's moment.
  rec.environment = probe_environment();
  if (!servers.empty()) {
    // This machine's haproxy and nginx served nothing of this run.
    rec.environment.haproxy.clear();
    rec.environment.nginx.clear();
    rec.environment.servers = servers;
  }

  analyse_run(run);
  return rec;
}

int exit_code(const RunRecord& record, const ValidatedExperiment& v) {
  return faultline::exit_code(judge_run(record, v).outcome);
}

}  // namespace faultline::runner
