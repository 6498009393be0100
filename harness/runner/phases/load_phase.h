#pragma once

#include <mutex>

#include "harness/load/generator.h"
#include "harness/runner/phases/run_context.h"
#include "harness/runner/phases/watches.h"
#include "harness/stack/stack.h"

namespace faultline::runner {

// The load generator a signal must stop at once, while there is one. The
// signal watcher's thread calls stop(); the load phase sets and clears it.
class ActiveLoad {
 public:
  void set(load::LoadGenerator* generator);
  void stop();

 private:
  std::mutex mutex_;
  load::LoadGenerator* generator_ = nullptr;
};

// Runs the load from start to end. The steady state, the method and the
// recovery after it are stretches of this one load, watched by one
// wake-up loop (about every 0.1 s, and at each action's time): the signals,
// the operator's notes, the steady-state gate when the first fault is due,
// the abort conditions, the method timeline, the services' health and the
// status line. Returns when the load has ended or the run must stop early;
// the record says which (completed, interrupted, steady_state_failed,
// aborted or failed) and when the load ran. Faults may still be in place
// when it returns: the caller reverts them.
// The notes and the share source of `watches` are read on each wake-up.
void drive_load(RunContext& run, stack::RunningStack& stack, RunWatches& watches, ActiveLoad& active);

}  // namespace faultline::runner
