// A reload of a server run from a copy of a team's own config, whose edits
// may change any file of the copy (nginx: a copy of an included file). The
// copy's folder also holds links to the rest of the team's folder, so what
// may be written is checked path by path: only regular files inside the
// service's run folder, never a team's file. The check runs where the
// server runs, because a team's config names the stack's services (`server
// api1 api1:9000`), which resolve only with the run's hosts file.

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "harness/common/text.h"
#include "harness/platform/command.h"
#include "harness/platform/hosts_view.h"
#include "harness/platform/process.h"
#include "harness/stack/netns_stack.h"
#include "harness/stack/own_config.h"
#include "harness/stack/own_config_running.h"

namespace faultline::stack::netns {

namespace {

// The value after `flag` in `args`; empty when there is none.
std::string arg_after(const std::vector<std::string>& args, const std::string& flag) {
  for (size_t k = 0; k + 1 < args.size(); ++k) {
    if (args[k] == flag) {
      return args[k + 1];
    }
  }
  return {};
}

}  // namespace

Result<std::string> NetnsStack::writable_config_file(size_t i, const std::string& path) const {
  return writable_copy_file(services_[i].planned.name, dirs_[i], path);
}

Status NetnsStack::check_in_place(size_t i) const {
  const ServiceInstance& inst = services_[i];
  const platform::ProcessSpec& spec = specs_[i];
  const bool haproxy = inst.planned.kind == experiment::ServiceKind::haproxy;
  const std::string checker = haproxy ? "haproxy -c" : "nginx -t";
  // The arguments the server runs with, in check mode; nginx's error log
  // of the check goes beside the server's, not into it.
  std::vector<std::string> argv{spec.executable, "-c", "-f", inst.config_path};
  if (!haproxy) {
    const std::string log = dirs_[i] + "/check.log";
    argv = {spec.executable, "-t", "-q", "-c", inst.config_path, "-p", arg_after(spec.args, "-p"), "-e", log};
  }
  Result<platform::CommandOutput> ran = Error{"not run"};
  auto st = platform::run_with_hosts(spec.hosts_file, netns_fds_[i].get(), [&]() -> Status {
    // The thread's working directory is its own (its mount namespace came
    // with a private one): HAProxy reads relative paths from it.
    if (!spec.workdir.empty() && ::chdir(spec.workdir.c_str()) != 0) {
      return Error{"cannot enter " + spec.workdir};
    }
    ran = platform::run_command(argv, std::chrono::seconds(20));
    return {};
  });
  if (!st) {
    return Error{fmt::format("{} could not run: {}", checker, st.error().message)};
  }
  if (!ran) {
    return Error{fmt::format("{} could not run: {}", checker, ran.error().message)};
  }
  if (ran->succeeded()) {
    return {};
  }
  // Only what made the check fail (HAProxy's [ALERT]s, nginx's [emerg]s),
  // else all it said; a team's copy is named as the team's file and line.
  std::vector<std::string> complaints;
  std::vector<std::string> all;
  for (const auto& line : split_lines(ran->out + ran->err)) {
    if (trim(line).empty()) {
      continue;
    }
    all.push_back(trim(line));
    if (line.find(haproxy ? "[ALERT]" : "[emerg]") != std::string::npos) {
      complaints.push_back(trim(line));
    }
  }
  // The checkers' closing summaries ("Fatal errors found in
  // configuration.", "... test failed") name the copy and say nothing the
  // complaints before them did not.
  auto is_summary = [](const std::string& line) {
    return line.find("Error(s) found in configuration file") != std::string::npos ||
           line.find("Fatal errors found in configuration") != std::string::npos ||
           line.find("test failed") != std::string::npos;
  };
  if (std::any_of(complaints.begin(), complaints.end(),
                  [&](const std::string& l) { return !is_summary(l); })) {
    complaints.erase(std::remove_if(complaints.begin(), complaints.end(), is_summary), complaints.end());
  }
  std::string said = fmt::format("{}", fmt::join(complaints.empty() ? all : complaints, "\n"));
  if (!inst.team_config.empty()) {
    said = in_team_terms(copy_as_written(inst), said);
  }
  return Error{
      fmt::format("{} rejected the configuration: {}", checker, said.empty() ? "(no output)" : said)};
}

Status NetnsStack::reload_files(const std::string& service, const std::vector<ConfigFileText>& files) {
  auto i = index_for_change(service);
  if (!i) {
    return i.error();
  }
  auto& c = children_[*i];
  if (!c.running || platform::has_exited(c.pid)) {
    return Error{"service " + service + ": its server is not running, there is nothing to reload"};
  }
  // Every path is checked before any is written.
  std::vector<ConfigFileText> before;
  for (const auto& f : files) {
    auto path = writable_config_file(*i, f.path);
    if (!path) {
      return path.error();
    }
    before.push_back({*path, read_text(*path)});
  }
  auto write_all = [](const std::vector<ConfigFileText>& set) -> Status {
    Status result;
    for (const auto& f : set) {
      if (auto st = write_text(f.path, f.text); !st && result) {
        result = st;  // go on: write every file that can be written
      }
    }
    return result;
  };
  Status st = write_all(files);
  if (st) {
    st = check_in_place(*i);
  }
  if (!st) {
    // The server still runs the config it read before; its files say so
    // again.
    if (auto back = write_all(before); !back) {
      return Error{fmt::format("service {}: {}; putting its files back also failed: {}", service,
                               st.error().message, back.error().message)};
    }
    return Error{fmt::format("service {}: {}", service, st.error().message)};
  }
  return reload_written(*i);
}

}  // namespace faultline::stack::netns
