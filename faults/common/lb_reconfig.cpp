#include "faults/common/lb_reconfig.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "faults/common/lb_team_config.h"
#include "harness/common/text.h"
#include "harness/platform/process.h"
#include "harness/stack/config_edit.h"
#include "harness/stack/render.h"

namespace faultline::faults {
namespace {

namespace fs = std::filesystem;

Result<const stack::ServiceInstance*> lb_instance(const stack::RunningStack& stack, const std::string& lb) {
  const auto* inst = stack.find(lb);
  if (inst == nullptr || inst->config_path.empty()) {
    return Error{fmt::format("{} is not a running load balancer of the stack", lb)};
  }
  return inst;
}

}  // namespace

Result<std::string> current_lb_config(const stack::RunningStack& stack, const std::string& lb) {
  auto inst = lb_instance(stack, lb);
  if (!inst) {
    return inst.error();
  }
  std::ifstream in((*inst)->config_path, std::ios::binary);
  if (!in) {
    return Error{"cannot read " + (*inst)->config_path};
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<std::string> edit_server_line(const stack::RunningStack& stack, const std::string& lb,
                                     const std::string& text, const std::string& server,
                                     const ServerEdit& edit) {
  auto inst = lb_instance(stack, lb);
  if (!inst) {
    return inst.error();
  }
  const auto* backend = stack.plan().find(server);
  if (backend == nullptr) {
    return Error{fmt::format("{} is not a service of the stack", server)};
  }
  const bool haproxy = (*inst)->planned.kind == experiment::ServiceKind::haproxy;
  const std::string old_target = fmt::format("{}:{}", backend->address, backend->port);
  auto lines = split_lines(text);
  bool found = false;
  for (auto& line : lines) {
    std::string t = trim(line);
    const bool semicolon = !t.empty() && t.back() == ';';
    if (semicolon) {
      t.pop_back();
    }
    auto words = split_words(t);
    // nginx names a server by its address (a wrong-backend fault may have
    // moved it, so its original address is what identifies it); HAProxy by name.
    const size_t addr_at = haproxy ? 2 : 1;
    if (words.size() <= addr_at || words[0] != "server" || (haproxy && words[1] != server) ||
        (!haproxy && words[1] != old_target)) {
      continue;
    }
    found = true;
    if (edit.address || edit.port) {
      auto colon = words[addr_at].rfind(':');
      std::string addr = words[addr_at].substr(0, colon);
      std::string port = colon == std::string::npos ? "" : words[addr_at].substr(colon + 1);
      words[addr_at] =
          fmt::format("{}:{}", edit.address.value_or(addr), edit.port ? std::to_string(*edit.port) : port);
    }
    for (const auto& [key, value] : edit.set) {
      bool replaced = false;
      for (size_t i = addr_at + 1; i < words.size(); ++i) {
        if (haproxy && words[i] == key && i + 1 < words.size()) {
          words[i + 1] = value;
          replaced = true;
        } else if (!haproxy && starts_with(words[i], key + "=")) {
          words[i] = key + "=" + value;
          replaced = true;
        }
      }
      if (!replaced) {
        if (haproxy) {
          words.push_back(key);
          words.push_back(value);
        } else {
          words.push_back(key + "=" + value);
        }
      }
    }
    for (const auto& flag : edit.remove) {
      words.erase(std::remove(words.begin() + static_cast<long>(addr_at) + 1, words.end(), flag),
                  words.end());
    }
    for (const auto& flag : edit.flags) {
      if (std::find(words.begin() + static_cast<long>(addr_at) + 1, words.end(), flag) == words.end()) {
        words.push_back(flag);
      }
    }
    const std::string indent = line.substr(0, line.find_first_not_of(" \t"));
    line = indent + fmt::format("{}", fmt::join(words, " ")) + (semicolon ? ";" : "");
  }
  if (!found) {
    return Error{fmt::format("the configuration of {} has no server line for {}", lb, server)};
  }
  return join_lines(lines);
}

Result<std::string> lb_dir(const stack::RunningStack& stack, const std::string& lb) {
  auto inst = lb_instance(stack, lb);
  if (!inst) {
    return inst.error();
  }
  return fs::path((*inst)->config_path).parent_path().string();
}

const experiment::Service* lb_target(const experiment::MethodStep& step, const experiment::Experiment& exp,
                                     experiment::Diagnostics& diags) {
  const auto* lb = exp.stack.find(step.target);
  if (lb != nullptr && !lb->is_load_balancer()) {
    diags.error(step.target_pos,
                fmt::format("fault '{}' cannot target {}: it is a backend, not a load balancer", step.fault,
                            step.target),
                "target a service that has backends");
    return nullptr;
  }
  return lb;
}

void check_backend(ParamReader& params, const std::string& param, const experiment::Service* lb,
                   const std::optional<std::string>& server) {
  if (!server || lb == nullptr) {
    return;
  }
  for (const auto& b : lb->backends) {
    if (b == *server) {
      return;
    }
  }
  params.error_at(param, fmt::format("'{}' is not a backend of {}", *server, lb->name),
                  fmt::format("{}'s backends are: {}", lb->name, fmt::join(lb->backends, ", ")));
}

Status LbReconfig::apply(stack::RunningStack& stack, const std::string& text) {
  auto inst = lb_instance(stack, lb_);
  if (!inst) {
    return inst.error();
  }
  // A copy of a team's config names the stack's services, which resolve
  // only where the server runs: reload_files checks it there.
  if (!(*inst)->team_config.empty()) {
    return apply_files(stack, {{(*inst)->config_path, text}});
  }
  // Where the load balancer runs (netns: its namespace, where nginx -t
  // finds the listen address it binds; docker: its image's own server).
  if (auto st = stack.check_config(lb_, text); !st) {
    return Error{fmt::format("{}: {}", lb_, st.error().message)};
  }
  const std::string previous = read_text((*inst)->config_path);
  if (!original_) {
    original_ = previous;
  }
  if (auto st = stack.reload(lb_, text); !st) {
    // Roll back to what served before, so a rejected change leaves the load
    // balancer as it was.
    auto back = stack.reload(lb_, previous);
    return Error{
        fmt::format("{}{}", st.error().message,
                    back ? "; the previous configuration was restored"
                         : "; restoring the previous configuration also failed: " + back.error().message)};
  }
  return {};
}

Status LbReconfig::apply_files(stack::RunningStack& stack, const std::vector<stack::ConfigFileText>& files) {
  if (files.empty()) {
    return {};  // the copy says already what the fault would make it say: nothing to reload
  }
  // What each file says before this change: put back if the reload fails,
  // and, the first time a file is seen, what restore puts back.
  std::vector<stack::ConfigFileText> previous;
  for (const auto& f : files) {
    previous.push_back({f.path, read_text(f.path)});
    const bool known = std::any_of(original_files_.begin(), original_files_.end(),
                                   [&](const stack::ConfigFileText& o) { return o.path == f.path; });
    if (!known) {
      original_files_.push_back(previous.back());
    }
  }
  auto st = stack.reload_files(lb_, files);
  if (st) {
    return {};
  }
  // A rejected check leaves the files as they were and reloads nothing; a
  // reload that failed leaves the new files, and the previous ones are
  // reloaded so the load balancer serves as before.
  const bool unchanged = std::all_of(previous.begin(), previous.end(), [](const stack::ConfigFileText& p) {
    return read_text(p.path) == p.text;
  });
  if (unchanged) {
    return st;
  }
  auto back = stack.reload_files(lb_, previous);
  return Error{
      fmt::format("{}{}", st.error().message,
                  back ? "; the previous configuration was restored"
                       : "; restoring the previous configuration also failed: " + back.error().message)};
}

Status LbReconfig::restore(stack::RunningStack& stack) {
  if (!original_files_.empty()) {
    if (auto st = stack.reload_files(lb_, original_files_); !st) {
      return st;
    }
    original_files_.clear();
  }
  if (!original_) {
    return {};
  }
  if (auto st = stack.reload(lb_, *original_); !st) {
    return st;
  }
  original_.reset();
  return {};
}

Status ReconfigFault::inject(stack::RunningStack& stack) {
  const auto* lb = stack.find(lb_);
  if (lb == nullptr) {
    return Error{fmt::format("{}: no service {}", fault_type_, lb_)};
  }
  if (on_team_config()) {
    auto config = TeamConfig::load(*lb);
    if (!config) {
      return config.error();
    }
    if (auto st = edit_team(stack, *config); !st) {
      return Error{fmt::format("{}: {}", fault_type_, st.error().message)};
    }
    return reconfig_.apply_files(stack, config->changed_files());
  }
  auto text = current_lb_config(stack, lb_);
  if (text) {
    text = edit(stack, lb->planned.kind, *text);
  }
  if (!text) {
    return text.error();
  }
  return reconfig_.apply(stack, *text);
}

Status ReconfigFault::edit_team(const stack::RunningStack& /*stack*/, TeamConfig& /*config*/) const {
  return Error{"this fault cannot change a copy of a team's own config"};
}

std::string ReconfigFault::mechanism() const {
  if (on_team_config()) {
    return team_rewrite_mechanism(lb_, site_.target_kind, team_config_);
  }
  // The check and the reload are LbReconfig::apply's.
  return site_.target_kind == experiment::ServiceKind::haproxy
             ? fmt::format(
                   "a rewrite of {}'s HAProxy configuration, checked with `haproxy -c` and reloaded "
                   "without dropping connections",
                   lb_)
             : fmt::format(
                   "a rewrite of {}'s nginx configuration, checked with `nginx -t` and reloaded "
                   "gracefully (old workers finish their requests)",
                   lb_);
}

std::string team_rewrite_mechanism(const std::string& lb, experiment::ServiceKind kind,
                                   const std::string& team_config) {
  const std::string file = fs::path(team_config).filename().string();
  return kind == experiment::ServiceKind::haproxy
             ? fmt::format(
                   "a rewrite of {}'s copy of {} (the team's file is left as it is), checked with "
                   "`haproxy -c` where HAProxy runs and reloaded without dropping connections",
                   lb, file)
             : fmt::format(
                   "a rewrite of {}'s copy of {} and of the files it includes (the team's files are left as "
                   "they are), checked with `nginx -t` where nginx runs and reloaded gracefully (old workers "
                   "finish their requests)",
                   lb, file);
}

std::string config_state(const std::string& lb) {
  return fmt::format("the configuration of {}", lb);
}

Needs lb_needs() {
  return {.root = true,
          .target_kinds = {experiment::ServiceKind::haproxy, experiment::ServiceKind::nginx},
          .kernel_feature = ""};
}

}  // namespace faultline::faults
