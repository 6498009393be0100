#include "harness/runner/phases/run_context.h"

#include <fmt/format.h>

namespace faultline::runner {

int64_t RunContext::now_ns() const {
  // The same arithmetic as RunClock::now_ns, on the injected clock: with
  // the steady clock both read the same.
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.now() - rec.clock.origin()).count();
}

void RunContext::sleep_until(int64_t at_ns) {
  clock_.sleep_until(rec.clock.at(at_ns));
}

void RunContext::fail(std::string stage, std::string service, std::string error) {
  rec.status = RunStatus::failed;
  rec.error = std::move(error);
  rec.stopped_ns = now_ns();
  rec.failure = RunFailure{std::move(stage), std::move(service), rec.stopped_ns};
  progress.message(fmt::format("run {}: failed: {}", rec.run_id.empty() ? "-" : rec.run_id, rec.error));
}

}  // namespace faultline::runner
