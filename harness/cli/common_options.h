#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "harness/experiment/loader.h"

namespace faultline::cli {

// The options every command that reads an experiment shares.
struct ExperimentOptions {
  std::string file;
  std::vector<std::string> sets;

  std::vector<experiment::Override> overrides() const {
    std::vector<experiment::Override> out;
    for (const auto& s : sets) {
      if (auto o = experiment::parse_override(s)) {
        out.push_back(*o);
      }
    }
    return out;
  }
};

inline void add_experiment_options(CLI::App& app, ExperimentOptions& opts) {
  app.add_option("file", opts.file, "experiment file (YAML)")->required()->check(CLI::ExistingFile);
  app.add_option("--set", opts.sets,
                 "override one field before validation, e.g. --set stack.services.lb.retries=3\n"
                 "(dot-separated map keys, list items by index as in method.0.duration=30s;\n"
                 "value parsed as YAML; repeatable)")
      ->check([](const std::string& s) -> std::string {
        return experiment::parse_override(s) ? "" : "expected path=value, e.g. load.rate=200/s";
      });
}

}  // namespace faultline::cli
