#include "harness/runner/poller.h"

#include <chrono>

namespace faultline::runner {

Poller::~Poller() {
  stop();
}

void Poller::start(std::function<void()> poll) {
  thread_ = std::thread([this, poll = std::move(poll)] {
    while (!stop_.load()) {
      poll();
      const auto until = std::chrono::steady_clock::now() + interval_;
      // Short sleeps, so stop() need not wait out a whole interval.
      while (!stop_.load() && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
  });
}

void Poller::stop() {
  stop_.store(true);
  if (thread_.joinable()) {
    thread_.join();
  }
}

}  // namespace faultline::runner
