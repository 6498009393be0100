// What `faultline plan` needs from this machine: the addresses a run would
// get, the copies of the team's configs, the programs' paths, the configs
// faultline renders. Nothing is started; the copies are prepared for a
// scratch folder that is removed before gather_plan returns.

#include <fmt/format.h>
#include <stdlib.h>

#include <filesystem>
#include <set>
#include <tuple>

#include "harness/common/scratch_dir.h"
#include "harness/common/text.h"
#include "harness/runner/plan_view.h"
#include "harness/runner/preflight.h"
#include "harness/stack/netns_stack.h"
#include "harness/stack/render.h"

namespace faultline::runner {

namespace {

namespace fs = std::filesystem;
using experiment::ServiceKind;

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// The copy `copy` made for a folder under `scratch`, told as the run would
// have it: every path of the scratch folder under kRunFolder instead.
PreparedConfigView view_of(const stack::OwnConfigCopy& copy, const std::string& scratch,
                           const experiment::Experiment& exp) {
  auto in_run = [&](std::string text) {
    replace_all(text, scratch, kRunFolder);
    return text;
  };
  PreparedConfigView view;
  view.service = copy.service;
  view.copy_path = in_run(copy.main_copy);
  for (const auto& [path, text] : copy.files) {
    const auto team = copy.team_path_of.find(path);
    const std::string team_path = team != copy.team_path_of.end() ? team->second : copy.team_file;
    CopiedConfigFile file;
    file.shown_path = shown_path(exp, team_path);
    for (const auto& c : copy.changes) {
      if (c.file == team_path) {
        stack::ConfigChange told = c;
        told.what = in_run(c.what);
        told.why = in_run(c.why);
        file.changes.push_back(std::move(told));
      }
    }
    // The main file is always shown; another only when faultline changed
    // it (the rest are the team's as written).
    if (!view.files.empty() && file.changes.empty()) {
      view.unchanged.push_back(file.shown_path);
      continue;
    }
    file.team_text = read_text(team_path);
    file.copy_text = in_run(text);
    view.files.push_back(std::move(file));
  }
  return view;
}

// The configs faultline renders from the experiment, at the paths a run
// writes them to.
std::vector<RenderedConfigView> render_all(const experiment::Experiment& exp, const stack::Plan& plan) {
  std::vector<RenderedConfigView> out;
  for (const auto& s : exp.stack.services) {
    if (s.has_own_config() || (s.kind != ServiceKind::haproxy && s.kind != ServiceKind::nginx)) {
      continue;
    }
    const std::string dir = fmt::format("{}/{}", kRunFolder, s.name);
    stack::RenderPaths paths;
    paths.dir = dir;
    if (s.tls) {
      // Made when the run starts: the run's CA signs a new one each time.
      const auto files = platform::server_file_paths(dir);
      paths.tls_combined = files.combined;
      paths.tls_cert = files.cert;
      paths.tls_key = files.key;
    }
    RenderedConfigView r;
    r.service = s.name;
    if (s.kind == ServiceKind::haproxy) {
      paths.runtime_socket = dir + "/admin.sock";
      r.path = dir + "/haproxy.cfg";
      r.text = stack::render_haproxy(s, plan, paths);
    } else {
      r.path = dir + "/nginx.conf";
      r.text = s.is_load_balancer() ? stack::render_nginx_lb(s, plan, paths)
                                    : stack::render_nginx_backend(s, plan, paths, exp.load.backend_header);
    }
    out.push_back(std::move(r));
  }
  return out;
}

// What the Docker daemon says of the stack's images, as the preflight
// asks it, without pulling: a plan changes nothing.
void gather_docker(const experiment::Experiment& exp, const std::string& socket, PlanView& view) {
  PreflightProbes probes;
  add_docker_probes(probes, false, socket);
  std::tie(view.docker_up, view.docker_daemon) = probes.docker_daemon();
  if (!view.docker_up) {
    return;
  }
  for (const auto& s : exp.stack.services) {
    if (!s.image.empty() && view.images.count(s.image) == 0) {
      view.images[s.image] = probes.docker_image(s.image).second;
    }
  }
}

}  // namespace

PlanView gather_plan(const ValidatedExperiment& v, const PlanOptions& options) {
  PlanView view;
  view.v = &v;
  view.registry_dir = options.registry_dir;
  view.rendered_asked = options.render_configs;
  // An identity like a run's, in the same registry, so the subnet is one a
  // run started now would get: make_plan leaves out the subnets of the live
  // runs there, all but its own id's, so the id is one no run there holds.
  // Nothing is made under it.
  std::set<std::string> taken;
  for (const auto& run : stack::list_runs(options.registry_dir)) {
    taken.insert(run.run_id);
  }
  stack::RunIdentity id;
  for (unsigned n = 0; id.run_id.empty() || taken.count(id.run_id) != 0; ++n) {
    id.run_id = fmt::format("{:06x}", n);
  }
  id.run_dir = (fs::path(options.registry_dir) / id.run_id).string();
  view.plan = stack::make_plan(v.exp, id);

  // The copies are prepared for a real folder of the run's kind (private,
  // absolute, of a length like a run's, which HAProxy's socket paths must
  // fit), never one of the registry: a plan makes nothing there.
  ScratchDir scratch("faultline-plan");
  for (const auto& s : v.exp.stack.services) {
    if (s.kind == ServiceKind::process) {
      if (auto command = stack::netns::process_command(s)) {
        view.commands[s.name] = *command;
      }
    }
    if (!s.has_own_config()) {
      continue;
    }
    if (scratch.path().empty()) {
      view.configs.push_back({s.name, {}, {}, {}, "no scratch folder to prepare it in"});
      continue;
    }
    auto copy = stack::prepare_own_config(s, scratch.path() + "/" + s.name);
    if (!copy) {
      std::string error = copy.error().message;
      replace_all(error, scratch.path(), kRunFolder);
      view.configs.push_back({s.name, {}, {}, {}, error});
      continue;
    }
    view.configs.push_back(view_of(*copy, scratch.path(), v.exp));
  }
  if (options.render_configs && view.plan) {
    view.rendered = render_all(v.exp, *view.plan);
  }
  if (v.exp.stack.runtime == experiment::kRuntimeDocker) {
    gather_docker(v.exp, options.docker_socket, view);
  }
  return view;
}

}  // namespace faultline::runner
