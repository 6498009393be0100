#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "harness/common/result.h"
#include "harness/common/units.h"

// A packet delayer that faultline runs itself, for kernels without sch_netem:
// rules (faults/common/queued_path.h adds them) send the target's packets to an NFQUEUE (with --queue-bypass,
// so traffic keeps flowing if faultline dies and the queue goes away); a thread reads them, holds each until
// its time has come and gives the verdict then. It does netem's delay (with uniform jitter and correlation),
// loss, duplicate (egress only) and reorder, with netem's semantics.
namespace faultline::platform {

// netem's meaning of every field; probabilities in [0, 1].
struct DelayerConfig {
  Duration delay{0};
  Duration jitter{0};            // uniform in [delay - jitter, delay + jitter]
  double delay_correlation = 0;  // of successive jitter draws
  double loss = 0;               // dropped
  double loss_correlation = 0;
  double duplicate = 0;  // sent twice (needs the packet's bytes)
  double reorder = 0;    // sent at once while the others wait `delay`
  double reorder_correlation = 0;
};

// netem's correlated random numbers: each draw leans towards the last one by
// `rho`. Deterministic given the seed, for tests.
class CorrelatedRandom {
 public:
  CorrelatedRandom(double rho, uint64_t seed);
  double next();  // in [0, 1)

 private:
  double rho_;
  double last_;
  uint64_t state_;
};

// Packets a duplicate re-sends carry this mark, and the rules that queue
// packets must skip it (`-m mark ! --mark`), or the copy would be queued
// (and duplicated) again.
inline constexpr uint32_t kDuplicateMark = 0x0fa17;

// Counters for describe() and tests.
struct DelayerStats {
  uint64_t packets = 0;
  uint64_t dropped = 0;
  uint64_t duplicated = 0;
  uint64_t reordered = 0;
};

class NfqueueDelayer {
 public:
  // Opens queue `queue_num` (bound in the calling thread's network namespace:
  // enter it first, as the stack's in_netns does) and starts the thread.
  static Result<std::unique_ptr<NfqueueDelayer>> start(uint16_t queue_num, const DelayerConfig& config);

  NfqueueDelayer(const NfqueueDelayer&) = delete;
  NfqueueDelayer& operator=(const NfqueueDelayer&) = delete;
  ~NfqueueDelayer();

  // Releases every held packet at once, stops the thread and closes the
  // queue. Idempotent.
  void stop();

  DelayerStats stats() const;
  uint16_t queue_num() const { return queue_num_; }

 private:
  struct Impl;
  NfqueueDelayer(uint16_t queue_num, std::unique_ptr<Impl> impl);

  uint16_t queue_num_;
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
};

// A queue number no other delayer of this process uses (queues are per
// namespace, but two faults may share one).
uint16_t next_queue_num();

}  // namespace faultline::platform
