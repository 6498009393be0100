// The copy of a team's config a run uses: made (HAProxy through
// haproxy_conf's prepare_for_run, nginx through its parsed model), written,
// and its positions told back in the team's terms.

#include "harness/stack/own_config.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>

#include "harness/common/text.h"
#include "harness/stack/haproxy_conf.h"
#include "harness/stack/nginx_conf.h"

namespace faultline::stack {

namespace fs = std::filesystem;

namespace {

// A path inside `folder`, relative to it; empty when outside.
std::string inside(const std::string& path, const std::string& folder) {
  const fs::path rel = fs::path(path).lexically_relative(folder);
  if (rel.empty() || *rel.begin() == "..") {
    return {};
  }
  return rel.string();
}

Result<OwnConfigCopy> prepare_haproxy(const experiment::Service& svc, OwnConfigCopy copy,
                                      const std::string& service_dir) {
  const std::string text = read_text(copy.team_file);
  auto config = haproxy_conf::parse(text, copy.team_file);
  if (!config) {
    return config.error();
  }
  if (auto st = haproxy_conf::check_server_templates(*config); !st) {
    return st.error();
  }
  auto run = haproxy_conf::prepare_for_run(*config, service_dir);
  if (!run) {
    return Error{fmt::format("service {}: {}", svc.name, run.error().message)};
  }
  copy.copy_dir = service_dir;
  copy.main_copy = service_dir + "/haproxy.cfg";
  copy.files.emplace_back(copy.main_copy, run->text);
  copy.runtime_socket = run->runtime_socket;
  copy.pid_file = service_dir + "/haproxy.pid";
  if (auto pid = haproxy_conf::pidfile(*haproxy_conf::parse(run->text, copy.main_copy))) {
    copy.pid_file = pid->value;
  }
  // HAProxy resolves a relative path (an errorfile, a certificate, a map)
  // from its working directory: the team's folder, as when they run it.
  copy.working_dir = copy.folder;
  for (const auto& c : run->changes) {
    copy.changes.push_back({copy.team_file, c.line, c.what, c.why});
  }
  copy.team_path_of[copy.main_copy] = copy.team_file;
  return copy;
}

// Points a log directive's file into the run folder: the team's log files
// (often under /var/log, or the team's folder) are not the run's to write.
// `syslog:` targets, `off` and the standard streams stay as written.
bool redirect_log(nginx_conf::Config& config, const nginx_conf::Directive& d, const std::string& to) {
  const std::string& target = d.arg(0);
  if (target.empty() || target == "off" || starts_with(target, "syslog:") ||
      starts_with(target, "/dev/std") || starts_with(target, "memory:")) {
    return false;
  }
  std::vector<std::string> args = d.values();  // its arguments, the file first
  args[0] = to;
  return replace_args(config, d, args).ok();
}

Result<OwnConfigCopy> prepare_nginx(const experiment::Service& svc, OwnConfigCopy copy,
                                    const std::string& service_dir) {
  auto loaded = nginx_conf::load(copy.team_file);
  if (!loaded) {
    return loaded.error();
  }
  nginx_conf::Config config = std::move(*loaded);
  copy.copy_dir = service_dir + "/conf";
  copy.pid_file = service_dir + "/nginx.pid";
  copy.working_dir = copy.copy_dir;

  // The copy's own pid file, error log and foreground mode: the team's
  // would be the host's (/run/nginx.pid, /var/log/nginx/error.log), and
  // faultline supervises nginx as its child.
  auto set_main = [&](const std::string& name, const std::vector<std::string>& args) -> Status {
    for (const nginx_conf::Directive* d : nginx_conf::top_level(config)) {
      if (d->name.value == name) {
        return replace_args(config, *d, args);
      }
    }
    auto put = insert_at_top(config, copy.team_file, fmt::format("{} {};", name, fmt::join(args, " ")));
    if (!put) {
      return put.error();
    }
    return {};
  };
  if (auto st = set_main("pid", {copy.pid_file}); !st) {
    return Error{fmt::format("service {}: {}", svc.name, st.error().message)};
  }
  if (auto st = set_main("daemon", {"off"}); !st) {
    return Error{fmt::format("service {}: {}", svc.name, st.error().message)};
  }
  // Each edit re-reads the config, so the logs are looked up again after
  // every one.
  for (bool again = true; again;) {
    again = false;
    using Logs = std::vector<const nginx_conf::Directive*> (*)(const nginx_conf::Config&);
    for (Logs logs :
         {static_cast<Logs>(&nginx_conf::error_logs), static_cast<Logs>(&nginx_conf::access_logs)}) {
      for (const nginx_conf::Directive* d : logs(config)) {
        const bool error_log = d->name.value == "error_log";
        const std::string to = service_dir + (error_log ? "/error.log" : "/access.log");
        if (d->arg(0) != to && d->arg(0) != service_dir + "/upstream.log" && redirect_log(config, *d, to)) {
          again = true;
          break;
        }
      }
      if (again) {
        break;
      }
    }
  }
  if (svc.is_load_balancer()) {
    // Which backend answered each request, for the shares, without a
    // header the team's servers would have to send: nginx writes
    // $upstream_addr (the last address tried, after retries) per request.
    // An access_log at a level hides the ones above it, so every server
    // and location block that has its own gets this one too.
    copy.upstream_log = service_dir + "/upstream.log";
    if (auto put = insert_fragment(config, "http", nginx_conf::At::start,
                                   "log_format faultline_upstream '$msec $upstream_addr $status';\n"
                                   "access_log " +
                                       copy.upstream_log + " faultline_upstream;");
        !put) {
      return Error{fmt::format("service {}: {}", svc.name, put.error().message)};
    }
    // Each insert re-reads the config, so the next block is looked for
    // afresh; every pass adds ours after one access_log that lacks it.
    while (true) {
      std::optional<std::pair<size_t, size_t>> lacking;  // file, offset of a team access_log
      nginx_conf::walk(config, [&](const nginx_conf::Directive& d,
                                   const std::vector<const nginx_conf::Directive*>& blocks) {
        if (lacking || d.name.value != "access_log" || d.arg(0) == copy.upstream_log || blocks.empty() ||
            blocks.back()->name.value == "http") {
          return;
        }
        const auto siblings = nginx_conf::children(config, *blocks.back());
        for (const auto* c : siblings) {
          if (c->name.value == "access_log" && c->arg(0) == copy.upstream_log) {
            return;
          }
        }
        lacking = std::make_pair(d.file, d.span.begin);
      });
      if (!lacking) {
        break;
      }
      const nginx_conf::Directive* at = nullptr;
      nginx_conf::walk(config,
                       [&](const nginx_conf::Directive& d, const std::vector<const nginx_conf::Directive*>&) {
                         if (d.file == lacking->first && d.span.begin == lacking->second) {
                           at = &d;
                         }
                       });
      if (at == nullptr) {
        break;
      }
      if (auto put = nginx_conf::insert_after(config, *at,
                                              "access_log " + copy.upstream_log + " faultline_upstream;");
          !put) {
        return Error{fmt::format("service {}: {}", svc.name, put.error().message)};
      }
    }
  }

  // The files the copy is made of: the team's, edited or not, under the
  // copy folder at their place relative to the team's folder. A file
  // included from outside the folder is read where it is (it cannot be
  // edited there, and is not).
  std::set<std::string> copied;
  for (const auto& f : config.files) {
    if (f.relative.empty()) {
      if (f.edited()) {
        return Error{
            fmt::format("service {}: {} lies outside the folder of {}, so faultline cannot change "
                        "its copy; include it from inside the folder",
                        svc.name, f.path, copy.team_file)};
      }
      continue;
    }
    const std::string path = copy.copy_dir + "/" + f.relative;
    copy.files.emplace_back(path, f.text);
    copy.team_path_of[path] = f.path;
    copied.insert(f.relative);
    if (f.edited()) {
      const auto map = align_lines(f.original, f.text);
      const auto lines = split_lines(f.text);
      for (size_t i = 1; i < map.size(); ++i) {
        const bool same = map[i] != 0 && split_lines(f.original)[map[i] - 1] == lines[i - 1];
        if (!same) {
          copy.changes.push_back({f.path, i, trim(lines[i - 1]), ""});
        }
      }
    }
  }
  copy.main_copy = copy.copy_dir + "/" + config.files.front().relative;
  // Why each change was made, by what it says.
  for (auto& c : copy.changes) {
    if (starts_with(c.what, "pid ")) {
      c.why = "the pid file lives in the run's folder, not the host's";
    } else if (starts_with(c.what, "daemon ")) {
      c.why = "faultline supervises nginx in the foreground, as its child";
    } else if (starts_with(c.what, "error_log ") ||
               starts_with(c.what, "access_log " + service_dir + "/access")) {
      c.why = "the run's logs go to its folder, not to the host's or the team's files";
    } else if (c.what.find("faultline_upstream") != std::string::npos) {
      c.why =
          "which backend answered each request, for the backend shares (the team's servers send no header)";
    } else {
      c.why = "changed by faultline";
    }
  }
  // Everything else of the team's folder, linked: nginx resolves a
  // relative path (a certificate, a root) from its prefix, which is the
  // copy's folder.
  std::set<std::string> dirs_with_copies;
  for (const auto& rel : copied) {
    for (fs::path p = fs::path(rel).parent_path(); !p.empty(); p = p.parent_path()) {
      dirs_with_copies.insert(p.string());
    }
  }
  std::vector<std::string> pending = {""};
  while (!pending.empty()) {
    const std::string rel_dir = pending.back();
    pending.pop_back();
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(fs::path(copy.folder) / rel_dir, ec)) {
      const std::string rel = (fs::path(rel_dir) / entry.path().filename()).string();
      if (copied.count(rel) != 0) {
        continue;
      }
      if (dirs_with_copies.count(rel) != 0) {
        pending.push_back(rel);
        continue;
      }
      copy.links.emplace_back(copy.copy_dir + "/" + rel, entry.path().string());
    }
  }
  return copy;
}

}  // namespace

Result<OwnConfigCopy> prepare_own_config(const experiment::Service& svc, const std::string& service_dir) {
  OwnConfigCopy copy;
  copy.kind = svc.kind;
  copy.service = svc.name;
  copy.team_file = svc.own.config;
  copy.folder = fs::path(svc.own.config).parent_path().string();
  std::error_code ec;
  if (!fs::is_regular_file(copy.team_file, ec)) {
    return Error{fmt::format("service {}: no such config file: {}", svc.name, copy.team_file)};
  }
  if (svc.kind == experiment::ServiceKind::haproxy) {
    return prepare_haproxy(svc, std::move(copy), service_dir);
  }
  if (svc.kind == experiment::ServiceKind::nginx) {
    return prepare_nginx(svc, std::move(copy), service_dir);
  }
  return Error{fmt::format("service {}: only haproxy and nginx run from a config file", svc.name)};
}

Status write_own_config(const OwnConfigCopy& copy) {
  std::error_code ec;
  for (const auto& [path, text] : copy.files) {
    fs::create_directories(fs::path(path).parent_path(), ec);
    std::ofstream out(path, std::ios::trunc | std::ios::binary);
    out << text;
    out.close();
    if (!out) {
      return Error{fmt::format("service {}: cannot write {}", copy.service, path)};
    }
  }
  for (const auto& [link, target] : copy.links) {
    fs::create_directories(fs::path(link).parent_path(), ec);
    fs::create_symlink(target, link, ec);
    if (ec) {
      return Error{
          fmt::format("service {}: cannot link {} to {}: {}", copy.service, link, target, ec.message())};
    }
  }
  return {};
}

std::vector<size_t> align_lines(const std::string& original, const std::string& copy) {
  const auto a = split_lines(original);
  const auto b = split_lines(copy);
  std::vector<size_t> map(b.size() + 1, 0);
  // The copy differs by a few lines added, replaced or taken out: walk
  // both, and where they differ look a little ahead in each for the next
  // line they share again.
  constexpr size_t kLookahead = 64;
  size_t i = 0;
  size_t j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] == b[j]) {
      map[j + 1] = i + 1;
      ++i;
      ++j;
      continue;
    }
    size_t added = 0;  // lines of the copy before b[j+added] == a[i]
    while (added < kLookahead && j + added < b.size() && b[j + added] != a[i]) {
      ++added;
    }
    size_t removed = 0;  // lines of the original before a[i+removed] == b[j]
    while (removed < kLookahead && i + removed < a.size() && a[i + removed] != b[j]) {
      ++removed;
    }
    const bool can_add = j + added < b.size() && added < kLookahead;
    const bool can_remove = i + removed < a.size() && removed < kLookahead;
    if (can_add && (!can_remove || added <= removed)) {
      j += added;  // those copy lines were added: 0
    } else if (can_remove) {
      i += removed;
    } else {
      map[j + 1] = i + 1;  // a replaced line stands for the one it replaced
      ++i;
      ++j;
    }
  }
  return map;
}

std::string in_team_terms(const OwnConfigCopy& copy, const std::string& text) {
  std::string out = text;
  for (const auto& [copy_path, team_path] : copy.team_path_of) {
    std::string copy_text;
    for (const auto& [p, t] : copy.files) {
      if (p == copy_path) {
        copy_text = t;
      }
    }
    const auto map = align_lines(read_text(team_path), copy_text);
    // "<path>:<line>" (HAProxy: "parsing [<path>:<line>]", nginx: "in
    // <path>:<line>").
    std::string result;
    size_t pos = 0;
    while (true) {
      const size_t at = out.find(copy_path + ":", pos);
      if (at == std::string::npos) {
        result += out.substr(pos);
        break;
      }
      size_t k = at + copy_path.size() + 1;
      size_t line = 0;
      while (k < out.size() && out[k] >= '0' && out[k] <= '9') {
        line = line * 10 + static_cast<size_t>(out[k] - '0');
        ++k;
      }
      result += out.substr(pos, at - pos);
      if (line > 0 && line < map.size() && map[line] != 0) {
        result += fmt::format("{}:{}", team_path, map[line]);
      } else if (line > 0) {
        result += fmt::format("{} (line {} of faultline's copy, a line faultline added)", team_path, line);
      } else {
        result += team_path + ":";
      }
      pos = k;
    }
    out = std::move(result);
  }
  return out;
}

std::vector<std::string> describe_changes(const OwnConfigCopy& copy, const std::string& relative_to) {
  std::vector<std::string> lines;
  for (const auto& c : copy.changes) {
    std::string file = inside(c.file, relative_to);
    if (file.empty()) {
      file = c.file;
    }
    lines.push_back(fmt::format("{} (copy line {}): {}  — {}", file, c.line, c.what, c.why));
  }
  return lines;
}

}  // namespace faultline::stack
