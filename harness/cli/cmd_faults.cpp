// faultline faults: the catalogue of fault types, their parameters and needs
// (faults/catalogue.h); `--markdown` prints the same as docs/FAULTS.md (kept
// current by a test).

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>

#include "faults/catalogue.h"
#include "faults/registry.h"
#include "harness/cli/command.h"

namespace faultline::cli {
namespace {

struct FaultsOptions {
  std::string name;
  bool markdown = false;
};

int list_faults(const FaultsOptions& opts) {
  std::vector<const faults::FaultType*> types;
  if (opts.name.empty()) {
    types = faults::Registry::instance().all();
  } else if (const auto* t = faults::Registry::instance().find(opts.name)) {
    types = {t};
  } else {
    std::cerr << fmt::format("faultline faults: no fault type '{}'\n  hint: the fault types are: {}\n",
                             opts.name, fmt::join(faults::Registry::instance().names(), ", "));
    return 2;
  }
  if (opts.markdown) {
    std::cout << faults::catalogue_markdown(types);
    return 0;
  }
  for (const auto* t : types) {
    std::cout << faults::catalogue_text(*t);
  }
  return 0;
}

const CommandRegistration registration{
    Command{"faults", 30, [](CLI::App& app) -> std::function<int()> {
              app.description(
                  "List every fault type (or one) with its parameters, defaults and what it needs.\n"
                  "Use them in an experiment's method, e.g.\n"
                  "  - { at: 10s, fault: latency, target: web1, params: { delay: 100ms }, duration: 20s }");
              auto opts = std::make_shared<FaultsOptions>();
              app.add_option("name", opts->name, "only this fault type");
              app.add_flag("--markdown", opts->markdown, "print the catalogue as Markdown (docs/FAULTS.md)");
              return [opts] { return list_faults(*opts); };
            }}};

}  // namespace
}  // namespace faultline::cli
