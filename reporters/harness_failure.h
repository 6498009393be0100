#pragma once

#include <optional>
#include <string>

#include "harness/journal/journal.h"

// A run the harness itself stopped (a server of the stack died, bring-up
// failed), read from the journal's `failure` and `service_events[].event ==
// "died"`. Every report says so in the same words: what happened, to which
// service, when; that the figures after it are not the fault's effect; and
// that the verdict is not a result of the experiment.
namespace faultline::reporters {

struct HarnessFailure {
  std::string stage;        // "bring-up", "run"; empty when only an event says so
  std::string service;      // empty when the journal does not name one
  std::string headline;     // "service lb died", "the stack could not be brought up"
  std::string detail;       // how, one line: the event's text or the error's first line; may be empty
  std::optional<double> t;  // seconds from the start of the load
};

// Nullopt for a run the harness did not stop: no `failure`, no "died" event
// (a "crashed" event is the system under test's own behaviour).
std::optional<HarnessFailure> harness_failure(const journal::Journal& journal);

// "a harness failure stopped the run at t+4.2 s: service lb died (the
// haproxy process ... was killed by signal 9 (Killed))"; no final period.
std::string describe_harness_failure(const HarnessFailure& failure);
// The same without the detail: "a harness failure stopped the run at t+4.2 s
// (service lb died)".
std::string brief_harness_failure(const HarnessFailure& failure);

// The sentence every report adds: the figures after the failure are not the
// fault's effect, and the verdict is not a result of the experiment.
std::string harness_failure_consequence(const HarnessFailure& failure);

}  // namespace faultline::reporters
