#include "harness/runner/live_samples.h"

namespace faultline::runner {

// LoadGenerator exposes counters (LoadProgress) but not its samples until
// run() returns. Once it offers a thread-safe way to take the samples
// completed so far, an adapter over it goes here.
std::unique_ptr<LiveSamples> live_samples_of(load::LoadGenerator& /*generator*/) {
  return nullptr;
}

}  // namespace faultline::runner
