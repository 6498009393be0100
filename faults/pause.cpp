// pause: freezes every process of a service and thaws them on revert,
// through the stack: SIGSTOP and SIGCONT to the process group of a server
// faultline started, the Engine API's pause and unpause (the freezer cgroup)
// for a container. The kernel keeps accepting connections into the listen
// backlog, so clients see stalls and timeouts, not refusals: the signature
// of a server stuck in a long GC pause or a hung disk.

#include <fmt/format.h>

#include <memory>

#include "faults/common/fault_site.h"
#include "faults/common/lb_measures.h"
#include "faults/fault_type.h"

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
    auto hold = stack.freeze_service(target_);
    if (!hold) {
      return Error{"pause: " + hold.error().message};
    }
    frozen_ = std::move(*hold);
    mechanism_ = frozen_->mechanism();
    return {};
  }

  Status revert(stack::RunningStack& /*stack*/) override {
    if (frozen_ == nullptr) {
      return {};
    }
    // Kept on failure: a second revert tries again.
    if (auto st = frozen_->release(); !st) {
      return Error{"pause: " + st.error().message};
    }
    frozen_.reset();
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
  std::unique_ptr<stack::ServiceHold> frozen_;  // until thawed
  std::string mechanism_;                       // set by inject
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
