#include "harness/load/shard.h"

#include <algorithm>
#include <chrono>

namespace faultline::load {

namespace {

using boost::system::error_code;

// Timeouts are found by a periodic sweep rather than a timer per request:
// one timer per shard instead of one arm/cancel pair per request, at the
// price of noticing a timeout up to one interval late.
int64_t sweep_interval_for(int64_t timeout_ns) {
  return std::clamp<int64_t>(timeout_ns / 50, 1'000'000, 10'000'000);
}

// At high rates the scheduler wakes at most this often and issues what has
// come due in between, instead of re-arming its timer for every request.
constexpr int64_t min_tick_ns = 100'000;

}  // namespace

LoadShard::LoadShard(const LoadPlan& plan, const RunClock& clock, int index, int shards, int connections,
                     ConnectionBudget& budget, const std::atomic<bool>& stop, LoadProgress& progress,
                     SampleSlots& slots, LiveFeed* feed)
    : plan_(plan),
      clock_(clock),
      budget_(budget),
      stop_(stop),
      progress_(progress),
      slots_(slots),
      feed_(feed),
      stride_(static_cast<uint64_t>(shards)),
      index_(static_cast<uint64_t>(index)),
      closed_loop_(plan.closed_loop),
      schedule_timer_(io_),
      sweep_timer_(io_),
      sweep_interval_ns_(sweep_interval_for(plan.timeout_ns)),
      next_(static_cast<uint64_t>(index)),
      wait_head_(static_cast<uint64_t>(index)),
      wait_tail_(static_cast<uint64_t>(index)) {
  const auto n = static_cast<std::size_t>(std::max(1, connections));
  // This shard may end up holding every place of the budget.
  const auto most = closed_loop_ ? n : std::max(n, static_cast<std::size_t>(std::max(1, budget.limit())));
  connections_.reserve(most);
  for (std::size_t i = 0; i < n; ++i) {
    connections_.push_back(std::make_unique<Connection>(io_, *this));
  }
  idle_.resize(most);
  closed_.reserve(most);
}

LoadShard::~LoadShard() = default;

void LoadShard::run() {
  // Connections are opened ahead of the first request so that it does not
  // pay for a handshake the steady state never pays for.
  for (auto& connection : connections_) {
    connection->connect(Connection::no_request);
  }
  arm_sweep();
  arm_schedule();
  io_.run();
  flush_progress();
}

void LoadShard::arm_schedule() {
  if (closed_loop_) {
    if (plan_.end_ns <= plan_.start_ns) {
      end_schedule(plan_.end_ns, false);
      return;
    }
    schedule_timer_.expires_at(clock_.at(started_ ? plan_.end_ns : plan_.start_ns));
    schedule_timer_.async_wait([this](const error_code& ec) {
      if (ec) {
        return;
      }
      if (started_) {
        end_schedule(plan_.end_ns, false);
      } else {
        start_closed_loop();
      }
    });
    return;
  }
  if (next_ >= plan_.count) {
    end_schedule(plan_.end_ns, false);
    return;
  }
  schedule_timer_.expires_at(clock_.at(std::max(plan_.intended_ns(next_), now_ns() + min_tick_ns)));
  schedule_timer_.async_wait([this](const error_code& ec) {
    if (!ec) {
      on_schedule();
    }
  });
}

void LoadShard::on_schedule() {
  // Everything due is issued now, so a late wake-up (a busy loop, a slow
  // machine) is caught up at once instead of shifting the schedule.
  const int64_t now = now_ns();
  while (next_ < plan_.count && plan_.intended_ns(next_) <= now) {
    if (stop_.load(std::memory_order_relaxed)) {
      end_schedule(now, true);
      return;
    }
    dispatch(next_);
    next_ += stride_;
  }
  arm_schedule();
}

void LoadShard::start_closed_loop() {
  started_ = true;
  if (stop_.load(std::memory_order_relaxed)) {
    end_schedule(now_ns(), true);
    return;
  }
  // Connections still connecting get their first request when they are up.
  while (idle_count_ > 0) {
    Connection* connection = idle_[idle_head_];
    idle_head_ = (idle_head_ + 1) % idle_.size();
    --idle_count_;
    assign(*connection, new_request());
  }
  while (!closed_.empty()) {
    Connection* connection = closed_.back();
    closed_.pop_back();
    assign(*connection, new_request());
  }
  arm_schedule();
}

uint64_t LoadShard::new_request() {
  const uint64_t request = log_.append();
  Sample& s = log_[request];
  s.intended_ns = now_ns();  // replaced by the send time once written
  s.user = plan_.user_of(request * stride_ + index_);
  s.request = plan_.template_of(request * stride_ + index_);
  return request;
}

int64_t LoadShard::deadline_of(uint64_t request) {
  if (closed_loop_) {
    return sample(request).intended_ns + plan_.timeout_ns;
  }
  return plan_.deadline_ns(request);
}

void LoadShard::flush_progress() {
  if (feed_ != nullptr) {
    feed_->publish(live_batch_, backends_.names(), live_remap_);
  }
  if (sent_pending_ > 0) {
    progress_.sent.fetch_add(sent_pending_, std::memory_order_relaxed);
    sent_pending_ = 0;
  }
  if (completed_pending_ > 0) {
    progress_.completed.fetch_add(completed_pending_, std::memory_order_relaxed);
    completed_pending_ = 0;
  }
  if (failed_pending_ > 0) {
    progress_.failed.fetch_add(failed_pending_, std::memory_order_relaxed);
    failed_pending_ = 0;
  }
  if (late_pending_ > 0) {
    progress_.late.fetch_add(late_pending_, std::memory_order_relaxed);
    late_pending_ = 0;
  }
}

void LoadShard::arm_sweep() {
  sweep_timer_.expires_after(std::chrono::nanoseconds(sweep_interval_ns_));
  sweep_timer_.async_wait([this](const error_code& ec) {
    if (!ec) {
      on_sweep();
    }
  });
}

void LoadShard::on_sweep() {
  const int64_t now = now_ns();
  if (stop_.load(std::memory_order_relaxed)) {
    if (!schedule_done_) {
      end_schedule(now, true);
    } else {
      not_sent_ += waiting_count();
      wait_head_ = wait_tail_;
    }
  }
  expire_waiting(now);
  for (auto& connection : connections_) {
    const uint64_t request = connection->request();
    if (connection->state() == Connection::State::connecting) {
      const int64_t deadline = request == Connection::no_request
                                   ? connection->connect_started_ns() + plan_.timeout_ns
                                   : deadline_of(request);
      if (deadline <= now) {
        connection->fail(ErrorClass::connect_timeout);
      }
    } else if (connection->state() == Connection::State::busy && deadline_of(request) <= now) {
      connection->fail(ErrorClass::response_timeout);
    }
  }
  flush_progress();
  finish_if_done();
  if (!finished_) {
    arm_sweep();
  }
}

void LoadShard::dispatch(uint64_t request) {
  Sample& s = slots_.samples[request];
  s.intended_ns = plan_.intended_ns(request);
  s.user = plan_.user_of(request);
  s.request = plan_.template_of(request);
  if (waiting()) {
    // Requests are issued in order: this one is wait_tail_. Something waits
    // only once the budget is spent, and it is never given back.
    wait_tail_ += stride_;
    ++limit_waits_;
    return;
  }
  if (idle_count_ > 0) {
    Connection* connection = idle_[idle_head_];
    idle_head_ = (idle_head_ + 1) % idle_.size();
    --idle_count_;
    assign(*connection, request);
    return;
  }
  if (!closed_.empty()) {
    Connection* connection = closed_.back();
    closed_.pop_back();
    assign(*connection, request);
    return;
  }
  if (Connection* connection = grow()) {
    assign(*connection, request);
    return;
  }
  ++limit_waits_;
  wait_head_ = request;
  wait_tail_ = request + stride_;
}

Connection* LoadShard::grow() {
  // The idle ring must have room for every connection of the shard.
  if (connections_.size() >= idle_.size() || !budget_.take()) {
    return nullptr;
  }
  connections_.push_back(std::make_unique<Connection>(io_, *this));
  return connections_.back().get();
}

void LoadShard::assign(Connection& connection, uint64_t request) {
  ++assigned_;
  if (!closed_loop_) {
    // Lateness is the generator's delay: from the intended time to the
    // moment it takes the request up, writing it on a kept-alive connection
    // or starting the connect of a new one. The connect and a TLS handshake
    // are the target's time (a slow handshake on the load balancer is what
    // a drill may be about) and count in the request's latency, not here.
    const int64_t lateness = now_ns() - sample(request).intended_ns;
    slots_.lateness[request] = lateness;
    if (lateness > plan_.late_threshold_ns) {
      ++late_pending_;
      ++late_total_;
    }
  }
  if (connection.state() == Connection::State::idle) {
    connection.send(request);
  } else {
    connection.connect(request);
  }
}

void LoadShard::on_free(Connection& connection) {
  if (closed_loop_) {
    // The end timer may fire late on a busy machine; no request starts
    // after the planned end all the same.
    if (started_ && !schedule_done_ && now_ns() < plan_.end_ns) {
      assign(connection, new_request());
      return;
    }
  } else {
    if (waiting()) {
      expire_waiting(now_ns());
    }
    if (waiting()) {
      const uint64_t request = wait_head_;
      wait_head_ += stride_;
      assign(connection, request);
      return;
    }
  }
  if (connection.state() == Connection::State::idle) {
    idle_[(idle_head_ + idle_count_) % idle_.size()] = &connection;
    ++idle_count_;
  } else {
    closed_.push_back(&connection);
  }
  finish_if_done();
}

void LoadShard::on_sent(uint64_t request, bool first_attempt) {
  const int64_t now = now_ns();
  Sample& s = sample(request);
  s.sent_ns = now;
  if (!first_attempt) {
    return;
  }
  ++sent_pending_;
  if (closed_loop_) {
    s.intended_ns = now;
  }
}

void LoadShard::on_response(uint64_t request, int status, uint16_t backend) {
  Sample& s = sample(request);
  s.status = static_cast<uint16_t>(status);
  s.backend = backend;
  s.error = ErrorClass::none;
  --assigned_;
  record(request, now_ns());
}

void LoadShard::on_failure(uint64_t request, ErrorClass error) {
  Sample& s = sample(request);
  s.status = 0;
  s.backend = 0;
  s.error = error;
  --assigned_;
  record(request, now_ns());
}

void LoadShard::expire_waiting(int64_t now) {
  while (waiting() && plan_.deadline_ns(wait_head_) <= now) {
    slots_.samples[wait_head_].error = ErrorClass::response_timeout;
    ++expired_unsent_;
    record(wait_head_, now);
    wait_head_ += stride_;
  }
}

void LoadShard::record(uint64_t request, int64_t now) {
  Sample& s = sample(request);
  s.done_ns = now;
  if (s.sent_ns == 0) {
    s.sent_ns = now;  // never written: see Sample::sent_ns
  }
  if (!closed_loop_) {
    slots_.recorded[request] = 1;
  }
  if (feed_ != nullptr) {
    live_batch_.push_back(s);
  }
  ++completed_pending_;
  if (s.failed()) {
    ++failed_pending_;
  }
}

void LoadShard::end_schedule(int64_t now, bool stopped) {
  if (schedule_done_) {
    return;
  }
  schedule_done_ = true;
  schedule_timer_.cancel();
  schedule_end_ns_ = stopped ? std::clamp(now, plan_.start_ns, plan_.end_ns) : plan_.end_ns;
  if (stopped) {
    not_sent_ += waiting_count();
    wait_head_ = wait_tail_;
  }
  finish_if_done();
}

void LoadShard::finish_if_done() {
  if (finished_ || !schedule_done_ || waiting() || assigned_ > 0) {
    return;
  }
  finished_ = true;
  flush_progress();
  schedule_timer_.cancel();
  sweep_timer_.cancel();
  for (auto& connection : connections_) {
    connection->close();
  }
}

}  // namespace faultline::load
