#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "harness/common/clock.h"
#include "harness/platform/haproxy_runtime_api.h"
#include "harness/runner/poller.h"
#include "harness/runner/share_source.h"

namespace faultline::runner {

// Turns successive `show stat` answers into counts: each server's req_tot
// (the requests it answered, platform::StatRow::requests) less what it was
// at the read before, summed per service of the plan, found by the
// server's address.
class CounterDeltas {
 public:
  explicit CounterDeltas(stack::Plan plan) : plan_(std::move(plan)) {}

  // The counts one read adds, stamped `at_ns`, one per service that
  // answered since the read before. The first read only notes where each
  // counter stands: what came before the source started was the
  // bring-up's. A server first seen in a later read counts from zero (a
  // reload brought it in), and so does a counter lower than before (a
  // reloaded HAProxy starts counting again). Rows other than servers, and
  // servers without a count, are passed over.
  std::vector<verify::BackendCount> add_read(const std::vector<platform::StatRow>& rows, int64_t at_ns);

  // The servers whose requests counted as unknown ("api/s9 at
  // 10.9.9.9:80"): at an address no service of the plan has.
  const std::set<std::string>& unknown_servers() const { return unknown_; }

 private:
  stack::Plan plan_;
  bool primed_ = false;
  std::map<std::string, uint64_t> last_;  // "proxy/server" -> req_tot at the read before
  std::set<std::string> unknown_;
};

// HAProxy's own per-server counters, read through its runtime API every
// interval on a thread of its own (a paused HAProxy must not hold up the
// runner). Each read's increase counts at the moment the answer came, so
// it lands in the window that read falls in; a read that fails (a paused,
// killed or reloading HAProxy) is skipped and the next one counts the
// increase since the last that succeeded.
class HaproxyCounters : public ShareSource {
 public:
  HaproxyCounters(const std::string& service, const std::string& socket, const stack::Plan& plan,
                  const RunClock& clock, Duration interval);
  ~HaproxyCounters() override;

  void stop() override;

 private:
  void poll();

  platform::HaproxyRuntimeApi api_;
  const RunClock& clock_;
  CounterDeltas deltas_;  // the reading thread's alone
  Poller poller_;         // last: its thread stops before the members it reads go
};

}  // namespace faultline::runner
