#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "faults/common/measures.h"
#include "harness/common/result.h"
#include "harness/experiment/diagnostics.h"
#include "harness/experiment/model.h"
#include "harness/stack/stack.h"

namespace faultline::faults {

// A parameter a fault type accepts, for `faultline faults` and the docs.
struct ParamSpec {
  std::string name;
  std::string type;           // "string", "int", "duration", "percent", ...
  std::string default_value;  // empty when required
  std::string description;
};

// What a fault type needs from the machine and the stack.
struct Needs {
  bool root = true;
  std::vector<experiment::ServiceKind> target_kinds;  // empty = any
  std::string kernel_feature;                         // empty = none
};

// What a fault may use to check itself before a run (Fault::check_before_run).
struct PreRunContext {
  const experiment::Experiment& exp;
  // Names and addresses as a run would assign them (stack::make_plan, which
  // reads the host's addresses but creates nothing); an error when no plan
  // could be made, in which case a check that needs it says it could not
  // check.
  const Result<stack::Plan>& plan;
};

// The kernel mechanism a fault takes on the machine at hand (netem or the
// NFQUEUE delayer, cgroup v2 or v1, ...): faults/common/kernel_path.h.
struct KernelPath {
  // In words: "a netem qdisc on lb's eth0", "cgroup v2 (cpu.max under
  // /sys/fs/cgroup)".
  std::string mechanism;
  bool available = true;
  std::string missing;  // why it cannot be taken here, when !available
  std::string fix;      // what would make it available
};

// One fault of an experiment, bound to its parameters. Instances are made
// by the fault type's parser once the parameters are known to be valid.
//
// Contract: inject() changes the running stack; revert() undoes it and is
// idempotent (calling it twice, or without a successful inject, is safe),
// because it runs on every exit path: normal end, error and signals.
class Fault {
 public:
  virtual ~Fault() = default;

  // What was done to the stack, in words for the postmortem's root cause,
  // e.g. "the weight of web1 on load balancer lb was set to 100 and the
  // weight of every other server to 1". Not how it was done (netem or a
  // delayer, a cgroup path, a pid): that is mechanism(), which the journal
  // keeps apart.
  virtual std::string describe() const = 0;

  virtual Status inject(stack::RunningStack& stack) = 0;
  virtual Status revert(stack::RunningStack& stack) = 0;

  // The path this fault will take on this machine, decided from the kernel
  // probes and its own target before anything is changed (preflight and
  // `faultline doctor` report it; an unavailable one stops the run before
  // bring-up). nullopt for faults that need no particular kernel feature.
  virtual std::optional<KernelPath> kernel_path() const { return std::nullopt; }

  // How inject() carried the fault out, for the journal's `mechanism`: the
  // kernel path it took and what it made there (the cgroup, the nftables
  // table), the signal and the pid, the runtime API or the reload. What
  // someone reproducing or debugging the run needs, kept out of describe(),
  // which says only what happened to the stack. "" where kernel_path()
  // says it all, and may be "" before inject: the journal reads it only for
  // a fault that applied.
  virtual std::string mechanism() const { return {}; }

  // Corrective measures this fault suggests for the postmortem's action
  // items, each typed, and worded for the stack it hits: the settings of the
  // target's kind and of the load balancer in front of it, never a feature
  // that server lacks (faults/common/fault_site.h, lb_measures.h).
  virtual std::vector<Measure> suggested_measures() const { return {}; }

  // Checks that need more than the parameters but no running stack, made
  // by `faultline validate` (and so before every run): e.g. a config
  // fragment run through the server's own check mode against the config the
  // run would render. What would make inject() fail goes to `diags` as an
  // error at the parameter's position; a check that cannot be made on this
  // machine, as a warning. Most faults have nothing to add.
  virtual void check_before_run(const PreRunContext& /*ctx*/, experiment::Diagnostics& /*diags*/) const {}

  // The state inject() saves and revert() puts back where other faults may
  // change it too, in words: "the configuration of lb", "the admin state
  // of web1 on lb". Two faults sharing one must end in the reverse of the
  // order they began in, which `faultline validate` checks: each puts back
  // what it found, so if the first one in ended first, its revert would undo
  // the other's change and the other's revert would bring its own back.
  // Empty when nothing is shared that way.
  virtual std::vector<std::string> restores() const { return {}; }
};

using FaultParser = std::function<std::unique_ptr<Fault>(
    const experiment::MethodStep& step, const experiment::Experiment& exp, experiment::Diagnostics& diags)>;

struct FaultType {
  std::string name;
  std::string summary;
  std::vector<ParamSpec> params;
  Needs needs;
  // Validates the step's parameters, adding every problem to `diags`
  // with its position; returns null when there was any.
  FaultParser parse;
};

}  // namespace faultline::faults
