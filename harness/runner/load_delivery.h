#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "harness/load/sample.h"

namespace faultline::runner {

// A request sent this much after its intended time was not delivered on
// schedule: users of an open system do not wait for a free connection, so
// a generator that holds requests back measures a different load.
inline constexpr std::chrono::milliseconds kLateSendThreshold{10};
// Share of the requests that may go out late (or wait for a connection)
// before the run's figures stop counting as the load the experiment asked
// for. Scheduler hiccups of a loaded machine stay well under it.
inline constexpr double kMaxLateShare = 0.01;

// Whether the load generator delivered the experiment's load, in figures.
struct LoadDelivery {
  uint64_t requests = 0;        // scheduled requests with a sample
  uint64_t late = 0;            // started more than kLateSendThreshold after their intended time
  uint64_t expired_unsent = 0;  // timed out before they could be written
  // Requests that found every connection busy and the limit
  // (load.max_connections) reached, so waited for one.
  uint64_t connection_limit_waits = 0;
  // One sentence per way the load fell short; empty when it was delivered.
  std::vector<std::string> problems;
  bool delivered() const { return problems.empty(); }
};

// Judges a finished load, run with LoadSpec::late_threshold =
// kLateSendThreshold (the result carries the threshold it counted with).
LoadDelivery judge_delivery(const load::LoadResult& load);

}  // namespace faultline::runner
