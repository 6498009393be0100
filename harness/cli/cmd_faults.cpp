// faultline faults: the catalogue of fault types, their parameters and needs.

#include <fmt/format.h>

#include <iostream>

#include "faults/registry.h"
#include "harness/cli/command.h"

namespace faultline::cli {
namespace {

int list_faults() {
  for (const auto* t : faults::Registry::instance().all()) {
    std::cout << fmt::format("{}\n  {}\n", t->name, t->summary);
    std::vector<std::string> kinds;
    for (auto k : t->needs.target_kinds) {
      kinds.push_back(experiment::to_string(k));
    }
    std::cout << fmt::format("  target: {}\n",
                             kinds.empty() ? "any service" : fmt::format("{}", fmt::join(kinds, " | ")));
    std::cout << fmt::format("  needs: {}{}\n", t->needs.root ? "root" : "nothing special",
                             t->needs.kernel_feature.empty() ? "" : ", kernel " + t->needs.kernel_feature);
    std::cout << "  params:\n";
    for (const auto& p : t->params) {
      // Two lines per parameter: types and defaults vary too much in length
      // for columns to stay readable.
      std::cout << fmt::format("    {}  ({}; {})\n        {}\n", p.name, p.type,
                               p.default_value.empty() ? "required" : "default " + p.default_value,
                               p.description);
    }
    std::cout << "\n";
  }
  return 0;
}

const CommandRegistration registration{
    Command{"faults", 30, [](CLI::App& app) -> std::function<int()> {
              app.description(
                  "List every fault type with its parameters, defaults and what "
                  "it needs.");
              return list_faults;
            }}};

}  // namespace
}  // namespace faultline::cli
