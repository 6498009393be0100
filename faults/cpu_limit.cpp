// cpu_limit: confines every process of a service to a fraction of one CPU
// with the CFS bandwidth controller (cgroup v1 cpu.cfs_quota_us /
// cpu.cfs_period_us, v2 cpu.max) — a noisy neighbour, an undersized
// container limit. The stack gives the group (stack.h's limit_service): on
// netns one named faultline-<run id>-<service> that the service moves into
// and out of again at revert (`faultline cleanup` removes what a killed run
// left), on docker the container's own, whose files revert writes back.

#include <fmt/format.h>

#include <cmath>

#include "faults/common/fault_site.h"
#include "faults/common/kernel_path.h"
#include "faults/common/lb_measures.h"
#include "faults/fault_type.h"
#include "harness/platform/cgroup.h"
#include "harness/stack/service_hold.h"

namespace faultline::faults {
namespace {

// 100 ms: the kernel's default period; the quota is a share of it.
constexpr long kPeriodUs = 100000;
// The kernel refuses quotas under 1 ms.
constexpr long kMinQuotaUs = 1000;

class CpuLimit final : public Fault {
 public:
  static constexpr const char* kName = "cpu_limit";
  static constexpr const char* kSummary =
      "Limit a service to a fraction of a CPU (cgroup CPU bandwidth), lift it on revert";
  static Needs needs() {
    return {.root = true, .target_kinds = {}, .kernel_feature = "cgroup cpu controller (v1 or v2)"};
  }

  struct Params {
    std::optional<double> cpus;
  };
  static const ParamTable<Params>& params() {
    static const ParamTable<Params> table{{
        param(&Params::cpus, "cpus", kind::number(0.01, 64))
            .required()
            .doc("CPU time allowed, in CPUs (0.1 = a tenth of one CPU)"),
    }};
    return table;
  }
  static std::unique_ptr<Fault> make(const Params& p, ParamReader& params, const experiment::Experiment& exp);

  CpuLimit(FaultSite site, double cpus) : site_(std::move(site)), target_(site_.target), cpus_(cpus) {}

  std::string describe() const override {
    return fmt::format("every process of {} was limited to {:g} of one CPU ({} ms of CPU time per {} ms)",
                       target_, cpus_, quota_us() / 1000.0, kPeriodUs / 1000);
  }

  std::optional<KernelPath> kernel_path() const override {
    return cgroup_path("cpu", "cpu.max", "cpu.cfs_quota_us");
  }
  // Kept past revert(), which lifts the limit: the journal is written at
  // the end of the run.
  std::string mechanism() const override { return mechanism_; }

  Status inject(stack::RunningStack& stack) override {
    auto limit = stack.limit_service(target_, "cpu");
    if (!limit) {
      return Error{"cpu_limit: " + limit.error().message};
    }
    limit_ = std::move(*limit);
    mechanism_ = limit_->mechanism(quota_file());
    // The limit is in force before the first process moves in, so no
    // process ever runs in the group unconfined.
    Status st = limit_->version() == platform::CgroupVersion::v2
                    ? limit_->write("cpu.max", fmt::format("{} {}", quota_us(), kPeriodUs))
                    : set_v1_quota();
    if (!st) {
      return Error{"cpu_limit: " + st.error().message};
    }
    if (auto moved = limit_->enforce(); !moved) {
      return Error{"cpu_limit: " + moved.error().message};
    }
    // Now with what was written, where a runtime's words say it.
    mechanism_ = limit_->mechanism(quota_file());
    return {};
  }

  Status revert(stack::RunningStack& /*stack*/) override {
    if (limit_ == nullptr) {
      return {};
    }
    if (auto st = limit_->lift(); !st) {
      return Error{"cpu_limit: " + st.error().message};
    }
    return {};
  }

  std::vector<Measure> suggested_measures() const override {
    using experiment::ServiceKind;
    const ServiceKind kind = site_.target_kind;
    std::vector<Measure> out{
        {"Size CPU limits from measured peak usage with headroom", MeasureType::prevent},
        {"Alert on CPU throttling (nr_throttled and throttled_usec in cpu.stat), not only on utilisation",
         MeasureType::detect},
        {kind == ServiceKind::haproxy
             ? fmt::format("Match `nbthread` of {} to the CPUs its limit allows: HAProxy starts a thread per "
                           "CPU it may run on, and threads beyond the quota only wait for it",
                           target_)
         : kind == ServiceKind::nginx
             ? fmt::format("Set `worker_processes` of {} to the CPUs its limit allows: `auto` counts the "
                           "host's CPUs, not the quota",
                           target_)
             : fmt::format("Size the worker pool of {} (`capacity.workers`) to the CPU its limit allows",
                           target_),
         MeasureType::prevent},
        {"Give the load balancer and other shared hops dedicated CPU (reserved cores, higher shares) so a "
         "neighbour cannot starve them",
         MeasureType::prevent},
    };
    if (const auto lb = balancer_in_front(site_)) {
      // Shedding at the hop in front: a throttled server gets no more than it can serve.
      out.push_back(limit_per_server(*lb));
    } else {
      out.push_back(
          {"Shed load early (rate limits, connection limits, queue timeouts) so an overloaded hop "
           "fails fast instead of queueing every request",
           MeasureType::mitigate});
    }
    return out;
  }

 private:
  long quota_us() const {
    return std::max(kMinQuotaUs, static_cast<long>(std::lround(cpus_ * static_cast<double>(kPeriodUs))));
  }

  std::string quota_file() const {
    return limit_->version() == platform::CgroupVersion::v2 ? "cpu.max" : "cpu.cfs_quota_us";
  }

  Status set_v1_quota() {
    if (auto st = limit_->write("cpu.cfs_period_us", std::to_string(kPeriodUs)); !st) {
      return st;
    }
    return limit_->write("cpu.cfs_quota_us", std::to_string(quota_us()));
  }

  FaultSite site_;
  std::string target_;
  double cpus_;
  std::unique_ptr<stack::ServiceLimit> limit_;  // from inject on
  std::string mechanism_;
};

std::unique_ptr<Fault> CpuLimit::make(const Params& p, ParamReader& params,
                                      const experiment::Experiment& exp) {
  if (!params.ok() || !p.cpus) {
    return nullptr;
  }
  return std::make_unique<CpuLimit>(fault_site(params.step(), exp), *p.cpus);
}

const Registration registration{fault_type<CpuLimit>()};

}  // namespace
}  // namespace faultline::faults
