#include "harness/runner/signal_watcher.h"

#include <csignal>
#include <ctime>

namespace faultline::runner {

namespace {

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

SignalWatcher::SignalWatcher(std::function<void(int)> on_signal) : on_signal_(std::move(on_signal)) {
  sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this] {
    sigset_t watched = stop_signals();
    // A short timeout lets the thread notice destruction without a signal.
    const timespec tick{0, 100'000'000};
    while (!done_.load()) {
      const int sig = sigtimedwait(&watched, nullptr, &tick);
      if (sig <= 0) {
        continue;
      }
      int expected = 0;
      received_.compare_exchange_strong(expected, sig);
      std::lock_guard lock(handler_mutex_);
      if (on_signal_) {
        on_signal_(sig);
      }
    }
  });
}

void SignalWatcher::set_handler(std::function<void(int)> on_signal) {
  std::lock_guard lock(handler_mutex_);
  on_signal_ = std::move(on_signal);
}

SignalWatcher::~SignalWatcher() {
  done_.store(true);
  thread_.join();
  // Signals stay blocked: a signal arriving during exit must not kill the
  // process before the caller has finished its own cleanup. Pending ones are
  // dropped with the process.
}

}  // namespace faultline::runner
