#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/runner/phases/run_context.h"
#include "harness/stack/stack.h"

namespace faultline::runner {

// One action of the method timeline.
struct MethodEvent {
  int64_t at_ns;  // on the run clock
  enum Kind { inject, revert, note } kind;
  size_t index;  // into RunRecord::faults (inject, revert) or the experiment's method (note)
};

// Every action of the method on the run clock, the load starting at
// `load_start_ns`: each fault's inject, its revert when it has a duration,
// each note; in time order, reverts before injects at the same instant, so
// back-to-back faults on one target do not overlap.
std::vector<MethodEvent> schedule(const ValidatedExperiment& v, int64_t load_start_ns);

// One record per fault of the method, in its order, before anything
// happened to any of them.
std::vector<FaultRecord> fault_records(const ValidatedExperiment& v);

// Reverts `f` when inject() was called on it and it is not reverted yet
// (also after a failed inject: whatever it half-applied is undone), and
// records when, and why when that failed. Safe to call any number of times.
void revert_fault(RunContext& run, FaultRecord& f, stack::RunningStack& stack);

// Reverts every fault of the record still in place.
void revert_all_faults(RunContext& run, stack::RunningStack& stack);

// "lb_weight(lb)" for each fault in force, for the status line.
std::vector<std::string> active_faults(const RunRecord& rec);

// The method timeline while the load runs: the actions of schedule(),
// carried out as they fall due.
class MethodTimeline {
 public:
  MethodTimeline(const ValidatedExperiment& v, int64_t load_start_ns);

  // When the first fault is due (the steady-state gate is judged then);
  // nullopt for a method without faults.
  std::optional<int64_t> first_inject_at() const;
  // When the next action not yet carried out is due; nullopt once all are.
  std::optional<int64_t> next_at() const;

  // Carries out, in order, every action due at `now_ns`: a note goes into
  // the record, a fault is injected (and rolled back at once when that
  // fails) or reverted.
  void carry_out_due(RunContext& run, stack::RunningStack& stack, int64_t now_ns);

 private:
  std::vector<MethodEvent> events_;
  size_t next_ = 0;
};

}  // namespace faultline::runner
