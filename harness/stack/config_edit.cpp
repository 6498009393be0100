#include "harness/stack/config_edit.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "harness/common/text.h"
#include "harness/platform/command.h"
#include "harness/platform/process.h"

namespace faultline::stack {

namespace fs = std::filesystem;

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
  const std::vector<std::string> argv =
      haproxy ? std::vector<std::string>{*exe, "-c", "-f", check.candidate}
              : std::vector<std::string>{
                    *exe, "-t", "-q", "-c", check.candidate, "-p", dir + "/", "-e", dir + "/check.log"};
  auto ran = platform::run_command(argv);
  // What it printed, stdout then stderr: the complaints are picked out by
  // their tags below, whichever stream carried them.
  const std::string output = ran ? ran->out + ran->err : std::string{};
  std::error_code ec;
  fs::remove(check.candidate, ec);
  check.passed = ran && ran->succeeded();
  if (!check.passed) {
    check.complaints = config_check_complaints(kind, output);
  }
  return check;
}

std::vector<std::string> config_check_complaints(experiment::ServiceKind kind, const std::string& output) {
  // Only what made the check fail: HAProxy's [ALERT]s, nginx's [emerg]s
  // (its [warn]s print too, and are not why it failed).
  const bool haproxy = kind == experiment::ServiceKind::haproxy;
  std::vector<std::string> all;
  std::vector<std::string> complaints;
  for (const auto& l : split_lines(output)) {
    if (!trim(l).empty()) {
      all.push_back(trim(l));
    }
    if (l.find(haproxy ? "[ALERT]" : "[emerg]") != std::string::npos) {
      complaints.push_back(trim(l));
    }
  }
  return complaints.empty() ? all : complaints;
}

std::string rejection(const std::string& checker, const std::vector<std::string>& complaints) {
  return fmt::format("{} rejected the configuration: {}", checker,
                     complaints.empty() ? "(no output)" : fmt::format("{}", fmt::join(complaints, "\n")));
}

Status check_config_text(experiment::ServiceKind kind, const std::string& text, const std::string& dir) {
  auto check = run_config_check(kind, text, dir);
  if (!check) {
    return check.error();
  }
  if (!check->passed) {
    return Error{rejection(check->checker, check->complaints)};
  }
  return {};
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

}  // namespace faultline::stack
