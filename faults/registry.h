#pragma once

#include <memory>
#include <string>
#include <vector>

#include "faults/fault.h"

namespace faultline::faults {

// Every fault type linked into the binary, registered by one line at the end
// of its own file, handing its class in (faults/fault_type.h):
//   const Registration registration{fault_type<Latency>()};
class Registry {
 public:
  static Registry& instance();

  // Refuses a name registered twice (a programming error): aborts.
  void add(FaultType type);
  const FaultType* find(const std::string& name) const;
  std::vector<const FaultType*> all() const;  // sorted by name
  std::vector<std::string> names() const;

 private:
  std::vector<FaultType> types_;
};

struct Registration {
  explicit Registration(FaultType type) { Registry::instance().add(std::move(type)); }
};

// A method step bound to its fault instance.
struct BoundFault {
  const experiment::MethodStep* step = nullptr;
  const FaultType* type = nullptr;
  std::unique_ptr<Fault> fault;
};

// Checks every fault step of the experiment (known fault name, target is a
// service of the stack of a kind the fault supports, valid parameters) and
// binds it. All problems go to `diags`.
std::vector<BoundFault> bind_method(const experiment::Experiment& exp, experiment::Diagnostics& diags);

// One line of `faultline doctor`'s table: which faults, and the kernel path
// they take on this machine (netem or the NFQUEUE delayer, cgroup v2 or v1...).
struct FaultPathLine {
  std::string faults;  // "latency, reorder, duplicate"
  KernelPath path;
};
std::vector<FaultPathLine> fault_paths_on_this_machine();

}  // namespace faultline::faults
