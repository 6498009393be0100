// The docker runtime: a run's identity in the run registry, as on the netns
// runtime, and its stack brought up as containers through the Docker Engine
// API.

#include <fmt/format.h>

#include <filesystem>

#include "harness/stack/docker_spec.h"
#include "harness/stack/docker_stack.h"
#include "harness/stack/run_registry.h"
#include "harness/stack/runtime.h"

namespace faultline::stack {

namespace {

using namespace docker;

class DockerRuntime final : public StackRuntime {
 public:
  Result<RunIdentity> create_run(const std::string& registry_dir) override {
    return stack::create_run(registry_dir);
  }
  Result<std::unique_ptr<RunningStack>> bring_up(const experiment::Experiment& exp, const RunIdentity& id,
                                                 const ProgressFn& progress) override {
    return docker_bring_up(exp, id, progress);
  }
  void release_run(const RunIdentity& id) override { stack::release_run(id); }
};

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

Result<std::unique_ptr<RunningStack>> docker_bring_up(const experiment::Experiment& exp,
                                                      const RunIdentity& id, const ProgressFn& progress,
                                                      const std::string& socket) {
  const auto t0 = Clock::now();
  if (auto st = validate_for_docker(exp.stack); !st) {
    return st.error();
  }
  if (id.run_dir.empty() || !std::filesystem::is_directory(id.run_dir)) {
    return Error{fmt::format("run directory '{}' does not exist (create_run makes it)", id.run_dir)};
  }
  platform::DockerApi api(socket);
  if (auto st = api.ping(); !st) {
    return Error{
        fmt::format("runtime docker needs a Docker daemon at {}: {}", socket, st.error().describe())};
  }
  auto planned = plan_run(exp, id);
  if (!planned) {
    return planned.error();
  }
  auto stack = std::make_unique<DockerStack>(std::move(api), id, docker_plan(std::move(*planned), id.run_id));
  auto fail = [&](const Error& e) -> Error {
    std::string msg = e.message;
    for (const auto& l : stack->teardown_collect()) {
      msg += "\n  cleanup after the failure also failed: " + l;
    }
    return Error{msg};
  };
  if (auto st = stack->create_network(progress); !st) {
    return fail(st.error());
  }
  if (auto st = stack->write_configs(exp); !st) {
    return fail(st.error());
  }
  if (auto st = stack->start_containers(exp, progress); !st) {
    return fail(st.error());
  }
  if (auto st = stack->wait_ready(t0 + kReadyTimeout); !st) {
    return fail(st.error());
  }
  if (progress) {
    progress(fmt::format("stack up in {:.0f} ms: {} containers on {}", seconds_since(t0) * 1000,
                         stack->services().size(), stack->plan().subnet));
  }
  return std::unique_ptr<RunningStack>(std::move(stack));
}

StackRuntime& docker_runtime() {
  static DockerRuntime runtime;
  return runtime;
}

}  // namespace faultline::stack
