#pragma once

#include <string>
#include <string_view>

namespace faultline {

// What a run proved. One rule decides it, here, and everything that states a
// verdict uses it: the runner and its exit code, the journal, JUnit, the
// postmortem and `faultline compare` (the reporters read the outcome the
// journal recorded, and fall back on this rule for journals that have none).
enum class RunOutcome {
  passed,               // expect: hold, every objective held throughout the run
  regression,           // expect: hold, an objective breached
  incident,             // expect: breach, an objective breached once a fault was in force
  not_reproduced,       // expect: breach, nothing breached once a fault was in force
  not_proven,           // a fault did not apply or revert, or the load was not delivered
  steady_state_failed,  // the objectives did not hold before the first fault: nothing injected
  aborted,              // an abort condition stopped the run
  interrupted,          // a signal stopped the run
  failed,               // the harness failed (a server would not start, or died)
};

// The facts the rule needs. `status` is the run's own (journal "status":
// completed, not_proven, failed, interrupted, steady_state_failed, aborted).
struct VerdictFacts {
  std::string status = "completed";
  bool expect_hold = false;
  // A window that breached at or after the first fault was in force (the
  // window that straddles the moment counts).
  bool breached_after_fault = false;
  // Any window of the run breached (the judged period of `expect: hold` is
  // the whole load, baseline included: a stack that breaches without a
  // fault does not hold either).
  bool breached_any = false;
};

RunOutcome decide_outcome(const VerdictFacts& facts);

// Whether the experiment's `expect` was met: only passed and incident.
bool expectation_met(RunOutcome outcome);

// 0 expectation met, 1 not met, 3 failed or not proven, 4 steady state
// failed, 5 aborted, 130 interrupted.
int exit_code(RunOutcome outcome);

// The verdict in one sentence, the same wherever a verdict is stated: the
// terminal summary, the postmortem, JUnit and `faultline compare`. Plain
// text (no markup), ending with a full stop, e.g. "Regression test passed:
// no breach (none expected) with the fault in force (expect: hold)."
std::string_view verdict_headline(RunOutcome outcome);

// The journal's word for it ("passed", "not_proven", ...) and back;
// parse_outcome returns false for a word it does not know.
std::string_view to_string(RunOutcome outcome);
bool parse_outcome(std::string_view text, RunOutcome& out);

}  // namespace faultline
