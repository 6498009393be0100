#pragma once

#include <memory>
#include <string>

#include "harness/runner/lb_watch.h"
#include "harness/runner/note_inbox.h"
#include "harness/runner/phases/bring_up.h"
#include "harness/runner/phases/run_context.h"
#include "harness/runner/share_source.h"

namespace faultline::runner {

// Game-day notes, from `faultline note` (the run's inbox file) or typed
// into this terminal.
class OperatorNotes {
 public:
  // Says on stderr where notes can be given.
  OperatorNotes(const std::string& run_dir, Progress& progress);

  // Moves the notes given since the previous call into the record, stamped
  // now, and echoes them.
  void take(RunContext& run);

 private:
  NoteInbox inbox_;
  TerminalNotes terminal_;
};

// What is watched from before the load until the faults are reverted,
// besides the load itself: the load balancers' own view of their servers
// (for the timeline), the operator's notes, and the load target's own
// per-backend counts when it runs a team's config (null otherwise).
struct RunWatches {
  RunWatches(RunContext& run, const StackInUse& in_use);

  LbWatch lb;
  OperatorNotes notes;
  std::unique_ptr<ShareSource> shares;
};

}  // namespace faultline::runner
