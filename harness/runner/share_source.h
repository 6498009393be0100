#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "harness/common/clock.h"
#include "harness/common/units.h"
#include "harness/stack/stack.h"
#include "harness/verify/backend_counts.h"

namespace faultline::runner {

// What the shares of a run were counted from, for the journal's
// `shares_basis`: "response-header" (the load's backend_header, named in
// each response), "haproxy-counters" or "nginx-access-log".
struct SharesBasis {
  std::string source;
  std::string detail;                // a phrase: "HAProxy's own per-server request counters on lb (...)"
  std::optional<Duration> interval;  // how often the source was read
  // Servers that answered requests at an address no service of the stack
  // has ("api/s9 at 10.9.9.9:80"): their requests count as unknown.
  std::vector<std::string> unknown_servers;
};

// A second source of per-backend counts, for a load target that is a load
// balancer running a team's own config: the team's servers send no backend
// header, and their files are not faultline's to change, so the load
// balancer's own account of where it sent each request is read instead.
// A source reads on a thread of its own from its start until stop(); the
// live checks take what it has read so far, the analysis all of it.
class ShareSource {
 public:
  virtual ~ShareSource() = default;

  // Reads no more (after a last read where that can still add counts in
  // the load's windows). Idempotent.
  virtual void stop() = 0;
  // What the counts are, in words, with the servers counted as unknown.
  SharesBasis basis() const;

  // The counts read since the previous call, for the live checks.
  std::vector<verify::BackendCount> take_new();
  // Every count read so far, in the order they were read.
  std::vector<verify::BackendCount> all() const;

 protected:
  ShareSource(std::string source, std::string detail, Duration interval);
  // From the reading thread.
  void add(std::vector<verify::BackendCount> fresh, const std::set<std::string>& unknown_servers);

 private:
  SharesBasis basis_;
  mutable std::mutex mutex_;
  std::vector<verify::BackendCount> counts_;
  size_t taken_ = 0;
  std::set<std::string> unknown_servers_;
};

// The host part of a server address as load balancers print it:
// "10.0.0.2:9000" -> "10.0.0.2", "[::1]:80" -> "::1", "10.0.0.2" as is.
std::string host_of(const std::string& address);

// The service of the plan at `host` (an IP address), or "" when none is:
// a server is told by where it is, not by what the config calls it (a
// team may write `server s1 api1:9000`).
std::string service_at(const stack::Plan& plan, const std::string& host);

// The source for the load target `target` when it is a load balancer
// running a team's own config: HAProxy's per-server counters through its
// stats socket, or nginx's upstream log (ServiceInstance::upstream_log);
// nullptr for any other target (faultline's own backends send the header).
// Reads every `interval`, stamping on `clock`.
std::unique_ptr<ShareSource> share_source_for(const stack::RunningStack& stack, const std::string& target,
                                              const RunClock& clock, Duration interval);

}  // namespace faultline::runner
