#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "harness/common/clock.h"
#include "harness/common/units.h"
#include "harness/load/connection_limit.h"
#include "harness/load/live_feed.h"
#include "harness/load/sample.h"

namespace faultline::load {

// ---- Weighted request mix ----
// One kind of request of the load's mix. The generator serializes each
// once (request line, Host, User-Agent, these headers, Content-Length when
// there is a body or the method carries one) and sends those exact bytes.
struct RequestSpec {
  std::string name = "default";
  std::string method = "GET";
  std::string path = "/";
  double weight = 1;  // relative to the others'; must be more than 0
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string body{};
};
// A Sample names its template in one byte.
inline constexpr std::size_t kMaxRequestSpecs = 255;
struct LoadSpec;
// The templates' names, by Sample::request ({"default"} without a mix).
std::vector<std::string> request_names(const LoadSpec& spec);
// ---- end of the request mix ----

struct LoadSpec {
  std::string host;  // dotted quad
  int port = 80;
  std::string path = "/";
  double rate = 100;  // requests per second
  // Keep-alive connections opened before the first request.
  int connections = 16;
  // Open model: when a request is due and every connection is busy, a new
  // one is opened for it, up to this many in all (over every thread), as
  // k6 adds VUs up to maxVUs; only then does the request wait. 0 (or less)
  // takes default_max_connections(connections, rate, timeout); a value
  // below `connections` counts as `connections`. Maximum-rate mode keeps
  // exactly `connections`.
  int max_connections = 0;
  int users = 100;
  Duration timeout = std::chrono::seconds(2);
  Duration duration = std::chrono::seconds(30);
  std::string backend_header = "X-Backend";
  // Sent as the User-Agent header so the servers' logs can tell the load
  // from other traffic; empty leaves the header out. The request carries
  // no other header than Host: every header costs the server parsing time
  // (two more headers cost nginx about 10% of its rate in bench/load_vs_wrk).
  std::string user_agent = "faultline";
  // Event-loop threads; each owns a share of the connections and of the
  // schedule. One is plenty on a machine whose cores also run the stack
  // under test; more only help when the generator itself is the limit.
  int threads = 1;
  // Rate ramp: the arrival rate grows linearly from 0 to `rate` over this
  // long at the start of the load, then stays at `rate` (0: full rate at
  // once). Part of `duration`. Intended times follow the integrated rate
  // exactly: request i is due when rate * t^2 / (2 * ramp) reaches i, so
  // the ramp carries rate * ramp / 2 requests.
  Duration ramp{0};
  // Maximum-rate mode, for benchmarks: every connection sends its next
  // request as soon as the previous answer is in (closed loop, as wrk
  // does); `rate` and `ramp` are ignored and latency counts from the send.
  // Each thread runs its own share of the connections; use as many threads
  // as the generator may have cores.
  bool max_rate = false;
  // A request written more than this after its intended time counts as a
  // late send (LoadResult::late_sends): the generator, or the pool of
  // connections, did not keep the rate. Not used in maximum-rate mode.
  Duration late_threshold = std::chrono::milliseconds(1);
  // Hand samples over while the load runs (LoadGenerator::take_completed).
  // Off by default: it copies each sample once more.
  bool live = false;
  // ---- request mix ----
  // The templates, picked per request by weight (see LoadPlan::template_of);
  // empty: one GET of `path`, named "default". At most kMaxRequestSpecs.
  std::vector<RequestSpec> requests{};
  // The same seed gives the same template for every request number,
  // whatever the threads; another seed gives another sequence.
  uint64_t seed = 1;
  // ---- end of the request mix ----

  // --- HTTPS (issue 21) ---
  // Each connection does a TLS handshake after connect (its time counts in
  // the request's latency, as the connect's does); a shard offers the
  // newest session it was given when it opens a connection again.
  bool https = false;
  std::string ca_file = {};  // PEM: the CAs trusted; empty: the system's
  bool insecure = false;     // verify nothing
  // Sent as SNI and checked against the certificate's names; empty: no
  // SNI, and the certificate must carry the host's address.
  std::string sni = {};
  // Offer the newest session on a new connection (resumption); false: every
  // connection makes a full handshake and checks the certificate, as a
  // client without a session cache does.
  bool resume = true;
  // --- end of HTTPS ---
};

// Live counters, readable from another thread while the load runs. Each
// event-loop thread adds its counts every few milliseconds (every timeout
// sweep, at most 10 ms apart) rather than per request, so the threads do
// not contend for these cache lines; they are exact once run() returns.
struct LoadProgress {
  std::atomic<uint64_t> sent{0};
  std::atomic<uint64_t> completed{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<uint64_t> late{0};  // late sends so far: see LoadResult::late_sends
};

// Open-model HTTP/1.1 load: requests are scheduled at a constant arrival
// rate regardless of how fast responses come back, over keep-alive
// connections. `connections` of them are opened before the first request;
// a request that finds none free gets a new one, up to `max_connections`
// in all, so a target that holds some requests (a paused backend behind a
// load balancer) does not delay the others. Connections opened this way
// stay open until the load ends: reopening one would put a handshake on a
// later request's latency, the pool is bounded anyway, and a server that
// drops an idle one costs a counted retry, not a failure. Only with every
// connection busy and the limit reached does a request wait for one (its
// latency still counts from its scheduled time). Reconnects after errors.
// The load always ends by itself after `duration`.
//
// Guarantees of the result:
// - one Sample per request whose intended time came before the end, except
//   those still waiting for a connection when stop() was called (counted
//   in not_sent); so a dead target still yields the open-model number of
//   samples, all failed;
// - samples are in intended order (request i at start_ns + i / rate); a
//   request goes out at its intended time, or up to 0.1 ms later at rates
//   where the scheduler issues requests in 0.1 ms ticks (about 10k/s and
//   up), plus a handshake when it opens a connection; any delay counts in
//   its latency;
// - below the connection limit, requests the target holds never delay the
//   others: a request waits only when connection_limit_waits says so. With
//   the default limit (every request that can be in flight at once gets a
//   connection: see default_max_connections) that happens only when the
//   cap of kDefaultConnectionLimitCap binds;
// - `timeout` runs from the intended time, like a user's patience: a
//   request that waited for a connection has that much less time on the
//   wire. Past it, a request is recorded as connect_timeout if it was still
//   connecting, response_timeout otherwise (also when it never left the
//   queue), and its connection is closed. Timeouts are noticed within
//   timeout / 50 (clamped to 1..10 ms) of the deadline;
// - a request that fails before any byte of response on a kept-alive
//   connection (the server closed it while idle) is retried once on a new
//   connection, as a browser does; its sent_ns is the last attempt's, and
//   it counts in LoadResult::retried;
// - LoadResult::end_ns is where the schedule ended: start_ns + duration, or
//   the moment stop() was noticed;
// - whether the generator kept the rate is in the result: late_sends counts
//   requests taken up more than spec.late_threshold after their intended
//   time (the connection limit was reached, or the generator's loop was
//   behind; a request is taken up when it is written on a kept-alive
//   connection or its new connection starts connecting, so a slow connect
//   or handshake is the target's latency, not lateness),
//   send_lateness_max_ns / send_lateness_p99_ns describe how late requests
//   were taken up, expired_unsent counts requests that
//   timed out without ever being written and not_sent those still waiting
//   at stop() (the two together are k6's "dropped iterations");
//   connection_limit_waits, peak_connections and max_connections say
//   whether the connection limit was the cause.
//
// In maximum-rate mode (spec.max_rate) there is no schedule: from start_ns
// to the end each of the `connections` connections (no more are opened)
// sends its next request as soon as it is free (and reconnects at once
// after an error), as wrk does. Every request still gets one Sample, in
// send order; its intended_ns is its send time, so latency_ns() ==
// service_ns(), except for a request never written (its connect failed or
// timed out), whose intended_ns is when it was handed to the connection.
// `timeout` runs from that same time. The late-send fields, not_sent and
// connection_limit_waits stay 0; retried counts as in the open model.
// Recording costs no allocation per request (samples go into chunks of
// 64k, and connections are only allocated when the pool grows) and no lock.
class LoadGenerator {
 public:
  LoadGenerator(LoadSpec spec, const RunClock& clock);

  // Blocks until the duration has elapsed (measured from `start_ns`) or
  // stop() is called, then waits at most `timeout` for requests in flight.
  // `start_ns` may lie ahead (connections are opened meanwhile) or behind
  // (the requests already due are issued at once). Throws
  // std::invalid_argument when spec.host is not an IPv4 address.
  LoadResult run(int64_t start_ns);

  // Ends the load early; safe from any thread.
  void stop() { stop_.store(true); }

  const LoadProgress& progress() const { return progress_; }

  // With spec.live: appends to `into.samples` the samples completed since
  // the previous call, at most about 10 ms old, in no particular order, and
  // makes `into.backends` name every backend index they carry (indices
  // already handed out keep their meaning). Safe from any thread while
  // run() goes on. Returns false, taking nothing, without spec.live. The
  // samples are copies: run()'s result still holds every one of them.
  bool take_completed(LoadResult& into);
  bool live() const { return spec_.live; }

 private:
  LoadSpec spec_;
  const RunClock& clock_;
  std::atomic<bool> stop_{false};
  LoadProgress progress_;
  LiveFeed feed_;
};

}  // namespace faultline::load
