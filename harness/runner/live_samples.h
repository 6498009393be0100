#pragma once

#include <memory>

#include "harness/load/generator.h"
#include "harness/load/sample.h"

namespace faultline::runner {

// Requests that have finished so far, read while the load runs: what the
// steady-state gate, the abort conditions and the progress line's p99 are
// judged on. Real runs read them from the load generator (LoadSpec::live);
// tests feed their own.
class LiveSamples {
 public:
  virtual ~LiveSamples() = default;

  // Appends to `into.samples` every sample completed since the previous
  // call (in any order), and extends `into.backends` so that every appended
  // sample's backend index names its backend; indices already handed out
  // keep their meaning. Safe to call from the runner's thread while the
  // load runs on others.
  virtual void take_new(load::LoadResult& into) = 0;
};

// The live view of `generator`'s samples, or nullptr when it was not made
// with LoadSpec::live; then the run goes without steady-state gate, abort
// conditions and live p99, and says so.
std::unique_ptr<LiveSamples> live_samples_of(load::LoadGenerator& generator);

}  // namespace faultline::runner
