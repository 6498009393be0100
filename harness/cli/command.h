#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace faultline::cli {

// A subcommand: one file each, registering itself with one line
// (`static const CommandRegistration reg{...}`), so main stays tiny.
struct Command {
  std::string name;
  int order;  // position in --help
  // Adds the subcommand's options to `app` and returns the function that
  // runs it (called after parsing) and returns the exit code.
  std::function<std::function<int()>(CLI::App& app)> setup;
};

std::vector<Command>& commands();

struct CommandRegistration {
  explicit CommandRegistration(Command c) { commands().push_back(std::move(c)); }
};

}  // namespace faultline::cli
