#pragma once

#include <map>
#include <string>
#include <vector>

#include "harness/common/result.h"
#include "harness/runner/validate.h"
#include "harness/stack/own_config.h"
#include "harness/stack/run_registry.h"
#include "harness/stack/stack.h"

// `faultline plan`: what a run of an experiment would do, told without
// doing it. gather_plan collects what only this machine knows (the
// addresses a run would get, the copies of the team's configs, the
// programs' paths); format_plan turns that into text and reads nothing,
// so the wording is tested on its own.
namespace faultline::runner {

// What a run's folder is called in the text: the run's id is not known
// before the run, and the plan's scratch folder is not where the run puts
// its files.
inline constexpr const char* kRunFolder = "<run folder>";

// One file of a team's config as the run's copy holds it.
struct CopiedConfigFile {
  std::string shown_path;  // the team's file, relative to the experiment's folder when inside it
  std::string team_text;
  std::string copy_text;  // run folder paths as kRunFolder
  // The changes faultline made in this file; their lines count in copy_text.
  std::vector<stack::ConfigChange> changes;
};

// A service run from the team's own config: the copy a run would start.
struct PreparedConfigView {
  std::string service;
  std::string copy_path;  // the copy's main file, under kRunFolder
  // The main file first, then each other file of the copy that faultline
  // changed; empty when the copy could not be prepared (`error` says why).
  std::vector<CopiedConfigFile> files;
  std::vector<std::string> unchanged;  // files the copy reads as the team wrote them
  std::string error;
};

// A config faultline renders from the experiment's keys (`--configs`).
struct RenderedConfigView {
  std::string service;
  std::string path;  // where the run writes it, under kRunFolder
  std::string text;
};

struct PlanView {
  const ValidatedExperiment* v = nullptr;
  // Addresses as a run started now would get them; an error when no plan
  // can be made on this machine (the text then says why).
  Result<stack::Plan> plan = Error{"no plan was made"};
  std::string registry_dir = stack::kDefaultRegistryDir;
  // kind process: the command line with its program resolved as the run
  // resolves it (PATH, or the service's workdir).
  std::map<std::string, std::vector<std::string>> commands;
  std::vector<PreparedConfigView> configs;  // in the stack's order
  // Filled only when asked for; empty, the text says `--configs` prints them.
  std::vector<RenderedConfigView> rendered;
  bool rendered_asked = false;
  // runtime docker: which daemon answers (or why none does), and what it
  // says of each image the stack names, by reference. Only looked at, never
  // pulled. Empty on other runtimes.
  std::string docker_daemon;
  bool docker_up = false;
  std::map<std::string, std::string> images;
};

struct PlanOptions {
  // The run registry a run would use: live runs there hold subnets the plan
  // does not pick.
  std::string registry_dir = stack::kDefaultRegistryDir;
  bool render_configs = false;
  // runtime docker: the daemon asked about the images.
  std::string docker_socket = "/var/run/docker.sock";
};

// Everything format_plan needs from this machine. Reads the host's
// addresses, the run registry and the team's files; writes nothing but a
// scratch folder, removed before it returns (also when it throws).
PlanView gather_plan(const ValidatedExperiment& v, const PlanOptions& options);

// The whole plan: the stack, the team's configs as the run starts them, the
// load, the method's timeline, the objectives and the verdict rule.
std::string format_plan(const PlanView& view);

// One service's prepared config: the copy's lines, each with the team
// file's line number, "+" for a line faultline added, "~" for one it
// changed, "-" for a team line the copy leaves out, and under a change its
// reason. Part of format_plan; on its own for tests.
std::string format_config_copy(const PreparedConfigView& config);

using experiment::shown_path;

}  // namespace faultline::runner
