#include "faults/common/lb_team_precheck.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>

#include "faults/common/lb_precheck.h"
#include "faults/common/lb_team_edit.h"
#include "harness/common/text.h"
#include "harness/platform/command.h"
#include "harness/platform/hosts_view.h"
#include "harness/platform/process.h"
#include "harness/stack/own_config.h"

namespace faultline::faults {

namespace fs = std::filesystem;

namespace {

// The checker's own words, without its prefixes ("[ALERT] (pid) : config :
// ", "nginx: [emerg] ").
std::string without_prefix(const std::string& line) {
  static const std::regex kHaproxyHead(R"(^\[ALERT\]\s*\(\d+\)\s*:\s*(config\s*:\s*)?)");
  static const std::regex kNginxHead(R"(^(nginx: )?\[emerg\]\s*(\d+#\d+: )?)");
  return std::regex_replace(std::regex_replace(line, kHaproxyHead, ""), kNginxHead, "");
}

// What a complaint says about the fragment's line, without the position
// (HAProxy's "parsing [file:N] : ", nginx's " in file:N").
std::string without_position(const std::string& text) {
  static const std::regex kParsing(R"(^parsing \[[^\]]*\]\s*:\s*)");
  static const std::regex kIn(R"( in /[^\s]+:\d+$)");
  return std::regex_replace(std::regex_replace(text, kParsing, ""), kIn, "");
}

// The line of `file` a complaint names ("<file>:<N>"), if it names one.
std::optional<size_t> line_in(const std::string& complaint, const std::string& file) {
  const std::string key = file + ":";
  const auto at = complaint.find(key);
  if (at == std::string::npos) {
    return std::nullopt;
  }
  size_t line = 0;
  size_t k = at + key.size();
  for (; k < complaint.size() && complaint[k] >= '0' && complaint[k] <= '9'; ++k) {
    line = line * 10 + static_cast<size_t>(complaint[k] - '0');
  }
  return k == at + key.size() ? std::nullopt : std::optional<size_t>(line);
}

// Writes the copy's files an edit changed; only copies inside `dir` (a
// block in a file included from outside the team's folder is not copied,
// and is not the check's to write).
Status write_changed(const TeamConfig& config, const std::string& dir, stack::OwnConfigCopy& copy) {
  for (const auto& f : config.changed_files()) {
    std::error_code ec;
    const fs::path rel = fs::path(f.path).lexically_relative(dir);
    if (rel.empty() || *rel.begin() == ".." || !fs::is_regular_file(fs::symlink_status(f.path, ec))) {
      return Error{fmt::format("the lines would go into {}, outside the folder faultline copies", f.path)};
    }
    std::ofstream out(f.path, std::ios::trunc | std::ios::binary);
    out << f.text;
    if (!out) {
      return Error{"cannot write " + f.path};
    }
    for (auto& [path, text] : copy.files) {
      if (path == f.path) {
        text = f.text;  // in_team_terms aligns the copy as the check reads it
      }
    }
  }
  return {};
}

}  // namespace

Result<TeamFragmentCheck> check_team_fragment(const experiment::Experiment& exp,
                                              const experiment::Service& lb, const std::string& selector,
                                              const std::string& fragment) {
  const bool haproxy = lb.kind == experiment::ServiceKind::haproxy;
  TeamFragmentCheck check;
  check.checker = haproxy ? "haproxy -c" : "nginx -t";
  if (::geteuid() != 0) {
    return Error{
        "the check needs root (it reads the copy with the stack's service names in a private /etc/hosts)"};
  }
  auto exe = platform::find_executable(haproxy ? "haproxy" : "nginx");
  if (!exe) {
    return Error{fmt::format("{} is not installed here", haproxy ? "haproxy" : "nginx")};
  }
  auto scratch = ScratchDir::make("faultline-check");
  if (!scratch) {
    return scratch.error();
  }
  auto copy = stack::prepare_own_config(lb, scratch->path() + "/" + lb.name);
  if (!copy) {
    return copy.error();
  }
  if (auto st = stack::write_own_config(*copy); !st) {
    return st.error();
  }
  auto config = TeamConfig::load(lb.kind, copy->main_copy);
  if (!config) {
    return config.error();
  }
  auto inserted = insert_team_fragment(*config, selector, fragment);
  if (!inserted) {
    return inserted.error();
  }
  if (auto st = write_changed(*config, scratch->path(), *copy); !st) {
    return st.error();
  }
  // Stand-in addresses: the check needs every name to resolve, not the
  // addresses a run will give.
  std::string hosts_text = "127.0.0.1\tlocalhost\n";
  for (size_t i = 0; i < exp.stack.services.size(); ++i) {
    hosts_text += fmt::format("10.213.255.{}\t{}\n", i + 2, exp.stack.services[i].name);
  }
  const std::string hosts = scratch->path() + "/hosts";
  {
    std::ofstream out(hosts);
    out << hosts_text;
    if (!out) {
      return Error{"cannot write " + hosts};
    }
  }
  std::vector<std::string> argv{*exe, "-c", "-f", copy->main_copy};
  if (!haproxy) {
    const std::string log = scratch->path() + "/check.log";
    argv = {*exe, "-t", "-q", "-c", copy->main_copy, "-p", copy->copy_dir + "/", "-e", log};
  }
  Result<platform::CommandOutput> ran = Error{"not run"};
  auto st = platform::run_with_hosts(hosts, -1, [&]() -> Status {
    // The thread's working directory is its own: HAProxy reads relative
    // paths from the team's folder, as the run's server does.
    if (::chdir(copy->working_dir.c_str()) != 0) {
      return Error{"cannot enter " + copy->working_dir};
    }
    ran = platform::run_command(argv, std::chrono::seconds(20));
    return {};
  });
  if (!st) {
    return st.error();
  }
  if (!ran) {
    return ran.error();
  }
  check.passed = ran->succeeded();
  if (check.passed) {
    return check;
  }
  std::vector<std::string> raw;
  std::vector<std::string> all;
  for (const auto& line : split_lines(ran->out + ran->err)) {
    if (!trim(line).empty()) {
      all.push_back(trim(line));
    }
    if (line.find(haproxy ? "[ALERT]" : "[emerg]") != std::string::npos) {
      raw.push_back(trim(line));
    }
  }
  // The checkers' closing summaries say nothing the complaints before them
  // did not.
  auto is_summary = [](const std::string& line) {
    return line.find("Error(s) found in configuration file") != std::string::npos ||
           line.find("Fatal errors found in configuration") != std::string::npos ||
           line.find("test failed") != std::string::npos;
  };
  std::vector<std::string> said = raw.empty() ? all : raw;
  if (std::any_of(said.begin(), said.end(), [&](const std::string& l) { return !is_summary(l); })) {
    said.erase(std::remove_if(said.begin(), said.end(), is_summary), said.end());
  }
  for (const auto& line : said) {
    const auto n = line_in(line, inserted->file);
    if (n && *n >= inserted->first && *n <= inserted->last) {
      check.complaints.push_back({*n - inserted->first + 1, without_position(without_prefix(line))});
    } else {
      check.complaints.push_back({std::nullopt, without_prefix(stack::in_team_terms(*copy, line))});
    }
  }
  return check;
}

}  // namespace faultline::faults
