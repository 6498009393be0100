// faultline note "text": adds a timestamped entry to the timeline of a run
// in progress, from another terminal (a game day's scribe, or a script).

#include <fmt/format.h>

#include <iostream>

#include "harness/cli/command.h"
#include "harness/runner/note_inbox.h"
#include "harness/stack/run_registry.h"

namespace faultline::cli {
namespace {

struct NoteOptions {
  std::vector<std::string> words;
  std::string run_id;
  std::string registry = "/run/faultline";
};

int note(const NoteOptions& opts) {
  std::string text;
  for (const auto& w : opts.words) {
    text += (text.empty() ? "" : " ") + w;
  }
  std::vector<stack::RunEntry> live;
  for (auto& run : stack::list_runs(opts.registry)) {
    if (run.owner_alive && (opts.run_id.empty() || run.run_id == opts.run_id)) {
      live.push_back(std::move(run));
    }
  }
  if (live.empty()) {
    std::cerr << (opts.run_id.empty()
                      ? fmt::format("faultline note: no run in progress (registry {})\n", opts.registry)
                      : fmt::format("faultline note: no run {} in progress (registry {})\n", opts.run_id,
                                    opts.registry));
    return 2;
  }
  if (live.size() > 1) {
    std::string ids;
    for (const auto& run : live) {
      ids += " " + run.run_id;
    }
    std::cerr << fmt::format("faultline note: {} runs in progress ({}); choose one with --run ID\n",
                             live.size(), ids.substr(1));
    return 2;
  }
  std::string error;
  if (!runner::append_note(runner::note_inbox_path(live[0].run_dir), text, error)) {
    std::cerr << fmt::format("faultline note: run {} takes no notes ({}); it may have just ended\n",
                             live[0].run_id, error);
    return 3;
  }
  std::cout << fmt::format("note added to run {}\n", live[0].run_id);
  return 0;
}

const CommandRegistration registration{Command{
    "note", 45, [](CLI::App& app) -> std::function<int()> {
      app.description(
          "Add a timestamped note to the timeline of the run in progress (it appears in the\n"
          "journal and the postmortem's timeline within about 0.1 s). Typing a line into the\n"
          "terminal of 'faultline run' does the same.\n"
          "Example: faultline note \"paged the on-call; first suspect: the database\"");
      auto opts = std::make_shared<NoteOptions>();
      app.add_option("text", opts->words, "the note (several words are joined with spaces)")->required();
      app.add_option("--run", opts->run_id, "the run's id, when several are in progress");
      app.add_option("--registry", opts->registry, "run registry folder")->capture_default_str();
      return [opts] { return note(*opts); };
    }}};

}  // namespace
}  // namespace faultline::cli
