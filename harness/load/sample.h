#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace faultline::load {

// Transport-level outcome of a request; HTTP status codes are kept apart in
// Sample::status.
enum class ErrorClass : uint8_t {
  none = 0,
  connect_refused,
  connect_timeout,
  response_timeout,
  reset,
  other,
  // The TLS handshake failed (LoadResult::tls_errors says why).
  tls,
};

std::string to_string(ErrorClass e);

// One request, as measured. Times are ns since the run clock's origin.
// `intended_ns` is when the open-model schedule said the request should be
// sent; latency counted from it includes any time the request waited for a
// free connection (coordinated omission corrected, as wrk2 does).
struct Sample {
  int64_t intended_ns = 0;
  // When the request was written. A request that was never written (its
  // connect failed, or it timed out waiting for a connection) has
  // sent_ns == done_ns.
  int64_t sent_ns = 0;
  int64_t done_ns = 0;
  uint16_t status = 0;  // HTTP status; 0 when there was no response
  ErrorClass error = ErrorClass::none;
  // Which template of the request mix (LoadResult::request_names) this
  // was. In the byte of padding after `error`, so a Sample stays 40 bytes.
  uint8_t request = 0;
  uint16_t backend = 0;  // index into LoadResult::backends; 0 = unknown
  uint32_t user = 0;     // virtual user id

  int64_t latency_ns() const { return done_ns - intended_ns; }
  int64_t service_ns() const { return done_ns - sent_ns; }
  bool failed() const { return error != ErrorClass::none || status >= 500; }
};
// Millions of samples are kept per run: the request index must not grow it.
static_assert(sizeof(Sample) == 40, "Sample grew: the request index belongs in its padding");

struct LoadResult {
  std::vector<Sample> samples;
  // backends[0] is "" (unknown / no header); others in order of first sight.
  std::vector<std::string> backends{""};
  // The names of the request mix's templates, indexed by Sample::request
  // (one, "default", without a mix).
  std::vector<std::string> request_names{"default"};
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  uint64_t not_sent = 0;  // scheduled but never sent before the load ended
  // Whether the generator kept its schedule (open model only; all 0 in
  // maximum-rate mode). A request's send lateness is the time from its
  // intended time to when the generator took it up: its write on a
  // kept-alive connection, or the start of the connect opened for it (the
  // connect and handshake are the target's time, in its latency); retries
  // after a dropped keep-alive connection do not count again.
  int64_t late_threshold_ns = 0;     // LoadSpec::late_threshold
  uint64_t late_sends = 0;           // taken up more than late_threshold_ns late
  int64_t send_lateness_max_ns = 0;  // over every request taken up
  int64_t send_lateness_p99_ns = 0;  // nearest rank, over the same requests
  // Requests that reached their timeout while waiting for a free
  // connection: never written, recorded as response_timeout samples.
  uint64_t expired_unsent = 0;
  // The connection pool (all threads). A request due while every connection
  // is busy gets a new one up to max_connections; only past that does it
  // wait, and then it counts in connection_limit_waits (open model only; 0
  // in maximum-rate mode, where the pool is fixed at LoadSpec::connections
  // and max_connections says so). The pool never shrinks during a load, so
  // peak_connections is also its size at the end.
  uint64_t connection_limit_waits = 0;
  int peak_connections = 0;
  int max_connections = 0;  // the limit in force
  // Requests sent again on a new connection because the kept-alive one they
  // were written on was closed by the server before any byte of response
  // (it had dropped the idle connection). At most once per request; the
  // retry is not a failure and not a late send.
  uint64_t retried = 0;

  // --- HTTPS (issue 21) ---
  // Handshakes completed, and how many of them resumed a session the
  // server had given before (the shard offers its newest one whenever it
  // opens a connection). tls_errors counts failed handshakes by reason,
  // as OpenSSL words it: each failed one is also a request recorded as
  // ErrorClass::tls.
  uint64_t tls_handshakes = 0;
  uint64_t tls_resumed = 0;
  std::map<std::string, uint64_t> tls_errors;
  // --- end of HTTPS ---
};

}  // namespace faultline::load
