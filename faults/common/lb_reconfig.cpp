#include "faults/common/lb_reconfig.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "harness/common/text.h"
#include "harness/platform/process.h"
#include "harness/stack/render.h"

namespace faultline::faults {
namespace {

namespace fs = std::filesystem;

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) {
    out += l;
    out += '\n';
  }
  return out;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) {
    return {};
  }
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> words;
  std::stringstream ss(s);
  std::string w;
  while (ss >> w) {
    words.push_back(w);
  }
  return words;
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// Single quotes for the shell; the paths are ours, but be safe anyway.
std::string shell_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

Result<const stack::ServiceInstance*> lb_instance(const stack::RunningStack& stack, const std::string& lb) {
  const auto* inst = stack.find(lb);
  if (inst == nullptr || inst->config_path.empty()) {
    return Error{fmt::format("{} is not a running load balancer of the stack", lb)};
  }
  return inst;
}

}  // namespace

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) {
    lines.push_back(line);
  }
  return lines;
}

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

Result<ConfigCheck> run_config_check(experiment::ServiceKind kind, const std::string& text,
                                     const std::string& dir) {
  const bool haproxy = kind == experiment::ServiceKind::haproxy;
  ConfigCheck check;
  check.checker = haproxy ? "haproxy -c" : "nginx -t";
  check.candidate = dir + (haproxy ? "/candidate.cfg" : "/candidate.conf");
  auto exe = platform::find_executable(haproxy ? "haproxy" : "nginx");
  if (!exe) {
    return Error{fmt::format("{} is not installed", haproxy ? "haproxy" : "nginx")};
  }
  {
    std::ofstream out(check.candidate, std::ios::trunc);
    out << text;
    if (!out) {
      return Error{"cannot write " + check.candidate};
    }
  }
  // Check mode only parses: it binds nothing and signals nobody, so it is
  // safe next to the live server.
  const std::string command =
      haproxy
          ? fmt::format("{} -c -f {} 2>&1", shell_quoted(*exe), shell_quoted(check.candidate))
          : fmt::format("{} -t -q -c {} -p {} -e {} 2>&1", shell_quoted(*exe), shell_quoted(check.candidate),
                        shell_quoted(dir + "/"), shell_quoted(dir + "/check.log"));
  std::string output;
  int status = -1;
  if (std::FILE* p = ::popen(command.c_str(), "r")) {
    char buf[512];
    while (std::fgets(buf, sizeof buf, p) != nullptr) {
      output += buf;
    }
    status = ::pclose(p);
  }
  std::error_code ec;
  fs::remove(check.candidate, ec);
  check.passed = status == 0;
  if (!check.passed) {
    // Only what made the check fail: HAProxy's [ALERT]s, nginx's [emerg]s
    // (its [warn]s print too, and are not why it failed).
    std::vector<std::string> all;
    for (const auto& l : split_lines(output)) {
      if (!trim(l).empty()) {
        all.push_back(trim(l));
      }
      if (l.find(haproxy ? "[ALERT]" : "[emerg]") != std::string::npos) {
        check.complaints.push_back(trim(l));
      }
    }
    if (check.complaints.empty()) {
      check.complaints = std::move(all);
    }
  }
  return check;
}

Status check_config_text(experiment::ServiceKind kind, const std::string& text, const std::string& dir) {
  auto check = run_config_check(kind, text, dir);
  if (!check) {
    return check.error();
  }
  if (!check->passed) {
    return Error{fmt::format(
        "{} rejected the configuration: {}", check->checker,
        check->complaints.empty() ? "(no output)" : fmt::format("{}", fmt::join(check->complaints, "\n")))};
  }
  return {};
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

Result<std::string> add_to_section(experiment::ServiceKind kind, const std::string& text,
                                   const std::string& section, const std::string& fragment) {
  auto inserted = insert_in_section(kind, text, section, fragment);
  if (!inserted) {
    return inserted.error();
  }
  return std::move(inserted->text);
}

Result<SectionInsert> insert_in_section(experiment::ServiceKind kind, const std::string& text,
                                        const std::string& section, const std::string& fragment) {
  auto lines = split_lines(text);
  const auto frag = split_lines(fragment);
  std::vector<std::string> indented;
  if (kind == experiment::ServiceKind::haproxy) {
    // A section runs from its keyword line to the next line that starts in
    // column 0; the fragment goes at its end, where it overrides what the
    // section said before.
    size_t start = lines.size();
    for (size_t i = 0; i < lines.size(); ++i) {
      if (lines[i] == section || starts_with(lines[i], section + " ")) {
        start = i;
        break;
      }
    }
    if (start == lines.size()) {
      return Error{fmt::format("the HAProxy configuration has no '{}' section", section)};
    }
    size_t end = start + 1;
    while (end < lines.size() && (lines[end].empty() || lines[end][0] == ' ' || lines[end][0] == '\t')) {
      ++end;
    }
    while (end > start + 1 && trim(lines[end - 1]).empty()) {
      --end;
    }
    for (const auto& f : frag) {
      indented.push_back("  " + trim(f));
    }
    lines.insert(lines.begin() + static_cast<long>(end), indented.begin(), indented.end());
    return SectionInsert{join_lines(lines), end, indented.size()};
  }
  // nginx: after the block's opening line (the main context: before `http`).
  std::string opening;
  bool before = false;
  if (section == "global") {
    opening = "http {";
    before = true;
  } else if (section == "defaults") {
    opening = "http {";
  } else if (section == "frontend") {
    opening = "server {";
  } else {
    opening = "upstream ";
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string t = trim(lines[i]);
    if (t == opening || (opening == "upstream " && starts_with(t, opening))) {
      const std::string pad(lines[i].find_first_not_of(' ') + (before ? 0 : 2), ' ');
      for (const auto& f : frag) {
        indented.push_back(pad + trim(f));
      }
      const size_t at = before ? i : i + 1;
      lines.insert(lines.begin() + static_cast<long>(at), indented.begin(), indented.end());
      return SectionInsert{join_lines(lines), at, indented.size()};
    }
  }
  return Error{fmt::format("the nginx configuration has no block for section '{}'", section)};
}

Result<std::string> nginx_fork_location(const std::string& text, const std::string& path,
                                        const std::vector<std::string>& head_lines,
                                        const std::string& named) {
  auto lines = split_lines(text);
  const std::string opening = fmt::format("location {} {{", path);
  size_t open = lines.size();
  for (size_t i = 0; i < lines.size(); ++i) {
    if (trim(lines[i]) == opening) {
      open = i;
      break;
    }
  }
  if (open == lines.size()) {
    return Error{fmt::format("the nginx configuration has no 'location {}' block", path)};
  }
  // Faults and the renderer write one brace per line end, so counting the
  // braces line by line finds the block's end.
  int depth = 0;
  size_t close = lines.size();
  for (size_t i = open; i < lines.size(); ++i) {
    for (char c : lines[i]) {
      depth += c == '{' ? 1 : c == '}' ? -1 : 0;
    }
    if (depth == 0) {
      close = i;
      break;
    }
  }
  if (close == lines.size()) {
    return Error{fmt::format("the nginx configuration's 'location {}' block is not closed", path)};
  }
  const std::string pad = lines[open].substr(0, lines[open].find_first_not_of(' '));
  std::vector<std::string> copy;
  copy.push_back(pad + fmt::format("location {} {{", named));
  copy.insert(copy.end(), lines.begin() + static_cast<long>(open + 1),
              lines.begin() + static_cast<long>(close));
  copy.push_back(pad + "}");
  lines.insert(lines.begin() + static_cast<long>(close + 1), copy.begin(), copy.end());
  std::vector<std::string> head;
  for (const auto& h : head_lines) {
    head.push_back(pad + "  " + h);
  }
  lines.insert(lines.begin() + static_cast<long>(open + 1), head.begin(), head.end());
  return join_lines(lines);
}

Result<std::string> lb_dir(const stack::RunningStack& stack, const std::string& lb) {
  auto inst = lb_instance(stack, lb);
  if (!inst) {
    return inst.error();
  }
  return fs::path((*inst)->config_path).parent_path().string();
}

Result<std::string> set_directive(experiment::ServiceKind kind, const std::string& text,
                                  const std::string& section, const std::string& key,
                                  const std::string& line) {
  const bool haproxy = kind == experiment::ServiceKind::haproxy;
  const auto key_words = split_words(key);
  auto lines = split_lines(text);
  bool in_section = !haproxy;
  bool replaced = false;
  for (auto& l : lines) {
    if (haproxy && !l.empty() && l[0] != ' ' && l[0] != '\t') {
      in_section = l == section || starts_with(l, section + " ");
      continue;
    }
    if (!in_section) {
      continue;
    }
    auto words = split_words(trim(l));
    if (words.size() >= key_words.size() && std::equal(key_words.begin(), key_words.end(), words.begin())) {
      l = l.substr(0, l.find_first_not_of(" \t")) + line;
      replaced = true;
    }
  }
  if (replaced) {
    return join_lines(lines);
  }
  return add_to_section(kind, text, section, line);
}

std::string remove_directives(const std::string& text, const std::vector<std::string>& keys) {
  std::vector<std::string> kept;
  for (const auto& l : split_lines(text)) {
    std::string t = trim(l);
    if (!t.empty() && t.back() == ';') {
      t.pop_back();
    }
    auto words = split_words(t);
    if (!words.empty() && std::find(keys.begin(), keys.end(), words[0]) != keys.end()) {
      continue;
    }
    kept.push_back(l);
  }
  return join_lines(kept);
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
  // In the load balancer's namespace: nginx -t binds the listen address
  // (tolerating "in use"), which exists only there.
  const auto kind = (*inst)->planned.kind;
  const std::string dir = fs::path((*inst)->config_path).parent_path().string();
  if (auto st = stack.in_netns(lb_, [&] { return check_config_text(kind, text, dir); }); !st) {
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

Status LbReconfig::restore(stack::RunningStack& stack) {
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
  auto text = current_lb_config(stack, lb_);
  if (text) {
    text = edit(stack, lb->planned.kind, *text);
  }
  if (!text) {
    return text.error();
  }
  return reconfig_.apply(stack, *text);
}

std::string ReconfigFault::mechanism() const {
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

Needs lb_needs() {
  return {.root = true,
          .target_kinds = {experiment::ServiceKind::haproxy, experiment::ServiceKind::nginx},
          .kernel_feature = ""};
}

}  // namespace faultline::faults
