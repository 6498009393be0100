#pragma once

#include "harness/common/verdict_rule.h"
#include "harness/journal/journal.h"

namespace faultline::reporters {

// A journal's verdict, for every reporter alike: the outcome the run
// recorded (journal "verdict"), or for a journal written before it had one,
// the same rule (harness/common/verdict_rule.h) applied to what it holds.
struct JournalOutcome {
  RunOutcome outcome = RunOutcome::failed;
  // What the verdict counts as a breach: one after the first fault was in
  // force for a drill (`expect: breach`), one anywhere for `expect: hold`.
  bool breached = false;
  bool breached_after_fault = false;
  bool breached_any = false;
};

JournalOutcome journal_outcome(const journal::Journal& journal);

}  // namespace faultline::reporters
