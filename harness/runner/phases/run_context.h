#pragma once

#include <cstdint>
#include <string>

#include "harness/runner/clock.h"
#include "harness/runner/progress.h"
#include "harness/runner/run_record.h"
#include "harness/runner/signal_watcher.h"
#include "harness/runner/validate.h"

namespace faultline::runner {

// What every phase of a run works with: the experiment, the record it
// fills in, the progress messages, the clock of the runner's schedule and
// the signals that stop a run. Made once by run_experiment, which owns all
// of it; the phases only borrow.
class RunContext {
 public:
  RunContext(const ValidatedExperiment& experiment, RunRecord& record, Progress& messages, Clock& clock,
             const SignalWatcher& signals)
      : v(experiment), rec(record), progress(messages), clock_(clock), signals_(signals) {}

  const ValidatedExperiment& v;
  RunRecord& rec;
  Progress& progress;

  // Nanoseconds on the run clock (RunRecord::clock), read from the
  // injected clock: every time the runner itself records or schedules.
  int64_t now_ns() const;
  // Waits until `at_ns` on the run clock.
  void sleep_until(int64_t at_ns);

  // Whether SIGINT, SIGTERM or SIGHUP arrived: from then on the run only
  // reverts, tears down and records.
  bool interrupted() const { return signals_.received() != 0; }
  int signal() const { return signals_.received(); }

  // A failure of the harness itself (a server that will not start or dies,
  // a target the host cannot reach): said on stderr as it happens, and kept
  // in the record with where and when.
  void fail(std::string stage, std::string service, std::string error);

 private:
  Clock& clock_;
  const SignalWatcher& signals_;
};

}  // namespace faultline::runner
