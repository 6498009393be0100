#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "harness/common/clock.h"
#include "harness/common/units.h"
#include "harness/platform/haproxy_runtime_api.h"
#include "harness/runner/poller.h"
#include "harness/stack/stack.h"

namespace faultline::runner {

// A change of one server's state as its load balancer saw it: HAProxy
// marking a server DOWN after failed health checks, UP again, or a server
// put into maintenance or drain. These are the lines of an incident
// timeline that only the load balancer knows.
struct LbEvent {
  int64_t at_ns = 0;  // on the run clock, when the poll saw it
  std::string service;
  std::string server;
  std::string from;  // UP, DOWN, STARTING, STOPPING, MAINT, DRAIN
  std::string to;
  std::string text;  // "lb marked web2 DOWN"
};

// The state word for one row of `show servers state`: the forced or
// inherited administrative states first (maintenance, drain), then the
// operational one (srv_op_state 0 stopped, 1 starting, 2 running, 3
// stopping). "" when the row lacks the columns.
std::string server_state_word(const platform::HaproxyRuntimeApi::ServerRow& row);

// Compares one poll's rows with the states seen before and appends an event
// per server whose state word changed. The first sight of a server records
// its state without an event. `qualify`: rows of several backends, each
// server named "backend/server".
void diff_server_states(const std::string& service,
                        const std::vector<platform::HaproxyRuntimeApi::ServerRow>& rows, int64_t now_ns,
                        std::map<std::string, std::string>& known, std::vector<LbEvent>& events,
                        bool qualify = false);

// Polls every HAProxy of the stack on a thread of its own (a paused
// HAProxy must not hold up the runner's timeline) every `interval`, until
// stop() or destruction. nginx has no runtime API and no active health
// checks, so it yields no events. Polls that fail (a killed or reloading
// HAProxy) are skipped: the state is compared again at the next one.
class LbWatch {
 public:
  LbWatch(const stack::RunningStack& stack, const RunClock& clock, Duration interval);
  ~LbWatch();
  LbWatch(const LbWatch&) = delete;
  LbWatch& operator=(const LbWatch&) = delete;

  void stop();
  // The events so far, in the order they were seen.
  std::vector<LbEvent> events() const;

 private:
  struct Target {
    std::string service;
    std::string backend;
    platform::HaproxyRuntimeApi api;
    std::map<std::string, std::string> known;  // server -> state word
  };
  void poll_all();

  const RunClock& clock_;
  std::vector<Target> targets_;
  mutable std::mutex mutex_;
  std::vector<LbEvent> events_;
  Poller poller_;  // last: its thread stops before the members it reads go
};

}  // namespace faultline::runner
