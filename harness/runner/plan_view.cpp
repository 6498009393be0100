// The text of `faultline plan`: the stack, the team's configs, the load,
// the method and the objectives, from what gather_plan collected.

#include "harness/runner/plan_view.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>

#include "harness/common/text.h"
#include "harness/common/units.h"
#include "harness/runner/phases/method.h"
#include "harness/stack/docker_spec.h"

namespace faultline::runner {

namespace {

namespace fs = std::filesystem;
using experiment::Service;
using experiment::ServiceKind;

// What the names a run gives its containers and network hold in place of
// its id, not known before the run.
constexpr const char* kRunId = "<run id>";

std::string at(Duration d) {
  return "t+" + format_duration(d);
}

std::string rate(double per_second) {
  return fmt::format("{:g}/s", per_second);
}

const PreparedConfigView* config_of(const PlanView& view, const std::string& service) {
  for (const auto& c : view.configs) {
    if (c.service == service) {
      return &c;
    }
  }
  return nullptr;
}

bool rendered_shown(const PlanView& view, const std::string& service) {
  return std::any_of(view.rendered.begin(), view.rendered.end(),
                     [&](const RenderedConfigView& r) { return r.service == service; });
}

// "web1 (weight 100), web2, web3".
std::string backends_text(const Service& s) {
  std::vector<std::string> out;
  for (const auto& b : s.backends) {
    const auto w = s.weights.find(b);
    out.push_back(w == s.weights.end() ? b : fmt::format("{} (weight {})", b, w->second));
  }
  return fmt::format("{}", fmt::join(out, ", "));
}

// How the service's server gets its configuration, in one line.
std::string config_line(const PlanView& view, const Service& s) {
  const auto& exp = view.v->exp;
  if (s.has_own_config()) {
    const PreparedConfigView* c = config_of(view, s.name);
    return fmt::format("config: the team's {}, run as a copy{}", shown_path(exp, s.own.config),
                       c != nullptr && c->error.empty() ? " (below, with what faultline changes)" : "");
  }
  const std::string where = rendered_shown(view, s.name) ? "below"
                            : view.rendered_asked        ? "not shown: no addresses to render it with"
                                                         : "--configs prints it";
  if (s.is_load_balancer()) {
    return fmt::format("config: rendered by faultline from the experiment ({}): balance {}", where,
                       s.balance);
  }
  std::string line =
      fmt::format("config: rendered by faultline ({}): answers with 200 and names itself in the {} header",
                  where, exp.load.backend_header);
  if (s.capacity && s.capacity->rps > 0) {
    line += fmt::format(", sheds with 503 beyond {} (burst {})", rate(s.capacity->rps), s.capacity->burst);
  }
  return line;
}

// runtime docker: the container a run creates for the service, its image
// as the daemon has it, and where its config is mounted.
std::string container_line(const PlanView& view, const Service& s) {
  std::string image = s.image;
  if (const auto it = view.images.find(s.image); it != view.images.end()) {
    image += " (" + it->second + ")";
  }
  if (s.has_own_config()) {
    return fmt::format(
        "container: {} from image {}, running the copy of {} in the run folder (mounted at its own path), "
        "with {} mounted read-only at its own path",
        stack::docker::container_name(kRunId, s.name), image, s.own.config,
        std::filesystem::path(s.own.config).parent_path().string());
  }
  return fmt::format("container: {} from image {}, its config mounted at {}",
                     stack::docker::container_name(kRunId, s.name), image,
                     stack::docker::config_path_in_container(s));
}

std::string ready_text(const experiment::Readiness& ready, int port) {
  if (ready.tcp) {
    return fmt::format("up once port {} accepts a TCP connection", port);
  }
  return fmt::format("up once GET {} answers with a status below 500", ready.http_path);
}

// The lines under a service's row: how it starts and where it sends.
std::vector<std::string> service_details(const PlanView& view, const Service& s) {
  const auto& exp = view.v->exp;
  std::vector<std::string> lines;
  switch (s.kind) {
    case ServiceKind::process: {
      const auto resolved = view.commands.find(s.name);
      lines.push_back("command: " +
                      shell_words(resolved != view.commands.end() ? resolved->second : s.own.command));
      const std::string dir = shown_path(exp, s.own.workdir);
      lines.push_back(dir == "." || s.own.workdir.empty() ? "workdir: . (the experiment file's folder)"
                                                          : "workdir: " + dir);
      if (!s.own.env.empty()) {
        std::vector<std::string> env;
        for (const auto& [name, value] : s.own.env) {
          env.push_back(name + "=" + value);
        }
        lines.push_back("env: " + shell_words(env) + " (added to faultline's own environment)");
      }
      lines.push_back("ready: " + ready_text(s.own.ready, s.port));
      break;
    }
    case ServiceKind::app: {
      const experiment::Capacity c = s.capacity.value_or(experiment::Capacity{});
      lines.push_back(fmt::format("faultline's own app server: {} workers, {} per request, {} more queued{}",
                                  c.workers, format_duration(c.service_time), c.queue,
                                  c.crash_on_overflow ? "; it exits when its queue is full" : ""));
      break;
    }
    case ServiceKind::haproxy:
    case ServiceKind::nginx:
      if (exp.stack.runtime == experiment::kRuntimeDocker) {
        lines.push_back(container_line(view, s));
      }
      lines.push_back(config_line(view, s));
      break;
  }
  if (s.is_load_balancer()) {
    lines.push_back("backends: " + backends_text(s));
  }
  return lines;
}

std::string stack_section(const PlanView& view) {
  const auto& stack = view.v->exp.stack;
  std::string out;
  if (view.plan) {
    out += fmt::format("Stack: {} services, runtime {}, on {} (the host's end of the bridge: {})\n",
                       stack.services.size(), stack.runtime, view.plan->subnet, view.plan->bridge_address);
    out +=
        stack.subnet
            ? "  addresses as a run started now would get them, in stack.subnet\n"
            : "  addresses as a run started now would get them: without stack.subnet each run picks a free "
              "/24 of 10.213.0.0/16 afresh, so another run may get others\n";
  } else {
    out += fmt::format("Stack: {} services, runtime {}; no addresses: {}\n", stack.services.size(),
                       stack.runtime, view.plan.error().message);
  }
  if (stack.runtime == experiment::kRuntimeDocker) {
    out += fmt::format("  containers on the Docker network {} (bridge {}), labelled {}={}; {}\n",
                       stack::docker::network_name(kRunId), stack::docker::docker_bridge_name(kRunId),
                       stack::docker::kRunLabel, kRunId,
                       view.docker_up ? "the daemon: " + view.docker_daemon
                                      : "no Docker daemon answers: " + view.docker_daemon);
  }
  size_t name_width = 0;
  for (const auto& s : stack.services) {
    name_width = std::max(name_width, s.name.size());
  }
  const std::string indent(2 + name_width + 2, ' ');
  for (const auto& s : stack.services) {
    const stack::PlannedService* p = view.plan ? view.plan->find(s.name) : nullptr;
    const std::string address =
        p != nullptr ? fmt::format("{}:{}", p->address, p->port) : fmt::format("port {}", s.port);
    out += fmt::format("  {:<{}}  {:<7}  {}\n", s.name, name_width, experiment::to_string(s.kind), address);
    for (const auto& line : service_details(view, s)) {
      out += indent + line + "\n";
    }
  }
  for (const auto& t : stack.external_targets) {
    out += fmt::format("  external target {} ({}){}: 'faultline run' needs --allow-external to reach it\n",
                       t.name, t.address, t.reason.empty() ? "" : ", " + t.reason);
  }
  return out;
}

std::string configs_section(const PlanView& view) {
  if (view.configs.empty() && view.rendered.empty()) {
    return {};
  }
  std::string out =
      fmt::format("\nConfigs as a run starts them ({} is {}/<run id>, made when the run starts)\n",
                  kRunFolder, view.registry_dir);
  if (!view.configs.empty()) {
    out +=
        "  in the margin: the line's number in the team's file, and \"+\" for a line faultline adds,\n"
        "  \"~\" for one it changes, \"-\" for one it leaves out; under a change, \"^\" what it was and "
        "why\n";
  }
  for (const auto& c : view.configs) {
    out += "\n" + format_config_copy(c);
  }
  for (const auto& r : view.rendered) {
    out += fmt::format("\n{}: rendered by faultline from the experiment, as {}\n", r.service, r.path);
    for (const auto& line : split_lines(r.text)) {
      out += line.empty() ? "\n" : "    " + line + "\n";
    }
  }
  return out;
}

std::string load_section(const PlanView& view) {
  const auto& load = view.v->exp.load;
  const stack::PlannedService* target = view.plan ? view.plan->find(load.target) : nullptr;
  std::string what = "path " + load.path;
  if (load.requests_written) {
    // "a mix of home (GET /, weight 70), checkout (POST /checkout, weight 5)"
    std::vector<std::string> parts;
    for (const auto& r : load.requests) {
      parts.push_back(fmt::format("{} ({} {}, weight {:g})", r.name, r.method, r.path, r.weight));
    }
    what = fmt::format("a mix of {} (seed {})", fmt::join(parts, ", "), load.seed);
  }
  std::string out =
      fmt::format("\nLoad: {} to {}{}, {}, for {}\n", rate(load.rate), load.target,
                  target != nullptr ? fmt::format(" at {}:{}", target->address, target->port) : "", what,
                  format_duration(load.duration));
  out += load.ramp > Duration::zero() ? fmt::format("  ramp: the rate grows from 0 to {} over the first {}\n",
                                                    rate(load.rate), format_duration(load.ramp))
                                      : "  ramp: none, the full rate from the start\n";
  out += fmt::format(
      "  connections: {} opened before the first request, at most {}; {} users; each request times out "
      "after {}\n",
      load.connections, load.max_connections, load.users, format_duration(load.timeout));
  return out;
}

// A fault's parameters as the experiment gives them: one line in flow
// style, or a block when a value spans lines (an lb_config fragment).
std::vector<std::string> params_lines(const YAML::Node& params) {
  if (!params.IsDefined() || params.IsNull() || (!params.IsScalar() && params.size() == 0)) {
    return {};
  }
  auto flow = [](const YAML::Node& node) {
    YAML::Emitter e;
    e.SetMapFormat(YAML::Flow);
    e.SetSeqFormat(YAML::Flow);
    e << node;
    return std::string(e.c_str());
  };
  bool spans_lines = false;
  if (params.IsMap()) {
    for (const auto& kv : params) {
      spans_lines =
          spans_lines || (kv.second.IsScalar() && kv.second.Scalar().find('\n') != std::string::npos);
    }
  }
  if (!spans_lines) {
    return {"params: " + flow(params)};
  }
  std::vector<std::string> lines = {"params:"};
  for (const auto& kv : params) {
    const std::string key = kv.first.Scalar();
    if (kv.second.IsScalar() && kv.second.Scalar().find('\n') != std::string::npos) {
      lines.push_back("  " + key + ": |");
      for (const auto& l : split_lines(kv.second.Scalar())) {
        lines.push_back(l.empty() ? std::string() : "    " + l);
      }
    } else {
      lines.push_back("  " + key + ": " + flow(kv.second));
    }
  }
  return lines;
}

std::string method_section(const PlanView& view) {
  const auto& v = *view.v;
  const auto& load = v.exp.load;
  if (v.exp.method.empty()) {
    return fmt::format("\nMethod: no steps; the load runs for {} without faults\n",
                       format_duration(load.duration));
  }
  std::string out =
      fmt::format("\nMethod (t+ counts from the start of the load, which ends at {}):\n", at(load.duration));
  const auto events = schedule(v, 0);
  std::vector<const faults::BoundFault*> until_end;
  for (const auto& f : v.faults) {
    if (!f.step->duration) {
      until_end.push_back(&f);
    }
  }
  size_t width = at(load.duration).size();
  for (const auto& e : events) {
    width = std::max(width, at(Duration(e.at_ns)).size());
  }
  const std::string indent(2 + width + 2, ' ');
  for (const auto& e : events) {
    const std::string when = at(Duration(e.at_ns));
    if (e.kind == MethodEvent::note) {
      out += fmt::format("  {:<{}}  note: {}\n", when, width, v.exp.method[e.index].note);
      continue;
    }
    const faults::BoundFault& f = v.faults[e.index];
    const auto& step = *f.step;
    if (e.kind == MethodEvent::revert) {
      out += fmt::format("  {:<{}}  revert {} on {}\n", when, width, step.fault, step.target);
      continue;
    }
    const std::string until = step.duration
                                  ? fmt::format("reverted at {} (after {})", at(step.at + *step.duration),
                                                format_duration(*step.duration))
                                  : fmt::format("in force until the load ends ({})", at(load.duration));
    out += fmt::format("  {:<{}}  inject {} on {}, {}\n", when, width, step.fault, step.target, until);
    for (const auto& line : params_lines(step.params)) {
      out += line.empty() ? "\n" : indent + line + "\n";
    }
    out += indent + "does: " + f.fault->describe() + "\n";
  }
  if (!until_end.empty()) {
    std::vector<std::string> names;
    for (const auto* f : until_end) {
      names.push_back(fmt::format("{} on {}", f->step->fault, f->step->target));
    }
    out +=
        fmt::format("  {:<{}}  the load ends; revert {}\n", at(load.duration), width, fmt::join(names, ", "));
  }
  return out;
}

std::string slo_section(const PlanView& view) {
  const auto& v = *view.v;
  const auto& slo = v.exp.slo;
  std::string out;
  if (slo.objectives.empty()) {
    out += fmt::format("\nSLO: no objectives (windows of {})\n", format_duration(slo.window));
  } else {
    out += fmt::format("\nSLO: objectives judged in windows of {}\n", format_duration(slo.window));
    size_t width = 0;
    for (const auto& o : slo.objectives) {
      width = std::max(width, o.name.size());
    }
    for (const auto& o : slo.objectives) {
      out += fmt::format("  {:<{}}  {}\n", o.name, width, o.expr);
    }
  }
  if (slo.steady_state > Duration::zero() && !slo.objectives.empty() && !v.faults.empty()) {
    out += fmt::format(
        "  steady state: the objectives must hold over the {} before the first fault, or nothing is "
        "injected (exit 4)\n",
        format_duration(slo.steady_state));
  }
  for (const auto& a : slo.abort_when) {
    out += fmt::format("  abort when: {} (faults reverted at once, exit 5)\n", a.expr);
  }
  if (slo.target) {
    out += fmt::format("  target: {:g}% (the journal states the error budget consumed)\n", *slo.target * 100);
  }
  out += v.exp.expect == experiment::Expectation::breach
             ? "Expect: breach, a drill: met when an objective breaches once a fault is in force\n"
             : "Expect: hold, a regression test: met when every objective holds in every window\n";
  return out;
}

}  // namespace

std::string format_plan(const PlanView& view) {
  if (view.v == nullptr) {
    return {};
  }
  std::string out = fmt::format("{}: what 'faultline run' would do; nothing was started\n\n",
                                fs::path(view.v->exp.source_file).filename().string());
  out += stack_section(view);
  out += configs_section(view);
  out += load_section(view);
  out += method_section(view);
  out += slo_section(view);
  return out;
}

}  // namespace faultline::runner
