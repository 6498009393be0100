#include "harness/runner/phases/analyse.h"

#include <fmt/format.h>

#include <cstring>
#include <string>
#include <vector>

#include "harness/runner/load_delivery.h"
#include "harness/runner/shares_basis.h"

namespace faultline::runner {

namespace {

std::string fault_label(const FaultRecord& f, size_t index) {
  return fmt::format("fault {} ({} on {})", index + 1, f.bound->step->fault, f.bound->step->target);
}

// A run that went to its end proves nothing when a fault was not in force
// as planned or the load was not the one asked for; the reasons, one
// sentence each, for the journal and every report.
std::vector<std::string> reasons_not_proven(const RunRecord& rec, const LoadDelivery& delivery) {
  std::vector<std::string> reasons;
  for (size_t i = 0; i < rec.faults.size(); ++i) {
    const auto& f = rec.faults[i];
    if (f.inject_failed) {
      reasons.push_back(fmt::format("{} did not apply: {}", fault_label(f, i), f.error));
    } else if (f.revert_failed) {
      reasons.push_back(fmt::format("{} could not be reverted: {}", fault_label(f, i), f.error));
    }
  }
  for (const auto& p : delivery.problems) {
    reasons.push_back("the load was not delivered: " + p);
  }
  return reasons;
}

}  // namespace

void analyse_run(RunContext& run) {
  auto& rec = run.rec;
  if (rec.status == RunStatus::interrupted) {
    rec.signal = run.signal();
    rec.error = rec.error.empty()
                    ? fmt::format("interrupted by signal {} ({})", rec.signal, strsignal(rec.signal))
                    : rec.error;
  }
  if (rec.load_start_ns >= 0 && rec.load_end_ns > rec.load_start_ns) {
    rec.windows = verify::build_windows(rec.load, run.v.exp.slo.window, rec.load_start_ns, rec.load_end_ns,
                                        filtered_requests(run.v));
    // Before the verdict: share objectives judge these counts.
    if (const auto* counts = source_counts(rec)) {
      verify::count_backends_by_time(rec.windows, *counts);
    }
    rec.verdict = verify::evaluate(run.v.objectives, rec.windows);
  }
  // Only a run that went to its end can be called unproven; one stopped
  // early already says why it states no verdict.
  if (rec.status == RunStatus::completed) {
    rec.not_proven = reasons_not_proven(rec, judge_delivery(rec.load));
    if (!rec.not_proven.empty()) {
      rec.status = RunStatus::not_proven;
      rec.error = fmt::format("the run proves nothing: {}", fmt::join(rec.not_proven, "; "));
    }
  }
}

}  // namespace faultline::runner
