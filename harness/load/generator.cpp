#include "harness/load/generator.h"

#include <algorithm>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "harness/load/plan.h"
#include "harness/load/shard.h"

namespace faultline::load {

namespace {

// Shards intern backend names on their own; the result numbers them in the
// order the shards list them (for one shard: order of first sight).
std::vector<std::vector<uint16_t>> merge_backends(const std::vector<std::unique_ptr<LoadShard>>& shards,
                                                  std::vector<std::string>& merged) {
  std::vector<std::vector<uint16_t>> remap(shards.size());
  for (std::size_t s = 0; s < shards.size(); ++s) {
    for (const std::string& name : shards[s]->backends().names()) {
      auto it = std::find(merged.begin(), merged.end(), name);
      if (it == merged.end()) {
        merged.push_back(name);
        it = merged.end() - 1;
      }
      remap[s].push_back(static_cast<uint16_t>(it - merged.begin()));
    }
  }
  return remap;
}

}  // namespace

LoadGenerator::LoadGenerator(LoadSpec spec, const RunClock& clock) : spec_(std::move(spec)), clock_(clock) {}

LoadResult LoadGenerator::run(int64_t start_ns) {
  const LoadPlan plan = make_plan(spec_, start_ns);
  const int connections = std::max(1, spec_.connections);
  const int shard_count = std::clamp(spec_.threads, 1, connections);

  // One slot per scheduled request, allocated before the first request so
  // that recording a sample never allocates.
  SampleSlots slots;
  slots.samples.resize(plan.count);
  slots.recorded.resize(plan.count);

  std::vector<std::unique_ptr<LoadShard>> shards;
  for (int s = 0; s < shard_count; ++s) {
    const int share = connections / shard_count + (s < connections % shard_count ? 1 : 0);
    shards.push_back(
        std::make_unique<LoadShard>(plan, clock_, s, shard_count, share, stop_, progress_, slots));
  }
  {
    std::vector<std::jthread> threads;
    for (std::size_t s = 1; s < shards.size(); ++s) {
      threads.emplace_back([&shard = *shards[s]] { shard.run(); });
    }
    shards[0]->run();
  }

  LoadResult result;
  result.start_ns = start_ns;
  result.end_ns = start_ns;
  const auto remap = merge_backends(shards, result.backends);
  for (const auto& shard : shards) {
    result.not_sent += shard->not_sent();
    result.end_ns = std::max(result.end_ns, shard->schedule_end_ns());
  }

  // Compact in place: the unrecorded slots are requests never sent.
  std::vector<Sample>& samples = slots.samples;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (slots.recorded[i] == 0) {
      continue;
    }
    Sample sample = samples[i];
    sample.backend = remap[i % shards.size()][sample.backend];
    samples[kept++] = sample;
  }
  samples.resize(kept);
  result.samples = std::move(samples);
  return result;
}

}  // namespace faultline::load
