#include "harness/load/generator.h"

#include <algorithm>
#include <cstddef>
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

bool by_intended(const Sample& a, const Sample& b) {
  return a.intended_ns < b.intended_ns;
}

// Maximum-rate mode: the shards' logs, each in the order its requests were
// handed out, merged into one list in send order.
std::vector<Sample> merge_logs(const std::vector<std::unique_ptr<LoadShard>>& shards,
                               const std::vector<std::vector<uint16_t>>& remap) {
  std::size_t total = 0;
  for (const auto& shard : shards) {
    total += shard->log().size();
  }
  std::vector<Sample> samples;
  samples.reserve(total);
  std::vector<std::size_t> bounds{0};
  for (std::size_t s = 0; s < shards.size(); ++s) {
    const SampleLog& log = shards[s]->log();
    for (uint64_t i = 0; i < log.size(); ++i) {
      Sample sample = log[i];
      sample.backend = remap[s][sample.backend];
      samples.push_back(sample);
    }
    // Hand-out order is send order except for requests that had to
    // connect first.
    const auto begin = samples.begin() + static_cast<std::ptrdiff_t>(bounds.back());
    if (!std::is_sorted(begin, samples.end(), by_intended)) {
      std::stable_sort(begin, samples.end(), by_intended);
    }
    if (bounds.back() > 0) {
      std::inplace_merge(samples.begin(), begin, samples.end(), by_intended);
    }
    bounds.push_back(samples.size());
  }
  return samples;
}

// How late the requests were taken up (open model).
void add_lateness(const SampleSlots& slots, LoadResult& result) {
  std::vector<int64_t> lateness;
  lateness.reserve(slots.lateness.size());
  for (const int64_t l : slots.lateness) {
    if (l >= 0) {
      lateness.push_back(l);
    }
  }
  if (lateness.empty()) {
    return;
  }
  result.send_lateness_max_ns = *std::max_element(lateness.begin(), lateness.end());
  const std::size_t rank = (lateness.size() * 99 + 99) / 100;  // ceil(0.99 n)
  const auto p99 = lateness.begin() + static_cast<std::ptrdiff_t>(rank - 1);
  std::nth_element(lateness.begin(), p99, lateness.end());
  result.send_lateness_p99_ns = *p99;
}

// The connection limit in force: maximum-rate mode keeps its fixed pool
// (its rate is what the connections can carry, as with wrk).
int connection_limit(const LoadSpec& spec, int connections) {
  if (spec.max_rate) {
    return connections;
  }
  if (spec.max_connections <= 0) {
    return default_max_connections(connections, spec.rate, spec.timeout);
  }
  return std::max(connections, spec.max_connections);
}

}  // namespace

LoadGenerator::LoadGenerator(LoadSpec spec, const RunClock& clock) : spec_(std::move(spec)), clock_(clock) {}

LoadResult LoadGenerator::run(int64_t start_ns) {
  const LoadPlan plan = make_plan(spec_, start_ns);
  const int connections = std::max(1, spec_.connections);
  const int shard_count = std::clamp(spec_.threads, 1, connections);
  ConnectionBudget budget(connections, connection_limit(spec_, connections));

  // One slot per scheduled request, allocated before the first request so
  // that recording a sample never allocates.
  SampleSlots slots;
  slots.samples.resize(plan.count);
  slots.recorded.resize(plan.count);
  slots.lateness.assign(plan.count, -1);

  std::vector<std::unique_ptr<LoadShard>> shards;
  for (int s = 0; s < shard_count; ++s) {
    const int share = connections / shard_count + (s < connections % shard_count ? 1 : 0);
    shards.push_back(std::make_unique<LoadShard>(plan, clock_, s, shard_count, share, budget, stop_,
                                                 progress_, slots, spec_.live ? &feed_ : nullptr));
  }
  {
    std::vector<std::jthread> threads;
    for (std::size_t s = 1; s < shards.size(); ++s) {
      threads.emplace_back([&shard = *shards[s]] { shard.run(); });
    }
    shards[0]->run();
  }

  LoadResult result;
  result.request_names = request_names(spec_);
  result.start_ns = start_ns;
  result.end_ns = start_ns;
  result.max_connections = budget.limit();
  result.peak_connections = budget.open();
  const auto remap = merge_backends(shards, result.backends);
  for (const auto& shard : shards) {
    result.not_sent += shard->not_sent();
    result.late_sends += shard->late_sends();
    result.expired_unsent += shard->expired_unsent();
    result.connection_limit_waits += shard->connection_limit_waits();
    result.retried += shard->retried();
    result.tls_handshakes += shard->tls_handshakes();
    result.tls_resumed += shard->tls_resumed();
    for (const auto& [reason, n] : shard->tls_errors()) {
      result.tls_errors[reason] += n;
    }
    result.end_ns = std::max(result.end_ns, shard->schedule_end_ns());
  }
  if (plan.closed_loop) {
    result.samples = merge_logs(shards, remap);
    return result;
  }
  result.late_threshold_ns = plan.late_threshold_ns;
  add_lateness(slots, result);

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

bool LoadGenerator::take_completed(LoadResult& into) {
  if (!spec_.live) {
    return false;
  }
  feed_.take(into);
  if (into.request_names.size() != std::max<std::size_t>(1, spec_.requests.size())) {
    into.request_names = request_names(spec_);
  }
  return true;
}

std::vector<std::string> request_names(const LoadSpec& spec) {
  if (spec.requests.empty()) {
    return {"default"};
  }
  std::vector<std::string> names;
  names.reserve(spec.requests.size());
  for (const auto& r : spec.requests) {
    names.push_back(r.name);
  }
  return names;
}

}  // namespace faultline::load
