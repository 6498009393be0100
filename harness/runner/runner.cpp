#include "harness/runner/runner.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "harness/load/generator.h"
#include "harness/runner/analysis.h"
#include "harness/runner/live_monitor.h"
#include "harness/runner/live_samples.h"
#include "harness/runner/load_delivery.h"
#include "harness/runner/note_inbox.h"
#include "harness/runner/progress.h"
#include "harness/runner/signal_watcher.h"
#include "harness/stack/runtime.h"

namespace faultline::runner {

namespace {

using namespace std::chrono_literals;

// One scheduled action of the method timeline.
struct Event {
  int64_t at_ns;  // on the run clock
  enum Kind { inject, revert, note } kind;
  size_t index;  // into RunRecord::faults or the experiment's note steps
};

std::vector<Event> schedule(const ValidatedExperiment& v, const RunRecord& rec) {
  std::vector<Event> events;
  for (size_t i = 0; i < v.faults.size(); ++i) {
    const auto* step = v.faults[i].step;
    events.push_back({rec.load_start_ns + step->at.count(), Event::inject, i});
    if (step->duration) {
      events.push_back({rec.load_start_ns + (step->at + *step->duration).count(), Event::revert, i});
    }
  }
  for (size_t i = 0; i < v.exp.method.size(); ++i) {
    if (v.exp.method[i].is_note()) {
      events.push_back({rec.load_start_ns + v.exp.method[i].at.count(), Event::note, i});
    }
  }
  // Reverts before injects at the same instant, so back-to-back faults on
  // one target do not overlap.
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return a.at_ns != b.at_ns ? a.at_ns < b.at_ns : (a.kind == Event::revert && b.kind != Event::revert);
  });
  return events;
}

// Also after a failed inject: whatever it half-applied is undone.
void revert_fault(FaultRecord& f, stack::RunningStack& stack, const RunClock& clock) {
  if (f.inject_called_ns < 0 || f.reverted_ns >= 0) {
    return;
  }
  f.revert_called_ns = clock.now_ns();
  auto st = f.bound->fault->revert(stack);
  f.reverted_ns = clock.now_ns();
  if (!st) {
    f.revert_failed = true;
    // After a failed inject the record already says why; keep both.
    f.error += (f.error.empty() ? "" : "; ") + std::string("revert failed: ") + st.error().message;
  }
}

std::string fault_label(const FaultRecord& f, size_t index) {
  return fmt::format("fault {} ({} on {})", index + 1, f.bound->step->fault, f.bound->step->target);
}

// A run that went to its end proves nothing when a fault was not in force
// as planned or the load was not the one asked for; the reasons, one
// sentence each, for the journal and every report.
std::vector<std::string> reasons_not_proven(const RunRecord& rec, const LoadDelivery& delivery) {
  std::vector<std::string> reasons;
  for (size_t i = 0; i < rec.faults.size(); ++i) {
    const auto& f = rec.faults[i];
    if (f.inject_failed) {
      reasons.push_back(fmt::format("{} did not apply: {}", fault_label(f, i), f.error));
    } else if (f.revert_failed) {
      reasons.push_back(fmt::format("{} could not be reverted: {}", fault_label(f, i), f.error));
    }
  }
  for (const auto& p : delivery.problems) {
    reasons.push_back("the load was not delivered: " + p);
  }
  return reasons;
}

// The servers' own logs (HAProxy's health-check transitions, nginx errors)
// live in the run directory, which teardown removes; keep a copy beside the
// reports, where a person or a failing CI job can read them.
// Returns the files kept, relative to out_dir, for the journal (the
// postmortem points at them).
std::vector<std::string> keep_server_logs(const stack::RunningStack& stack, const std::string& out_dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> kept;
  if (out_dir.empty()) {
    return kept;
  }
  for (const auto& svc : stack.services()) {
    const fs::path from = fs::path(svc.config_path).parent_path();
    const fs::path to = fs::path(out_dir) / "logs" / svc.planned.name;
    std::error_code ec;
    for (const char* name : {"error.log", "stderr.log", "stdout.log"}) {
      if (fs::exists(from / name, ec) && fs::file_size(from / name, ec) > 0) {
        fs::create_directories(to, ec);
        if (fs::copy_file(from / name, to / name, fs::copy_options::overwrite_existing, ec) && !ec) {
          kept.push_back((fs::path("logs") / svc.planned.name / name).string());
        }
      }
    }
  }
  return kept;
}

}  // namespace

std::string to_string(RunStatus s) {
  switch (s) {
    case RunStatus::completed:
      return "completed";
    case RunStatus::interrupted:
      return "interrupted";
    case RunStatus::failed:
      return "failed";
    case RunStatus::steady_state_failed:
      return "steady_state_failed";
    case RunStatus::aborted:
      return "aborted";
    case RunStatus::not_proven:
      return "not_proven";
  }
  return "unknown";
}

RunRecord run_experiment(ValidatedExperiment& v, const RunOptions& options) {
  RunRecord rec;
  const auto& exp = v.exp;
  // The runtime `stack.runtime` names (validation admits only those there
  // are); a test hands in its own.
  stack::StackRuntime* runtime =
      options.runtime != nullptr ? options.runtime : stack::runtime_named(exp.stack.runtime);
  Progress progress(options.live_progress);

  // Signals first: from here on Ctrl-C and SIGTERM only set a flag (and stop
  // the load), and the code below reverts and tears down on its way out.
  load::LoadGenerator* active_load = nullptr;
  std::mutex load_mutex;
  SignalWatcher signals([&](int) {
    std::lock_guard lock(load_mutex);
    if (active_load != nullptr) {
      active_load->stop();
    }
  });
  auto interrupted = [&] { return signals.received() != 0; };

  // A failure of the harness itself (a server that will not start or dies,
  // a target the host cannot reach): said on stderr as it happens, and kept
  // in the record with where and when.
  auto fail = [&](std::string stage, std::string service, std::string error) {
    rec.status = RunStatus::failed;
    rec.error = std::move(error);
    rec.stopped_ns = rec.clock.now_ns();
    rec.failure = RunFailure{std::move(stage), std::move(service), rec.stopped_ns};
    progress.message(fmt::format("run {}: failed: {}", rec.run_id.empty() ? "-" : rec.run_id, rec.error));
  };

  if (runtime == nullptr) {
    fail("bring-up", "", fmt::format("stack.runtime '{}': no such runtime in this build", exp.stack.runtime));
    progress.done();
    return rec;
  }
  auto identity = runtime->create_run(options.registry_dir);
  if (!identity) {
    fail("bring-up", "", identity.error().message);
    progress.done();
    return rec;
  }
  rec.run_id = identity->run_id;

  progress.message(
      fmt::format("run {}: bringing up the stack ({} services)", rec.run_id, exp.stack.services.size()));
  auto up = runtime->bring_up(exp, *identity, [&](const std::string& m) { progress.message(m); });
  if (!up) {
    // bring_up removed whatever it had made before it returned.
    fail("bring-up", "", up.error().message);
    runtime->release_run(*identity);
    progress.done();
    return rec;
  }
  std::unique_ptr<stack::RunningStack> stack = std::move(*up);
  rec.plan = stack->plan();

  for (auto& bound : v.faults) {
    FaultRecord f;
    f.bound = &bound;
    rec.faults.push_back(f);
  }
  // Watched from before the load until the faults are reverted, so the
  // timeline shows the load balancer's own view of its servers.
  LbWatch lb_watch(*stack, rec.clock, 250ms);
  NoteInbox inbox(note_inbox_path(identity->run_dir));
  TerminalNotes terminal;
  // Game-day notes, from `faultline note` or typed into this terminal.
  auto take_notes = [&] {
    auto lines = inbox.take();
    for (auto& line : terminal.take()) {
      lines.push_back(std::move(line));
    }
    for (auto& line : lines) {
      progress.message(fmt::format("note: {}", line));
      rec.notes.push_back({rec.clock.now_ns(), std::move(line), "operator"});
    }
  };
  // Without a terminal (CI, a pipe) only `faultline note` can add notes.
  progress.message(
      terminal.enabled()
          ? "game-day notes: type a line here, or run 'faultline note \"text\"' from another terminal"
          : "game-day notes: run 'faultline note \"text\"' from another terminal");

  if (interrupted()) {
    rec.status = RunStatus::interrupted;
  } else {
    const auto* target = stack->find(exp.load.target);
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
    spec.live = true;  // the steady-state gate, abort conditions and the progress line's p99

    load::LoadGenerator generator(spec, rec.clock);
    {
      std::lock_guard lock(load_mutex);
      active_load = &generator;
    }
    // A small lead so the first intended send is not already late.
    rec.load_start_ns = rec.clock.now_ns() + std::chrono::nanoseconds(50ms).count();
    const int64_t load_end = rec.load_start_ns + exp.load.duration.count();
    const bool gate_wanted = exp.slo.steady_state.count() > 0 && !v.objectives.empty();
    // The generator was made with spec.live, so its samples can be read
    // while it runs. A window is complete once its last request has
    // answered or timed out; the margin covers noticing the timeout.
    const auto live = live_samples_of(generator);
    LiveMonitor monitor(rec.load_start_ns, exp.slo.window, exp.load.timeout + 100ms, v.objectives,
                        v.abort_rules);
    rec.live_checks = true;
    bool gate_passed = !gate_wanted;
    std::atomic<bool> load_done{false};
    std::thread load_thread([&] {
      rec.load = generator.run(rec.load_start_ns);
      load_done.store(true);
    });

    const auto events = schedule(v, rec);
    std::optional<int64_t> first_inject_at;
    for (const auto& e : events) {
      if (e.kind == Event::inject) {
        first_inject_at = e.at_ns;
        break;
      }
    }
    size_t next = 0;
    int64_t next_tick = rec.load_start_ns;
    uint64_t last_completed = 0;
    uint64_t last_failed = 0;
    int64_t last_status_ns = rec.load_start_ns;
    progress.message(
        fmt::format("run {}: load {} to {} for {}{}", rec.run_id, fmt::format("{:g}/s", exp.load.rate),
                    exp.load.target, format_duration(exp.load.duration),
                    exp.load.ramp.count() > 0 ? fmt::format(" (ramp {})", format_duration(exp.load.ramp))
                                              : std::string()));
    while (true) {
      const int64_t now = rec.clock.now_ns();
      if (interrupted()) {
        rec.status = RunStatus::interrupted;
        break;
      }
      take_notes();
      monitor.pull(*live);
      if (gate_passed) {
        monitor.forget_settled(now);
      }
      if (!gate_passed && first_inject_at && *first_inject_at <= now) {
        // The gate: judged once, when the first fault is due, before any
        // event of that moment is carried out.
        gate_passed = true;
        const int64_t due = *first_inject_at;
        if (auto failure = monitor.check_steady_state(due - exp.slo.steady_state.count(), due)) {
          rec.status = RunStatus::steady_state_failed;
          rec.stopped_ns = now;
          rec.error = fmt::format(
              "steady state not reached before the first fault: objective '{}' ({}) measured {} in "
              "t+{:.1f}s–{:.1f}s; nothing was injected (the stack, not the fault, is the problem)",
              failure->objective, failure->expr, failure->value_text,
              double(failure->window_start_ns - rec.load_start_ns) / 1e9,
              double(failure->window_end_ns - rec.load_start_ns) / 1e9);
          rec.steady_state_failure = std::move(failure);
          progress.message(rec.error);
          break;
        }
        progress.message(
            fmt::format("steady state held for {}: injecting", format_duration(exp.slo.steady_state)));
      }
      if (auto trigger = monitor.check_abort(now)) {
        rec.status = RunStatus::aborted;
        rec.stopped_ns = now;
        // Faults go first: in-flight requests may take up to the timeout.
        for (auto& f : rec.faults) {
          revert_fault(f, *stack, rec.clock);
        }
        rec.error = fmt::format("aborted at t+{:.1f}s: '{}' held from t+{:.1f}s to t+{:.1f}s (last {})",
                                double(now - rec.load_start_ns) / 1e9, trigger->condition,
                                double(trigger->since_ns - rec.load_start_ns) / 1e9,
                                double(trigger->until_ns - rec.load_start_ns) / 1e9, trigger->value_text);
        rec.abort = std::move(trigger);
        progress.message(rec.error + "; faults reverted");
        break;
      }
      while (next < events.size() && events[next].at_ns <= now) {
        const auto& e = events[next++];
        if (e.kind == Event::note) {
          rec.notes.push_back({rec.clock.now_ns(), exp.method[e.index].note, "method"});
          progress.message(fmt::format("note: {}", exp.method[e.index].note));
          continue;
        }
        auto& f = rec.faults[e.index];
        const auto* step = f.bound->step;
        if (e.kind == Event::inject) {
          const int64_t called = rec.clock.now_ns();
          f.inject_called_ns = called;
          auto st = f.bound->fault->inject(*stack);
          f.inject_done_ns = rec.clock.now_ns();
          if (!st) {
            // A half-applied fault is reverted at once; the run goes on so
            // the journal shows what happened, but the fault never counts
            // as in force, and the run proves nothing (not_proven).
            f.inject_failed = true;
            f.error = "inject failed: " + st.error().message;
            revert_fault(f, *stack, rec.clock);
            progress.message(
                fmt::format("fault {} on {} did not apply: {}", step->fault, step->target, f.error));
          } else {
            f.injected_ns = called;
            progress.message(
                fmt::format("injected {} on {}: {}", step->fault, step->target, f.bound->fault->describe()));
          }
        } else if (!f.inject_failed) {
          // (A fault that did not apply was rolled back when its inject
          // failed: there is nothing to revert at its planned end.)
          revert_fault(f, *stack, rec.clock);
          progress.message(fmt::format("reverted {} on {}{}", step->fault, step->target,
                                       f.error.empty() ? "" : ": " + f.error));
        }
      }
      if (now >= load_end && load_done) {
        break;
      }
      // Every wake-up (~0.1 s), so a crash lands in the timeline when it happened.
      const auto alive = stack->check_alive();
      std::string died;
      for (auto& e : stack->take_service_exits()) {
        if (e.fatal) {
          died = e.service;
        } else {
          progress.message(e.service + " crashed: " + e.text);
        }
        rec.service_events.push_back(
            {rec.clock.now_ns(), std::move(e.service), std::move(e.text), e.fatal ? "died" : "crashed"});
      }
      if (!alive) {
        // The faults still in force are reverted below, on the common way out.
        fail("run", died, alive.error().message);
        break;
      }
      if (now >= next_tick) {
        next_tick += std::chrono::nanoseconds(1s).count();
        std::vector<std::string> active;
        for (const auto& f : rec.faults) {
          if (f.injected_ns >= 0 && f.reverted_ns < 0) {
            active.push_back(f.bound->step->fault + "(" + f.bound->step->target + ")");
          }
        }
        const auto& p = generator.progress();
        const uint64_t completed = p.completed.load();
        const uint64_t failed = p.failed.load();
        StatusFigures figures;
        figures.elapsed_ns = std::max<int64_t>(0, now - rec.load_start_ns);
        figures.total_ns = exp.load.duration.count();
        figures.completed = completed - last_completed;
        figures.failed = failed - last_failed;
        const int64_t span = now - last_status_ns;
        figures.rate = span > 0 ? double(figures.completed) * 1e9 / double(span) : 0.0;
        figures.p99_ms = monitor.take_recent(now).p99_ms;
        figures.active_faults = std::move(active);
        last_completed = completed;
        last_failed = failed;
        last_status_ns = now;
        progress.status(figures);
      }
      int64_t wake = next_tick;
      if (next < events.size()) {
        wake = std::min(wake, events[next].at_ns);
      }
      const int64_t sleep_ns = std::clamp<int64_t>(wake - rec.clock.now_ns(), 0, 100'000'000);
      std::this_thread::sleep_for(std::chrono::nanoseconds(sleep_ns));
    }
    generator.stop();
    load_thread.join();
    {
      std::lock_guard lock(load_mutex);
      active_load = nullptr;
    }
    rec.load_end_ns = std::min(rec.clock.now_ns(), load_end);
  }

  // Every exit path from here: revert what is still in place, then tear the
  // stack down (which would undo any fault by construction anyway).
  for (auto& f : rec.faults) {
    revert_fault(f, *stack, rec.clock);
  }
  take_notes();
  lb_watch.stop();
  rec.lb_events = lb_watch.events();
  rec.server_logs = keep_server_logs(*stack, options.out_dir);
  progress.message(fmt::format("run {}: tearing down the stack", rec.run_id));
  stack->teardown();
  stack.reset();
  runtime->release_run(*identity);
  progress.done();

  if (rec.status == RunStatus::interrupted) {
    rec.signal = signals.received();
    rec.error = rec.error.empty()
                    ? fmt::format("interrupted by signal {} ({})", rec.signal, strsignal(rec.signal))
                    : rec.error;
  }
  if (rec.load_start_ns >= 0 && rec.load_end_ns > rec.load_start_ns) {
    rec.windows = verify::build_windows(rec.load, exp.slo.window, rec.load_start_ns, rec.load_end_ns);
    rec.verdict = verify::evaluate(v.objectives, rec.windows);
  }
  // Only a run that went to its end can be called unproven; one stopped
  // early already says why it states no verdict.
  if (rec.status == RunStatus::completed) {
    rec.not_proven = reasons_not_proven(rec, judge_delivery(rec.load));
    if (!rec.not_proven.empty()) {
      rec.status = RunStatus::not_proven;
      rec.error = fmt::format("the run proves nothing: {}", fmt::join(rec.not_proven, "; "));
    }
  }
  return rec;
}

int exit_code(const RunRecord& record, const ValidatedExperiment& v) {
  return faultline::exit_code(judge_run(record, v).outcome);
}

}  // namespace faultline::runner
