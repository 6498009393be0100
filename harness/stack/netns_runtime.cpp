#include "harness/stack/run_registry.h"
#include "harness/stack/runtime.h"

namespace faultline::stack {

namespace {

class NetnsRuntime final : public StackRuntime {
 public:
  Result<RunIdentity> create_run(const std::string& registry_dir) override {
    return stack::create_run(registry_dir);
  }
  Result<std::unique_ptr<RunningStack>> bring_up(const experiment::Experiment& exp, const RunIdentity& id,
                                                 const ProgressFn& progress) override {
    return stack::bring_up(exp, id, progress);
  }
  void release_run(const RunIdentity& id) override { stack::release_run(id); }
};

}  // namespace

StackRuntime& netns_runtime() {
  static NetnsRuntime runtime;
  return runtime;
}

}  // namespace faultline::stack
