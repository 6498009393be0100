#include "harness/runner/phases/teardown.h"

#include <fmt/format.h>

#include <filesystem>
#include <vector>

namespace faultline::runner {

namespace {

// The servers' own logs (HAProxy's health-check transitions, nginx errors)
// live in the run directory, which teardown removes; keep a copy beside the
// reports, where a person or a failing CI job can read them.
// Returns the files kept, relative to out_dir, for the journal (the
// postmortem points at them).
std::vector<std::string> keep_server_logs(const stack::RunningStack& stack, const std::string& out_dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> kept;
  if (out_dir.empty()) {
    return kept;
  }
  for (const auto& svc : stack.services()) {
    const fs::path from =
        svc.log_dir.empty() ? fs::path(svc.config_path).parent_path() : fs::path(svc.log_dir);
    const fs::path to = fs::path(out_dir) / "logs" / svc.planned.name;
    std::error_code ec;
    for (const char* name : {"error.log", "stderr.log", "stdout.log"}) {
      if (fs::exists(from / name, ec) && fs::file_size(from / name, ec) > 0) {
        fs::create_directories(to, ec);
        if (fs::copy_file(from / name, to / name, fs::copy_options::overwrite_existing, ec) && !ec) {
          kept.push_back((fs::path("logs") / svc.planned.name / name).string());
        }
      }
    }
  }
  return kept;
}

}  // namespace

void tear_down(RunContext& run, StackInUse& in_use, RunWatches& watches, const std::string& out_dir) {
  watches.notes.take(run);
  watches.lb.stop();
  run.rec.lb_events = watches.lb.events();
  if (watches.shares) {
    watches.shares->stop();
    run.rec.shares = ShareRecord{watches.shares->basis(), watches.shares->all()};
    for (const auto& server : run.rec.shares->basis.unknown_servers) {
      run.progress.message(fmt::format(
          "backend shares: {} answered requests at an address no service of the stack has; they count "
          "as unknown",
          server));
    }
  }
  run.rec.server_logs = keep_server_logs(*in_use.stack, out_dir);
  run.progress.message(fmt::format("run {}: tearing down the stack", run.rec.run_id));
  // Tearing the stack down would also undo any fault still in place, by
  // construction; the faults were reverted one by one before, so the
  // record says how each revert went.
  in_use.stack->teardown();
  in_use.stack.reset();
  in_use.runtime->release_run(in_use.identity);
  run.progress.done();
}

}  // namespace faultline::runner
