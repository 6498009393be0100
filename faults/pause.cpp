// pause: freezes every process of a service with SIGSTOP (the server leads
// its own process group, so master and workers stop together) and thaws
// them with SIGCONT on revert. The kernel keeps accepting connections into
// the listen backlog, so clients see stalls and timeouts, not refusals: the
// signature of a server stuck in a long GC pause or a hung disk.
//
// SIGSTOP rather than the cgroup freezer: it needs no state outside the
// run's processes (nothing for `faultline cleanup` to find), and a stopped
// process still dies on SIGKILL, which is what teardown ends with.
//
// Both signals go through the server's ServerProcess, the one it had at
// injection: once that server has been reaped (a crash, a restart), its
// pid may name an unrelated process, which must not be stopped or thawed.

#include <fmt/format.h>
#include <signal.h>

#include <memory>

#include "faults/common/fault_site.h"
#include "faults/common/lb_measures.h"
#include "faults/fault_type.h"
#include "harness/platform/process.h"

namespace faultline::faults {
namespace {

class Pause final : public Fault {
 public:
  static constexpr const char* kName = "pause";
  static constexpr const char* kSummary =
      "Freeze every process of a service (SIGSTOP), thaw it on revert (SIGCONT)";
  static Needs needs() { return {.root = true, .target_kinds = {}, .kernel_feature = ""}; }
  // No parameters: reading none still reports unknown keys.

  struct Params {};
  static const ParamTable<Params>& params() {
    static const ParamTable<Params> table;
    return table;
  }
  static std::unique_ptr<Fault> make(const Params& p, ParamReader& params, const experiment::Experiment& exp);

  explicit Pause(FaultSite site) : site_(std::move(site)), target_(site_.target) {}

  std::string describe() const override {
    return fmt::format("every process of {} was frozen: it kept its connections but answered nothing",
                       target_);
  }

  Status inject(stack::RunningStack& stack) override {
    const auto* service = stack.find(target_);
    if (service == nullptr || service->process == nullptr) {
      return Error{fmt::format("pause: {} has no running process", target_)};
    }
    if (auto st = service->process->signal(SIGSTOP, platform::SignalScope::group); !st) {
      return Error{fmt::format("pause: cannot stop {}: {}", target_, st.error().message)};
    }
    stopped_ = service->process;
    mechanism_ = fmt::format("SIGSTOP to the process group of {}'s server (pid {}), SIGCONT on revert",
                             target_, service->process->pid());
    return {};
  }

  Status revert(stack::RunningStack& /*stack*/) override {
    if (stopped_ == nullptr) {
      return {};
    }
    // Reaped (teardown or a crash): nothing of it is left to thaw.
    if (stopped_->alive()) {
      if (auto st = stopped_->signal(SIGCONT, platform::SignalScope::group); !st) {
        return Error{fmt::format("pause: cannot continue {}: {}", target_, st.error().message)};
      }
    }
    stopped_.reset();
    return {};
  }

  std::string mechanism() const override { return mechanism_; }

  std::vector<Measure> suggested_measures() const override {
    std::vector<Measure> out;
    if (const auto lb = balancer_in_front(site_)) {
      out.push_back(take_hung_server_out(*lb));
      out.push_back(bound_server_timeouts(*lb));
      out.push_back(retry_on_another_server(*lb));
    } else {
      out.push_back(redundant_load_balancer(target_));
    }
    out.push_back(
        {"Alert on latency percentiles per backend, not only on error rates: a frozen server first "
         "shows up as a p99 spike",
         MeasureType::detect});
    return out;
  }

 private:
  FaultSite site_;
  std::string target_;
  std::shared_ptr<const platform::ServerProcess> stopped_;  // the server it froze, until thawed
  std::string mechanism_;                                   // set by inject
};

std::unique_ptr<Fault> Pause::make(const Params& /*p*/, ParamReader& params,
                                   const experiment::Experiment& exp) {
  if (!params.ok()) {
    return nullptr;
  }
  return std::make_unique<Pause>(fault_site(params.step(), exp));
}

const Registration registration{fault_type<Pause>()};

}  // namespace
}  // namespace faultline::faults
