#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

namespace faultline::runner {

// Turns SIGINT, SIGTERM and SIGHUP into an orderly stop. Construct it on the
// main thread before any other thread starts: it blocks those signals for
// the whole process (threads inherit the mask) and waits for them on a
// thread of its own, so no code runs in signal context and every exit path
// goes through the runner's revert and teardown.
// A second signal while stopping is counted too, and `on_signal` is called
// for each (e.g. to stop the load generator at once).
class SignalWatcher {
 public:
  explicit SignalWatcher(std::function<void(int)> on_signal = {});
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  // The first signal received, 0 if none.
  int received() const { return received_.load(); }
  void set_handler(std::function<void(int)> on_signal);

 private:
  std::atomic<int> received_{0};
  std::atomic<bool> done_{false};
  std::function<void(int)> on_signal_;
  std::mutex handler_mutex_;
  std::thread thread_;
};

}  // namespace faultline::runner
