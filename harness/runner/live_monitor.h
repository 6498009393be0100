#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/units.h"
#include "harness/load/sample.h"
#include "harness/runner/abort_rule.h"
#include "harness/runner/live_samples.h"
#include "harness/runner/share_source.h"
#include "harness/verify/backend_counts.h"
#include "harness/verify/verdict.h"
#include "harness/verify/window.h"

namespace faultline::runner {

// Why the steady-state gate stopped a run: the first window of the
// steady-state period in which an objective did not hold.
struct SteadyStateFailure {
  std::string objective;        // its name
  std::string expr;             // as written
  std::optional<double> value;  // in that window; nullopt if it could not be measured
  std::string value_text;       // "4.20%", "312 ms", or "no data"
  int64_t window_start_ns = 0;
  int64_t window_end_ns = 0;
};

// An abort condition that held over its whole duration.
struct AbortTrigger {
  size_t rule = 0;         // index into the rules
  std::string condition;   // as written
  int64_t since_ns = 0;    // start of the first window of the run of windows in which it held
  int64_t until_ns = 0;    // end of the last one
  double value = 0;        // in the last window
  std::string value_text;  // e.g. "62.0%"
};

// What the progress line shows: the requests that finished since the
// previous call.
struct RecentLoad {
  uint64_t completed = 0;
  uint64_t failed = 0;
  double rate = 0;  // completed per second
  std::optional<double> p99_ms;
};

// Judges the run while it goes on, from the samples that have finished so
// far. A window (of the load's timeline, starting at load start) is final
// once every request intended in it has finished or timed out: `settle`
// (the load's timeout plus a margin) after its end. Abort conditions are
// judged on final windows only, so a request still in flight never skews a
// rate; the steady-state gate, which cannot wait, judges the windows of its
// period on what has finished when the first fault is due.
class LiveMonitor {
 public:
  LiveMonitor(int64_t load_start_ns, Duration window, Duration settle,
              std::vector<verify::NamedObjective> objectives, std::vector<AbortRule> rules);

  // Takes the samples completed since the previous pull, and the counts
  // `shares` read since then when the load target has a share source: the
  // windows judged here take their backends from those counts until a
  // response names its backend (as the windows of the analysis do).
  void pull(LiveSamples& source, ShareSource* shares = nullptr);

  // The first objective that did not hold in a window of [from_ns, to_ns),
  // windows of the SLO width (shorter if the period is), from `from_ns`;
  // nullopt when every objective held throughout. A window without requests
  // counts as holding, as in the verdict.
  std::optional<SteadyStateFailure> check_steady_state(int64_t from_ns, int64_t to_ns) const;

  // The first rule whose condition was true in each of the latest final
  // windows spanning its duration (at least one window); nullopt when none.
  // A window where the metric cannot be measured (no requests) breaks a run.
  std::optional<AbortTrigger> check_abort(int64_t now_ns);

  // The requests handed over since the previous call (or since the start).
  RecentLoad take_recent(int64_t now_ns);

  // Drops the samples no check needs any more, so a long run does not hold
  // every sample twice: those take_recent has reported whose window is
  // final (or, without abort rules, intended more than `settle` ago), and
  // the share source's counts stamped before the same moment. Call it once
  // the steady-state gate has been judged, which needs its period.
  void forget_settled(int64_t now_ns);

  const std::vector<verify::WindowStats>& final_windows() const { return final_windows_; }
  size_t samples_seen() const { return seen_.samples.size(); }

 private:
  // Replaces the windows' backends with the share source's counts while
  // those are the basis.
  void count_shares(std::vector<verify::WindowStats>& windows) const;

  int64_t load_start_ns_;
  Duration window_;
  Duration settle_;
  std::vector<verify::NamedObjective> objectives_;
  std::vector<AbortRule> rules_;
  std::vector<std::string> split_;  // request names the checks filter on
  load::LoadResult seen_;
  bool header_seen_ = false;   // some sample named its backend
  bool source_given_ = false;  // pull had a share source
  std::vector<verify::BackendCount> counts_;
  std::vector<verify::WindowStats> final_windows_;
  size_t recent_from_ = 0;
  int64_t recent_since_ns_;
};

}  // namespace faultline::runner
