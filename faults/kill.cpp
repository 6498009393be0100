// kill: sends a signal (KILL by default) to every process of a service
// through the stack (the process group of a server faultline started, or a
// container through the Engine API), and starts the server again when the
// fault is reverted. The step's `duration` is the time the service stays
// dead; without one it stays dead until the end of the load. Restarting
// from a timer inside the fault is not done on purpose: the stack is driven
// from the runner's thread only (processes are started with PDEATHSIG,
// which is bound to the starting thread).

#include <fmt/format.h>
#include <signal.h>

#include <chrono>

#include "faults/common/fault_site.h"
#include "faults/common/lb_measures.h"
#include "faults/fault_type.h"

namespace faultline::faults {
namespace {

struct SignalName {
  const char* name;
  int number;
};

// Only signals that end both nginx and HAProxy: a fault called `kill` that
// leaves the server running would mislead the postmortem.
constexpr SignalName kSignals[] = {{"KILL", SIGKILL}, {"TERM", SIGTERM}, {"INT", SIGINT}, {"QUIT", SIGQUIT}};

class Kill final : public Fault {
 public:
  static constexpr const char* kName = "kill";
  static constexpr const char* kSummary =
      "Kill every process of a service; start it again when the step's duration ends";
  static Needs needs() { return {.root = true, .target_kinds = {}, .kernel_feature = ""}; }

  struct Params {
    std::optional<std::string> signal;
  };
  static const ParamTable<Params>& params() {
    static const ParamTable<Params> table{[] {
      std::vector<std::string> names;
      for (const auto& s : kSignals) {
        names.emplace_back(s.name);
      }
      return std::vector<Param<Params>>{
          param(&Params::signal, "signal", kind::choice(names))
              .defaults_to("KILL")
              .doc("signal sent to the service's process group"),
      };
    }()};
    return table;
  }
  static std::unique_ptr<Fault> make(const Params& p, ParamReader& params, const experiment::Experiment& exp);

  Kill(FaultSite site, std::string signal_name, int signal, std::optional<Duration> down_for)
      : site_(std::move(site)),
        target_(site_.target),
        signal_name_(std::move(signal_name)),
        signal_(signal),
        down_for_(down_for) {}

  std::string describe() const override {
    std::string text = fmt::format("every process of {} was killed with SIG{}", target_, signal_name_);
    if (down_for_) {
      text += fmt::format(" and the server was started again {:g} s later",
                          std::chrono::duration<double>(*down_for_).count());
    } else {
      text += " and stayed down until the end of the load";
    }
    return text;
  }

  Status inject(stack::RunningStack& stack) override {
    // The stack says first whether the server is there to be killed (a
    // server already reaped is refused), before it is told to expect a death.
    auto how = stack.kill_mechanism(target_, signal_name_);
    if (!how) {
      return Error{"kill: " + how.error().message};
    }
    // Before the signal: the stack must not take the death for a harness
    // failure and stop the run.
    stack.set_expected_down(target_, true);
    killed_ = true;
    mechanism_ = std::move(*how);
    if (auto st = stack.kill_service(target_, signal_); !st) {
      return Error{"kill: " + st.error().message};
    }
    return {};
  }

  Status revert(stack::RunningStack& stack) override {
    if (!killed_) {
      return {};
    }
    // restart() stops whatever is left of the old group first (a graceful
    // signal may still be draining), then starts and waits for readiness.
    auto st = stack.restart(target_);
    stack.set_expected_down(target_, false);
    killed_ = false;
    if (!st) {
      return Error{fmt::format("kill: restarting {}: {}", target_, st.error().message)};
    }
    return {};
  }

  std::string mechanism() const override { return mechanism_; }

  std::vector<Measure> suggested_measures() const override {
    std::vector<Measure> out;
    const auto lb = balancer_in_front(site_);
    if (lb) {
      out.push_back(take_failed_server_out(*lb));
      out.push_back(retry_on_another_server(*lb));
      if (auto ramp = ramp_up_recovered_server(*lb)) {
        out.push_back(*ramp);
      }
    } else {
      out.push_back(redundant_load_balancer(target_));
    }
    out.push_back(
        {"Run each service under a supervisor that restarts it (systemd Restart=on-failure, an "
         "orchestrator's liveness probe) and alert on restarts",
         MeasureType::mitigate});
    if (lb) {
      out.push_back(
          {"Keep enough spare capacity in the pool that losing one server does not overload the "
           "others (N+1)",
           MeasureType::prevent});
    }
    return out;
  }

 private:
  FaultSite site_;
  std::string target_;
  std::string signal_name_;
  int signal_;
  std::optional<Duration> down_for_;
  bool killed_ = false;
  std::string mechanism_;  // set by inject
};

std::unique_ptr<Fault> Kill::make(const Params& p, ParamReader& params, const experiment::Experiment& exp) {
  if (!params.ok() || !p.signal) {
    return nullptr;
  }
  int number = SIGKILL;
  for (const auto& s : kSignals) {
    if (*p.signal == s.name) {
      number = s.number;
    }
  }
  return std::make_unique<Kill>(fault_site(params.step(), exp), *p.signal, number, params.step().duration);
}

const Registration registration{fault_type<Kill>()};

}  // namespace
}  // namespace faultline::faults
