// The copy of a team's haproxy.cfg that faultline runs: HAProxy as its
// child, in the foreground, in a namespace, with every file it creates in
// the run's directory rather than where the host's own HAProxy keeps them,
// its logs on its standard output rather than in the host's syslog, and a
// runtime API socket a reload can take the listening sockets over from.

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "harness/stack/haproxy_conf.h"
#include "harness/stack/haproxy_conf_detail.h"

namespace faultline::stack::haproxy_conf {

namespace {

using detail::quote_word;
using detail::RawLine;

// A Unix socket's path fills sun_path: 108 bytes with its NUL. HAProxy 2.6
// binds a stats socket as "<path>.<pid>.tmp" first and renames it into
// place (sock_unix_bind_receiver()), so that longer name has to fit as
// well; a pid takes up to seven digits (Linux caps pid_max at 4194304).
constexpr size_t kSunPath = 107;
constexpr size_t kMaxSocketPath = kSunPath - std::string_view(".4194304.tmp").size();

const char* const kDaemonWhy = "faultline supervises haproxy in the foreground";

// What a reload needs from the runtime API socket: with it, the new HAProxy
// receives the old one's listening sockets (-x) instead of binding beside
// them, so no connection queued on them is lost (netns_reload.cpp).
const char* const kExposeFd = "expose-fd listeners";
const char* const kExposeFdWhy =
    "so a reload takes the listening sockets over and drops no queued connection";

std::string base_name(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool is_stats_socket(const Line& line) {
  return line.keyword() == "stats" && line.words.size() > 2 && line.words[1].text == "socket";
}

// Whether two adjacent words of the line, from `from` on, are `first second`.
bool has_pair(const Line& line, size_t from, const std::string& first, const std::string& second) {
  for (size_t i = from; i + 1 < line.words.size(); ++i) {
    if (line.words[i].text == first && line.words[i + 1].text == second) {
      return true;
    }
  }
  return false;
}

// The byte offset right after word `index` of the line as written.
size_t end_of_word(const Line& line, size_t index) {
  const Word& w = line.words[index];
  return w.column - 1 + w.length;
}

class RunCopier {
 public:
  RunCopier(const Config& config, std::string dir) : cfg_(config), dir_(std::move(dir)) {}

  Result<RunCopy> run() {
    lines_ = detail::raw_lines(cfg_);
    for (const auto& line : cfg_.lines) {
      if (line.kind == LineKind::statement && line.keyword() == "log") {
        redirect_log(line);
        continue;
      }
      const bool global =
          line.section >= 0 && cfg_.sections[static_cast<size_t>(line.section)].keyword == "global";
      if (!global || line.kind != LineKind::statement) {
        continue;
      }
      Status s;
      if (is_stats_socket(line)) {
        s = move_socket(line);
      } else if (line.keyword() == "pidfile" && line.words.size() > 1) {
        const std::string path = dir_ + "/haproxy.pid";
        has_pidfile_ = true;
        replace_word(line, 1, path, fmt::format("pidfile {} -> {}", line.words[1].text, path),
                     "the copy writes its pid in the run's directory, not over the host HAProxy's");
      } else if (line.keyword() == "daemon") {
        comment_out(line, kDaemonWhy, "a daemon would fork away from faultline, which waits on its child");
      } else if (line.keyword() == "chroot") {
        comment_out(line, fmt::format("the copy's sockets and files live in {}", dir_),
                    fmt::format("inside the jail HAProxy could not reach {}", dir_));
      }
      if (!s) {
        return s.error();
      }
    }
    if (Status s = add_missing(); !s) {
      return s.error();
    }
    const std::string text = detail::join(lines_);
    if (auto check = parse(text, cfg_.file_name); !check) {
      return Error{"the copy prepared for the run does not parse: " + check.error().message};
    }
    return RunCopy{text, changes_, runtime_socket_};
  }

 private:
  // `name` in the run directory, unless a socket or file already took it
  // there ("admin.sock" twice gives "admin-2.sock").
  std::string unique_path(const std::string& name) {
    const size_t dot = name.rfind('.');
    const std::string stem = dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
    const std::string ext = stem.size() == name.size() ? "" : name.substr(dot);
    std::string candidate = name;
    for (int n = 2; std::find(taken_.begin(), taken_.end(), candidate) != taken_.end(); ++n) {
      candidate = fmt::format("{}-{}{}", stem, n, ext);
    }
    taken_.push_back(candidate);
    return dir_ + "/" + candidate;
  }

  Result<std::string> socket_path(const std::string& name) {
    std::string path = unique_path(name);
    if (path.size() > kMaxSocketPath) {
      return Error{fmt::format(
          "{}: the copy's socket path {} is {} bytes; HAProxy binds it as <path>.<pid>.tmp first, which must "
          "fit a Unix socket's {} bytes, so at most {}; give the run a shorter directory",
          cfg_.file_name, path, path.size(), kSunPath, kMaxSocketPath)};
    }
    return path;
  }

  Status move_socket(const Line& line) {
    const Word& address = line.words[2];
    if (!address.variables.empty()) {
      return detail::located(cfg_.file_name, line.number, address.column,
                             "this stats socket's address comes from environment variables, so faultline "
                             "cannot tell whether it binds on the host's filesystem",
                             "write the path out for the run");
    }
    const Address a = split_address(address.text);
    if (!a.unix_path) {
      return {};  // an IP socket or an abstract one: inside the namespace, it touches nothing of the host
    }
    auto path = socket_path(base_name(a.host));
    if (!path) {
      return path.error();
    }
    const bool runtime = has_pair(line, 3, "level", "admin") && runtime_socket_.empty();
    if (runtime) {
      runtime_socket_ = *path;
    }
    // Added after the line's last word (before a comment it may end with)
    // first: the address, an earlier word, keeps its column.
    const bool expose = runtime && !has_pair(line, 3, "expose-fd", "listeners");
    if (expose) {
      lines_[line.number - 1].text.insert(end_of_word(line, line.words.size() - 1),
                                          std::string(" ") + kExposeFd);
    }
    replace_word(line, 2, a.prefix + *path, fmt::format("stats socket {} -> {}", address.text, *path),
                 runtime
                     ? "faultline's runtime API socket: the copy's own, the host's stays the host HAProxy's"
                     : "the copy binds its sockets in the run's directory, not on the host's filesystem");
    if (expose) {
      changes_.push_back(RunChange{fmt::format("stats socket {}: added {}", *path, kExposeFd), kExposeFdWhy,
                                   line.number, line.number});
    }
    return {};
  }

  // `log /dev/log local0` (a target that is a Unix socket, in any section)
  // -> `log stdout format raw local0`. A Unix socket is reached through the
  // filesystem, which the namespace shares with the host, so the copy
  // would log into the host's syslog. `format`, `len` and `sample` may
  // come between the target and the facility, in that order (HAProxy 2.6's
  // manual, "log"); the line keeps them and everything after the target,
  // and gets `format raw` (the text alone: stdout is no syslog) unless it
  // names a format of its own. A target from environment variables is left
  // as written: what it names is known only where the copy runs.
  void redirect_log(const Line& line) {
    if (line.words.size() < 3 || !line.words[1].variables.empty() ||
        !split_address(line.words[1].text).unix_path) {
      return;
    }
    const bool has_format = std::any_of(line.words.begin() + 2, line.words.end(),
                                        [](const Word& w) { return w.text == "format"; });
    std::string& text = lines_[line.number - 1].text;
    if (!has_format) {
      const bool len = line.words.size() > 4 && line.words[2].text == "len";
      text.insert(end_of_word(line, len ? 3 : 1), " format raw");
    }
    replace_word(line, 1, "stdout", fmt::format("log {} -> stdout", line.words[1].text),
                 fmt::format("the host's syslog is not the run's (a Unix socket is reached through the "
                             "filesystem, which the namespace shares with the host); the lines go to the "
                             "copy's standard output, which faultline writes to {}/stdout.log",
                             dir_));
  }

  void replace_word(const Line& line, size_t index, const std::string& value, std::string what,
                    std::string why) {
    const Word& w = line.words[index];
    lines_[line.number - 1].text.replace(w.column - 1, w.length, quote_word(value));
    changes_.push_back(RunChange{std::move(what), std::move(why), line.number, line.number});
  }

  // "    daemon" -> "    # faultline: daemon (faultline supervises haproxy
  // in the foreground)"; a comment the line had stays at its end.
  void comment_out(const Line& line, const std::string& note, std::string why) {
    const size_t begin = line.words.front().column - 1;
    const size_t end = line.words.back().column - 1 + line.words.back().length;
    const std::string statement = line.text.substr(begin, end - begin);
    lines_[line.number - 1].text =
        line.indent() + fmt::format("# faultline: {} ({})", statement, note) + line.text.substr(end);
    changes_.push_back(RunChange{"commented out: " + statement, std::move(why), line.number, line.number});
  }

  // The runtime API socket and the pid file, when the team's file has
  // none, at the end of the first global section (a new one at the top
  // when there is none: global comes before the other sections).
  Status add_missing() {
    std::vector<std::pair<std::string, std::string>> added;  // statement, why
    if (!has_pidfile_) {
      added.emplace_back("pidfile " + quote_word(dir_ + "/haproxy.pid"),
                         "the copy writes its pid in the run's directory, where faultline reads it");
    }
    if (runtime_socket_.empty()) {
      auto path = socket_path("admin.sock");
      if (!path) {
        return path.error();
      }
      runtime_socket_ = *path;
      added.emplace_back(
          fmt::format("stats socket {} mode 600 level admin {}", quote_word(*path), kExposeFd),
          fmt::format(
              "faultline's runtime API socket: the file has no Unix stats socket with level admin; {} "
              "{}",
              kExposeFd, kExposeFdWhy));
    }
    if (added.empty()) {
      return {};
    }
    const auto global = std::find_if(cfg_.sections.begin(), cfg_.sections.end(),
                                     [](const Section& s) { return s.keyword == "global"; });
    std::vector<RawLine> inserted;
    size_t after = 0;  // the line the additions follow
    std::string indent = detail::file_indent(cfg_);
    std::string ending = cfg_.lines.empty() ? "\n" : cfg_.lines.front().ending;
    if (global != cfg_.sections.end()) {
      after = global->last_statement_line;
      indent = detail::section_indent(cfg_, *global);
      ending = cfg_.line(after).ending;
    } else {
      inserted.push_back(RawLine{"global", ending});
    }
    const size_t first = after + inserted.size() + 1;
    for (const auto& [statement, why] : added) {
      inserted.push_back(RawLine{indent + statement, ending});
    }
    if (global == cfg_.sections.end() && !cfg_.lines.empty()) {
      inserted.push_back(RawLine{"", ending});
    }
    for (auto& c : changes_) {
      c.line += c.line > after ? inserted.size() : 0;
    }
    for (size_t i = 0; i < added.size(); ++i) {
      changes_.push_back(RunChange{"added: " + added[i].first, added[i].second, first + i, 0});
    }
    lines_.insert(lines_.begin() + static_cast<std::ptrdiff_t>(after), inserted.begin(), inserted.end());
    return {};
  }

  const Config& cfg_;
  std::string dir_;
  std::vector<RawLine> lines_;
  std::vector<RunChange> changes_;
  std::vector<std::string> taken_ = {"haproxy.pid"};
  std::string runtime_socket_;
  bool has_pidfile_ = false;
};

}  // namespace

Result<RunCopy> prepare_for_run(const Config& config, const std::string& run_dir) {
  std::string dir = run_dir;
  while (dir.size() > 1 && dir.back() == '/') {
    dir.pop_back();
  }
  if (dir.empty() || dir.front() != '/' || dir.find_first_of("\r\n") != std::string::npos) {
    return Error{fmt::format("the run directory '{}' must be an absolute path on one line", run_dir)};
  }
  return RunCopier(config, dir).run();
}

}  // namespace faultline::stack::haproxy_conf
