#include "harness/runner/phases/load_phase.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "harness/runner/live_monitor.h"
#include "harness/runner/live_samples.h"
#include "harness/runner/load_delivery.h"
#include "harness/runner/phases/live_checks.h"
#include "harness/runner/phases/method.h"

namespace faultline::runner {

namespace {

using namespace std::chrono_literals;

load::LoadSpec load_spec(const experiment::Experiment& exp, const stack::RunningStack& stack) {
  const auto* target = stack.find(exp.load.target);
  load::LoadSpec spec;
  spec.host = target->planned.address;
  spec.port = target->planned.port;
  spec.path = exp.load.path;
  spec.rate = exp.load.rate;
  spec.connections = exp.load.connections;
  spec.max_connections = exp.load.max_connections;
  spec.users = exp.load.users;
  spec.timeout = exp.load.timeout;
  spec.duration = exp.load.duration;
  spec.backend_header = exp.load.backend_header;
  spec.ramp = exp.load.ramp;
  spec.late_threshold = kLateSendThreshold;
  for (const auto& t : exp.load.requests) {
    spec.requests.push_back({t.name, t.method, t.path, t.weight, t.headers, t.body});
  }
  spec.seed = exp.load.seed;
  spec.live = true;  // the steady-state gate, abort conditions and the progress line's p99
  // --- HTTPS (issue 21) ---
  // The loader made sure the target speaks TLS and the load knows whom to
  // trust: load.ca, else the run's CA the target's certificate is from.
  spec.https = exp.load.https();
  spec.insecure = exp.load.insecure;
  spec.resume = exp.load.resume;
  spec.ca_file = exp.load.ca.empty() ? target->tls_ca : exp.load.ca;
  spec.sni = exp.load.sni;
  // --- end of HTTPS ---
  return spec;
}

// Checked on every wake-up, so a crash lands in the timeline when it
// happened. Returns false when a service died: the run failed.
bool services_alive(RunContext& run, stack::RunningStack& stack) {
  const auto alive = stack.check_alive();
  std::string died;
  for (auto& e : stack.take_service_exits()) {
    if (e.fatal) {
      died = e.service;
    } else {
      run.progress.message(e.service + " crashed: " + e.text);
    }
    run.rec.service_events.push_back(
        {run.now_ns(), std::move(e.service), std::move(e.text), e.fatal ? "died" : "crashed"});
  }
  if (!alive) {
    run.fail("run", died, alive.error().message);
    return false;
  }
  return true;
}

// The status line, once a second of the load: figures over the second
// since the previous line.
class StatusTicker {
 public:
  explicit StatusTicker(int64_t load_start_ns)
      : next_tick_(load_start_ns), last_status_ns_(load_start_ns), load_start_ns_(load_start_ns) {}

  int64_t next_tick() const { return next_tick_; }

  void maybe_show(RunContext& run, const load::LoadGenerator& generator, LiveMonitor& monitor, int64_t now) {
    if (now < next_tick_) {
      return;
    }
    next_tick_ += std::chrono::nanoseconds(1s).count();
    const auto& p = generator.progress();
    const uint64_t completed = p.completed.load();
    const uint64_t failed = p.failed.load();
    StatusFigures figures;
    figures.elapsed_ns = std::max<int64_t>(0, now - load_start_ns_);
    figures.total_ns = run.v.exp.load.duration.count();
    figures.completed = completed - last_completed_;
    figures.failed = failed - last_failed_;
    const int64_t span = now - last_status_ns_;
    figures.rate = span > 0 ? double(figures.completed) * 1e9 / double(span) : 0.0;
    figures.p99_ms = monitor.take_recent(now).p99_ms;
    figures.active_faults = active_faults(run.rec);
    last_completed_ = completed;
    last_failed_ = failed;
    last_status_ns_ = now;
    run.progress.status(figures);
  }

 private:
  int64_t next_tick_;
  uint64_t last_completed_ = 0;
  uint64_t last_failed_ = 0;
  int64_t last_status_ns_;
  int64_t load_start_ns_;
};

}  // namespace

void ActiveLoad::set(load::LoadGenerator* generator) {
  std::lock_guard lock(mutex_);
  generator_ = generator;
}

void ActiveLoad::stop() {
  std::lock_guard lock(mutex_);
  if (generator_ != nullptr) {
    generator_->stop();
  }
}

void drive_load(RunContext& run, stack::RunningStack& stack, RunWatches& watches, ActiveLoad& active) {
  const auto& exp = run.v.exp;
  auto& rec = run.rec;
  // The generator measures on the run clock itself, whatever clock the
  // runner's schedule reads.
  const load::LoadSpec spec = load_spec(exp, stack);
  rec.load_tls_ca = spec.https && !spec.insecure ? spec.ca_file : std::string{};
  load::LoadGenerator generator(spec, rec.clock);
  active.set(&generator);
  // A small lead so the first intended send is not already late.
  rec.load_start_ns = run.now_ns() + std::chrono::nanoseconds(50ms).count();
  const int64_t load_end = rec.load_start_ns + exp.load.duration.count();
  const bool gate_wanted = exp.slo.steady_state.count() > 0 && !run.v.objectives.empty();
  // The generator was made with spec.live, so its samples can be read
  // while it runs. A window is complete once its last request has answered
  // or timed out; the margin covers noticing the timeout.
  const auto live = live_samples_of(generator);
  LiveMonitor monitor(rec.load_start_ns, exp.slo.window, exp.load.timeout + 100ms, run.v.objectives,
                      run.v.abort_rules);
  rec.live_checks = true;
  bool gate_passed = !gate_wanted;
  std::atomic<bool> load_done{false};
  std::thread load_thread([&] {
    rec.load = generator.run(rec.load_start_ns);
    load_done.store(true);
  });

  MethodTimeline timeline(run.v, rec.load_start_ns);
  const std::optional<int64_t> first_inject_at = timeline.first_inject_at();
  StatusTicker status(rec.load_start_ns);
  run.progress.message(fmt::format(
      "run {}: load {} to {} for {}{}", rec.run_id, fmt::format("{:g}/s", exp.load.rate), exp.load.target,
      format_duration(exp.load.duration),
      exp.load.ramp.count() > 0 ? fmt::format(" (ramp {})", format_duration(exp.load.ramp)) : std::string()));
  // Every way out of this loop is a break with the record's status set
  // (completed stays as it was). Only the abort reverts the faults on its
  // way out; for the others, the caller does.
  while (true) {
    const int64_t now = run.now_ns();
    if (run.interrupted()) {
      rec.status = RunStatus::interrupted;
      break;
    }
    watches.notes.take(run);
    monitor.pull(*live, watches.shares.get());
    if (gate_passed) {
      monitor.forget_settled(now);
    }
    if (!gate_passed && first_inject_at && *first_inject_at <= now) {
      gate_passed = true;
      if (!pass_steady_state_gate(run, monitor, *first_inject_at, now)) {
        break;
      }
    }
    if (stop_on_abort(run, monitor, stack, now)) {
      break;
    }
    timeline.carry_out_due(run, stack, now);
    if (now >= load_end && load_done) {
      break;
    }
    if (!services_alive(run, stack)) {
      break;
    }
    status.maybe_show(run, generator, monitor, now);
    int64_t wake = status.next_tick();
    if (const auto next_action = timeline.next_at()) {
      wake = std::min(wake, *next_action);
    }
    // At most 0.1 s, so notes, signals and deaths are seen soon.
    const int64_t before_sleep = run.now_ns();
    run.sleep_until(before_sleep + std::clamp<int64_t>(wake - before_sleep, 0, 100'000'000));
  }
  generator.stop();
  load_thread.join();
  active.set(nullptr);
  rec.load_end_ns = std::min(run.now_ns(), load_end);
}

}  // namespace faultline::runner
