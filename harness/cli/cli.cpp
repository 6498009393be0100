#include "harness/cli/cli.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>

#include "harness/cli/command.h"
#include "harness/cli/version.h"

namespace faultline::cli {

std::vector<Command>& commands() {
  static std::vector<Command> all;
  return all;
}

int main(int argc, char** argv) {
  CLI::App app{
      "faultline: chaos experiments for web stacks.\n"
      "Brings up a load balancer and its backends in network namespaces, drives\n"
      "open-model load through them, injects and reverts faults on a timeline,\n"
      "judges SLOs window by window and writes a postmortem draft.\n"};
  app.require_subcommand(1);
  // Answered before the subcommand is required, as --help is.
  app.set_version_flag("--version", version_line(),
                       "Print the version and the commit it was built from, and exit");
  app.footer(
      "Exit codes: 0 expectation met / success, 1 expectation not met, 2 invalid input,\n"
      "3 the run could not be carried out, 4 steady state not reached (nothing injected),\n"
      "5 aborted by an abort_when condition, 130 interrupted.\n"
      "Run 'faultline <command> --help' for a command's options.");
  spdlog::set_pattern("%^%l%$: %v");

  auto& cmds = commands();
  std::sort(cmds.begin(), cmds.end(), [](const Command& a, const Command& b) { return a.order < b.order; });
  std::function<int()> chosen;
  for (auto& c : cmds) {
    auto runner = std::make_shared<std::function<int()>>();
    CLI::App* sub = nullptr;
    *runner = c.setup(*(sub = app.add_subcommand(c.name)));
    sub->callback([&chosen, runner] { chosen = *runner; });
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return chosen ? chosen() : 2;
}

}  // namespace faultline::cli
