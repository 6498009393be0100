#include "harness/runner/phases/watches.h"

#include <fmt/format.h>

namespace faultline::runner {

using namespace std::chrono_literals;

OperatorNotes::OperatorNotes(const std::string& run_dir, Progress& progress)
    : inbox_(note_inbox_path(run_dir)) {
  // Without a terminal (CI, a pipe) only `faultline note` can add notes.
  progress.message(
      terminal_.enabled()
          ? "game-day notes: type a line here, or run 'faultline note \"text\"' from another terminal"
          : "game-day notes: run 'faultline note \"text\"' from another terminal");
}

void OperatorNotes::take(RunContext& run) {
  auto lines = inbox_.take();
  for (auto& line : terminal_.take()) {
    lines.push_back(std::move(line));
  }
  for (auto& line : lines) {
    run.progress.message(fmt::format("note: {}", line));
    run.rec.notes.push_back({run.now_ns(), std::move(line), "operator"});
  }
}

// The watch stamps its events with the run clock on a thread of its own
// (a paused HAProxy must not hold up the timeline), not with the clock of
// the runner's schedule; so does the share source, whose counts are read
// every 100 ms: each read's counts land in one window, and a 1 s window
// then takes ten of them.
RunWatches::RunWatches(RunContext& run, const StackInUse& in_use)
    : lb(*in_use.stack, run.rec.clock, 250ms),
      notes(in_use.identity.run_dir, run.progress),
      shares(share_source_for(*in_use.stack, run.v.exp.load.target, run.rec.clock, 100ms)) {}

}  // namespace faultline::runner
