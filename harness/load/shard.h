#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness/common/clock.h"
#include "harness/load/backend_names.h"
#include "harness/load/connection.h"
#include "harness/load/generator.h"
#include "harness/load/live_feed.h"
#include "harness/load/plan.h"
#include "harness/load/sample.h"
#include "harness/load/sample_log.h"
#include "harness/load/tls_client.h"

namespace faultline::load {

// Where the shards of one run write their samples. Request i owns slot i of
// both vectors, and a request belongs to exactly one shard, so shards on
// different threads never write the same element.
struct SampleSlots {
  std::vector<Sample> samples;
  std::vector<uint8_t> recorded;  // 1 once samples[i] holds an outcome
  // First write's delay after the intended time; -1 while never written.
  std::vector<int64_t> lateness;
};

// The connection limit of one load run, shared by its shards: a shard takes
// a place here before it opens a connection beyond its pre-opened share.
// Places are never given back (the pool does not shrink during a load), so
// the count is also the pool's peak. Touched only when a pool grows, so the
// atomic costs nothing per request.
class ConnectionBudget {
 public:
  ConnectionBudget(int opened, int limit) : limit_(limit), open_(opened) {}
  ConnectionBudget(const ConnectionBudget&) = delete;
  ConnectionBudget& operator=(const ConnectionBudget&) = delete;

  int limit() const { return limit_; }
  int open() const { return open_.load(std::memory_order_relaxed); }
  // One more connection, if the limit allows it.
  bool take() {
    int open = open_.load(std::memory_order_relaxed);
    while (open < limit_) {
      if (open_.compare_exchange_weak(open, open + 1, std::memory_order_relaxed)) {
        return true;
      }
    }
    return false;
  }

 private:
  const int limit_;
  std::atomic<int> open_;
};

// One event loop's share of a load run: the requests i with
// i % shards == index, and its own keep-alive connections. Everything in a
// shard runs on the thread that calls run(), so nothing in it is locked.
//
// Requests are issued at their intended time to an idle connection, else to
// a closed one (which connects first), else to a new connection if the
// budget has room (open model only), else they wait in a FIFO. Because
// requests are issued in order and only wait when something is already
// waiting, the FIFO is always a contiguous range of request numbers: two
// counters, no allocation. The vectors that track connections are sized
// for the whole budget up front, so growing the pool allocates only the
// new connection itself.
//
// In maximum-rate mode (plan.closed_loop) there is no schedule: between
// start and end every free connection is given a new request at once, and
// the shard keeps its own samples in a SampleLog, numbered in the order
// the requests were handed out.
class LoadShard {
 public:
  // `connections` are opened at run(); they are already counted in `budget`.
  LoadShard(const LoadPlan& plan, const RunClock& clock, int index, int shards, int connections,
            ConnectionBudget& budget, const std::atomic<bool>& stop, LoadProgress& progress,
            SampleSlots& slots, LiveFeed* feed);
  ~LoadShard();
  LoadShard(const LoadShard&) = delete;
  LoadShard& operator=(const LoadShard&) = delete;

  // Runs the shard's schedule to its end (or until stop), then lets every
  // request in flight finish or reach its deadline.
  void run();

  uint64_t not_sent() const { return not_sent_; }
  uint64_t late_sends() const { return late_total_; }
  uint64_t expired_unsent() const { return expired_unsent_; }
  uint64_t connection_limit_waits() const { return limit_waits_; }
  uint64_t retried() const { return retried_; }
  // The maximum-rate mode's samples.
  const SampleLog& log() const { return log_; }
  int64_t schedule_end_ns() const { return schedule_end_ns_; }
  const BackendNames& backends() const { return backends_; }

  // Called by its connections.
  const LoadPlan& plan() const { return plan_; }
  // The bytes to send for `request` (its template of the mix).
  const RequestBytes& request_bytes(uint64_t request) { return plan_.templates[sample(request).request]; }
  int64_t now_ns() const { return clock_.now_ns(); }
  BackendNames& backend_names() { return backends_; }
  void on_sent(uint64_t request, bool first_attempt);
  void on_response(uint64_t request, int status, uint16_t backend);
  void on_failure(uint64_t request, ErrorClass error);
  // The request is sent again on a fresh connection (see Connection).
  void on_retry() { ++retried_; }
  // --- HTTPS (issue 21) ---
  TlsSessionSlot& tls_session() { return tls_session_; }
  void on_tls_handshake(bool resumed) {
    ++tls_handshakes_;
    tls_resumed_ += resumed ? 1 : 0;
  }
  // A failed handshake, before the connection records its request as
  // ErrorClass::tls. Failures only: the map's allocation is off the
  // path of a request that succeeds.
  void on_tls_failure(const std::string& reason) { ++tls_errors_[reason]; }
  uint64_t tls_handshakes() const { return tls_handshakes_; }
  uint64_t tls_resumed() const { return tls_resumed_; }
  const std::map<std::string, uint64_t>& tls_errors() const { return tls_errors_; }
  // --- end of HTTPS ---
  // The connection carries no request any more (idle or closed): give it
  // the next waiting request, or keep it for the next one to come.
  void on_free(Connection& connection);

 private:
  void arm_schedule();
  void on_schedule();
  void start_closed_loop();
  uint64_t new_request();
  Sample& sample(uint64_t request) { return closed_loop_ ? log_[request] : slots_.samples[request]; }
  int64_t deadline_of(uint64_t request);
  void flush_progress();
  void arm_sweep();
  void on_sweep();
  void dispatch(uint64_t request);
  Connection* grow();
  void assign(Connection& connection, uint64_t request);
  void end_schedule(int64_t now, bool stopped);
  void expire_waiting(int64_t now);
  void record(uint64_t request, int64_t now);
  void finish_if_done();

  bool waiting() const { return wait_head_ != wait_tail_; }
  uint64_t waiting_count() const { return (wait_tail_ - wait_head_) / stride_; }

  const LoadPlan& plan_;
  const RunClock& clock_;
  ConnectionBudget& budget_;
  const std::atomic<bool>& stop_;
  LoadProgress& progress_;
  SampleSlots& slots_;
  // When a reader wants samples while the load runs: completed samples
  // wait in live_batch_ until the next flush_progress publishes them.
  LiveFeed* feed_;
  std::vector<Sample> live_batch_;
  std::vector<uint16_t> live_remap_;
  const uint64_t stride_;
  const uint64_t index_;
  const bool closed_loop_;
  SampleLog log_;

  // Only this shard's thread touches its loop, so the reactor's per-socket
  // locks are left out (they cost a lock/unlock per operation at maximum
  // rate); the one-thread hint keeps the scheduler lean too.
  boost::asio::io_context io_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  boost::asio::steady_timer schedule_timer_;
  boost::asio::steady_timer sweep_timer_;
  int64_t sweep_interval_ns_;
  BackendNames backends_;

  // Declared before the connections: their TLS streams may hand it a
  // session until they are destroyed.
  TlsSessionSlot tls_session_;
  uint64_t tls_handshakes_ = 0;
  uint64_t tls_resumed_ = 0;
  std::map<std::string, uint64_t> tls_errors_;

  std::vector<std::unique_ptr<Connection>> connections_;
  // Idle connections are used in FIFO order so the load spreads over all of
  // them and none sits idle long enough for the server to drop it.
  std::vector<Connection*> idle_;
  std::size_t idle_head_ = 0;
  std::size_t idle_count_ = 0;
  std::vector<Connection*> closed_;

  uint64_t next_;       // next request to issue
  uint64_t wait_head_;  // waiting requests: [wait_head_, wait_tail_) by stride_
  uint64_t wait_tail_;
  uint64_t assigned_ = 0;  // requests handed to a connection, not yet recorded
  uint64_t not_sent_ = 0;
  uint64_t expired_unsent_ = 0;
  uint64_t late_total_ = 0;
  uint64_t limit_waits_ = 0;
  uint64_t retried_ = 0;
  // Counts not yet added to progress_ (see flush_progress).
  uint64_t sent_pending_ = 0;
  uint64_t completed_pending_ = 0;
  uint64_t failed_pending_ = 0;
  uint64_t late_pending_ = 0;
  bool started_ = false;  // maximum-rate mode: past start_ns
  bool schedule_done_ = false;
  bool finished_ = false;
  int64_t schedule_end_ns_ = 0;
};

}  // namespace faultline::load
