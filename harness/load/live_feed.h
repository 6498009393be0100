#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "harness/load/sample.h"

namespace faultline::load {

// Samples handed from the load's event loops to a reader while the load
// runs (the runner's steady-state gate, abort conditions and progress p99).
// Each shard batches the samples it completes and publishes the batch with
// its progress counters, at most every 10 ms, so the lock is taken about a
// hundred times a second per shard, never per request.
//
// Backend indices: a shard numbers backends on its own; publish() rewrites
// a batch into the feed's numbering, in which indices only ever get added,
// so an index handed to the reader keeps its meaning.
class LiveFeed {
 public:
  // Moves `batch` into the feed (leaving it empty, its capacity kept).
  // `names` is the shard's backend table and `remap` its translation into
  // the feed's numbering, owned by the shard and extended here.
  void publish(std::vector<Sample>& batch, const std::vector<std::string>& names,
               std::vector<uint16_t>& remap);

  // Appends every sample published since the previous call to
  // `into.samples` (in publication order, not intended order) and makes
  // `into.backends` the feed's backend table.
  void take(LoadResult& into);

 private:
  std::mutex mutex_;
  std::vector<std::string> names_{""};
  std::vector<Sample> pending_;
};

}  // namespace faultline::load
