#pragma once

#include <string>

#include "harness/runner/clock.h"
#include "harness/runner/run_record.h"
#include "harness/runner/validate.h"
#include "harness/stack/runtime.h"

namespace faultline::runner {

struct RunOptions {
  std::string out_dir;                          // where the reports go
  std::string registry_dir = "/run/faultline";  // the on-disk run registry
  bool live_progress = true;                    // a progress line on stderr
  // What runs the stack; null: network namespaces on this machine.
  stack::StackRuntime* runtime = nullptr;
  // What the runner's schedule reads and sleeps on; null: the steady clock.
  // Only tests hand in another (the load keeps the real clock).
  Clock* clock = nullptr;
};

// Carries out one experiment: brings the stack up, drives the load, injects
// and reverts the faults on schedule, tears everything down (on every exit
// path), judges the SLOs and records it all. Never throws for run-time
// problems: they end up in RunRecord::status/error.
RunRecord run_experiment(ValidatedExperiment& v, const RunOptions& options);

// The exit code for a finished run, from the one verdict rule
// (judge_run, harness/common/verdict_rule.h): 0 expectation met, 1 not
// met, 3 the run failed or proves nothing (a fault did not apply or revert,
// the load was not delivered), 4 the steady state did not hold before the
// first fault (nothing was injected), 5 an abort condition stopped the run,
// 130 interrupted.
int exit_code(const RunRecord& record, const ValidatedExperiment& v);

}  // namespace faultline::runner
