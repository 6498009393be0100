// The team's own services: `config:` on haproxy and nginx, and services of
// kind process. Paths are checked here, when the file is validated, so a
// typo is reported at its line rather than when the run starts the server.

#include "harness/experiment/own_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

namespace faultline::experiment {

namespace {

namespace fs = std::filesystem;

// The keys whose settings a team's config file holds, each with what the
// file decides through it ({} is the service's name).
const std::vector<std::pair<std::string, std::string>> kDecidedByConfig = {
    {"balance", "how {} balances"},
    {"weights", "how {} balances"},
    {"health_check", "how {} checks its backends"},
    {"timeouts", "how long {} waits"},
    {"maxconn", "how many requests {} sends each backend at once"},
    {"retries", "whether and how {} retries"},
    {"retry_on", "whether and how {} retries"},
    {"redispatch", "whether and how {} retries"},
    {"hash_balance_factor", "how {} balances"},
    {"capacity", "how much {} serves"},
};
const std::vector<std::string> kProcessKeys = {"command", "ready", "env", "workdir"};
const std::vector<std::string> kReadyKeys = {"http", "tcp"};

constexpr const char* kBlanks = " \t\r\n";
constexpr const char* kCommandHint = "the program and its arguments, e.g. command: [\"python3\", \"app.py\"]";
constexpr const char* kReadyHint = "e.g. ready: { http: /health } or ready: { tcp: true }";
constexpr const char* kEnvHint = "write NAME: value pairs, e.g. env: { APP_MODE: staging }";

bool is_blank(const std::string& text) {
  return text.find_first_not_of(kBlanks) == std::string::npos;
}

// One string of a command is split at blanks (spaces, tabs, line breaks),
// with no quoting: the program is run without a shell.
std::vector<std::string> split_blanks(const std::string& text) {
  std::vector<std::string> words;
  size_t start = text.find_first_not_of(kBlanks);
  while (start != std::string::npos) {
    const size_t end = text.find_first_of(kBlanks, start);
    words.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    start = text.find_first_not_of(kBlanks, end);
  }
  return words;
}

// [A-Za-z_][A-Za-z0-9_]*: what a shell and most programs accept as a name.
bool valid_env_name(const std::string& name) {
  const auto letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  return !name.empty() && letter(name[0]) &&
         std::all_of(name.begin(), name.end(), [&](char c) { return letter(c) || (c >= '0' && c <= '9'); });
}

// An absolute path without a trailing separator ("app/" names the folder
// "app"), so the stored folder reads the same however it was written.
std::string without_trailing_separator(const std::string& path) {
  fs::path p(path);
  if (!p.has_filename() && p != p.root_path()) {
    p = p.parent_path();
  }
  return p.string();
}

// The text of a key that names a file or folder, or an error (with `hint`)
// that it names none.
std::optional<std::string> path_text(const SourceEntry& entry, const std::string& hint, FieldReader& r) {
  const SourceNode& value = entry.value;
  if (value.is_scalar() && !is_blank(value.scalar)) {
    return value.scalar;
  }
  std::string message;
  if (value.is_null()) {
    message = fmt::format("'{}' has no value", entry.key);
  } else if (value.is_scalar()) {
    message = fmt::format("'{}' must not be empty", entry.key);
  } else {
    message = fmt::format("'{}' must be a single path, not {}", entry.key, describe(value));
  }
  r.diags().error(value.pos, message, hint);
  return std::nullopt;
}

// Where a path that does not exist was looked for, and why there.
std::string not_found_hint(const std::string& written) {
  return fs::path(written).is_absolute()
             ? "the path must exist on this machine when the experiment is checked"
             : "a relative path starts at the experiment file's folder, not the working directory";
}

void check_config_file(const SourceNode& value, const std::string& written, const std::string& path,
                       FieldReader& r, const Service& s) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) {
    r.diags().error(value.pos, fmt::format("no such file: {} (looked in {})", written, path),
                    not_found_hint(written));
    return;
  }
  if (ec) {
    r.diags().error(value.pos, fmt::format("cannot read {}: {} (looked in {})", written, ec.message(), path),
                    "faultline copies the file for the run: it must be readable by the user running it");
    return;
  }
  if (status.type() != fs::file_type::regular) {
    const char* what = status.type() == fs::file_type::directory ? "a directory" : "not a regular file";
    r.diags().error(
        value.pos, fmt::format("'config' must name a file, but {} is {} (looked in {})", written, what, path),
        fmt::format("name the file {} reads, e.g. {}", to_string(s.kind),
                    s.kind == ServiceKind::haproxy ? "lb/haproxy.cfg" : "web/nginx.conf"));
    return;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    r.diags().error(value.pos,
                    fmt::format("cannot read {}: {} (looked in {})", written, std::strerror(errno), path),
                    "faultline copies the file for the run: it must be readable by the user running it");
  }
}

void read_command(const SourceEntry& entry, FieldReader& r, Service& s) {
  const SourceNode& value = entry.value;
  s.own.command_pos = value.pos;
  if (value.is_scalar()) {
    const std::vector<std::string> words = split_blanks(value.scalar);
    if (words.empty()) {
      r.diags().error(value.pos, "'command' must not be empty", kCommandHint);
      return;
    }
    // Written as one string, a quoted argument looks like it stays whole,
    // but only blanks split it: the program would get the quotes.
    if (value.scalar.find_first_of("\"'") != std::string::npos) {
      r.diags().warning(value.pos,
                        "'command' is split at blanks, without quoting: the quotes reach the program",
                        "write it as a list, one item per argument, e.g. [\"sh\", \"-c\", \"echo ready\"]");
    }
    s.own.command = words;
    return;
  }
  if (!value.is_sequence() || value.items.empty()) {
    const std::string message =
        value.is_null() ? "'command' has no value"
        : value.is_sequence()
            ? "'command' must not be empty"
            : fmt::format("'command' must be a list or one string, not {}", describe(value));
    r.diags().error(value.pos, message, kCommandHint);
    return;
  }
  std::vector<std::string> words;
  for (const auto& item : value.items) {
    if (!item.is_scalar()) {
      r.diags().error(item.pos,
                      fmt::format("each item of 'command' must be a single value, not {}", describe(item)),
                      "quote an argument that YAML would read otherwise, e.g. \"key: value\"");
      continue;
    }
    words.push_back(item.scalar);
  }
  if (words.size() != value.items.size()) {
    return;
  }
  if (is_blank(words.front())) {
    r.diags().error(value.items.front().pos, "the program, the first item of 'command', must not be empty",
                    "name the program to run first, e.g. python3");
    return;
  }
  s.own.command = words;
}

void read_ready(const SourceEntry& entry, FieldReader& r, Service& s) {
  const SourceNode& node = entry.value;
  if (!node.is_map() || node.entries.empty()) {
    const std::string message = node.is_null() ? "'ready' has no value"
                                : node.is_map()
                                    ? "'ready' needs 'http' or 'tcp'"
                                    : fmt::format("'ready' must be a map of keys, not {}", describe(node));
    r.diags().error(node.pos, message, kReadyHint);
    return;
  }
  r.check_keys(node, kReadyKeys, fmt::format("ready of '{}'", s.name));
  const SourceEntry* http = node.find_entry("http");
  const SourceEntry* tcp = node.find_entry("tcp");
  if (http != nullptr && tcp != nullptr) {
    const bool http_first =
        std::pair(http->key_pos.line, http->key_pos.col) < std::pair(tcp->key_pos.line, tcp->key_pos.col);
    r.diags().error((http_first ? tcp : http)->key_pos, "'ready' takes one of 'http' and 'tcp', not both",
                    "keep http to wait for an answer to an HTTP request, or tcp to wait for the port alone");
    return;
  }
  if (http != nullptr) {
    const SourceNode& path = http->value;
    if (!path.is_scalar()) {
      r.diags().error(path.pos,
                      path.is_null() ? std::string("'http' has no value")
                                     : fmt::format("'http' must be a URL path, not {}", describe(path)),
                      "e.g. http: /health");
    } else if (path.scalar.empty() || path.scalar.front() != '/') {
      r.diags().error(path.pos, fmt::format("'http' must start with '/', not '{}'", path.scalar),
                      "e.g. http: /health");
    } else {
      s.own.ready = Readiness{false, path.scalar};
    }
  } else if (tcp != nullptr) {
    if (auto on = r.boolean(tcp->value, "tcp")) {
      if (!*on) {
        r.diags().error(tcp->value.pos, "'tcp' can only be true",
                        "tcp: true waits for the port to accept a connection; for an HTTP answer write "
                        "http: /health");
      }
    }
  }
}

void read_env(const SourceEntry& entry, FieldReader& r, Service& s) {
  const SourceNode& node = entry.value;
  if (node.is_null()) {
    return;  // an empty map: nothing added
  }
  if (!node.is_map()) {
    r.diags().error(node.pos, fmt::format("'env' must be a map of keys, not {}", describe(node)), kEnvHint);
    return;
  }
  for (size_t i = 0; i < node.entries.size(); ++i) {
    const SourceEntry& e = node.entries[i];
    if (!valid_env_name(e.key)) {
      r.diags().error(e.key_pos, fmt::format("invalid environment variable name '{}'", e.key),
                      "a name is a letter or '_', then letters, digits or '_'");
      continue;
    }
    const auto first = std::find_if(node.entries.begin(), node.entries.begin() + static_cast<long>(i),
                                    [&](const SourceEntry& other) { return other.key == e.key; });
    if (first != node.entries.begin() + static_cast<long>(i)) {
      r.diags().error(e.key_pos, fmt::format("duplicate key '{}' in env of '{}'", e.key, s.name),
                      fmt::format("it is already set on line {}", first->key_pos.line));
      continue;
    }
    if (e.value.is_scalar()) {
      s.own.env[e.key] = e.value.scalar;
    } else if (e.value.is_null()) {
      r.diags().error(e.value.pos, fmt::format("'{}' has no value", e.key),
                      fmt::format("write {}: \"\" for an empty value", e.key));
    } else {
      r.diags().error(
          e.value.pos,
          fmt::format("the value of '{}' must be a single value, not {}", e.key, describe(e.value)),
          "quote it to hand it to the program as text");
    }
  }
}

void read_workdir(const SourceEntry& entry, FieldReader& r, const Experiment& exp, Service& s) {
  const auto written = path_text(entry, "the folder the program runs in, e.g. workdir: app/", r);
  if (!written) {
    return;
  }
  const std::string path = without_trailing_separator(resolve_path(exp, *written));
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) {
    r.diags().error(entry.value.pos, fmt::format("no such directory: {} (looked in {})", *written, path),
                    not_found_hint(*written));
  } else if (ec) {
    r.diags().error(entry.value.pos,
                    fmt::format("cannot use {}: {} (looked in {})", *written, ec.message(), path),
                    "the program runs in this folder: it must be reachable by the user running faultline");
  } else if (status.type() != fs::file_type::directory) {
    r.diags().error(
        entry.value.pos,
        fmt::format("'workdir' must name a directory, but {} is a file (looked in {})", *written, path),
        "name the folder the program runs in, or leave workdir out for the experiment file's folder");
  } else {
    s.own.workdir = path;
  }
}

}  // namespace

void read_own_config(const SourceEntry& config, FieldReader& r, const Experiment& exp, Service& s) {
  const auto written = path_text(
      config,
      fmt::format("the team's {} file, relative to the experiment file's folder, e.g. config: {}",
                  to_string(s.kind), s.kind == ServiceKind::haproxy ? "lb/haproxy.cfg" : "web/nginx.conf"),
      r);
  if (!written) {
    return;
  }
  // Set even when the file is missing: later checks then treat the service
  // as the team's file, not as one rendered from keys it does not have.
  s.own.config = resolve_path(exp, *written);
  s.own.config_pos = config.value.pos;
  check_config_file(config.value, *written, s.own.config, r, s);
}

void refuse_config(const SourceEntry& config, FieldReader& r, const Service& s) {
  const std::string hint =
      s.kind == ServiceKind::process
          ? fmt::format(
                "'{}' is kind process: hand the program its config in its command, e.g. "
                "command: [\"myapp\", \"--config\", \"app.yaml\"]",
                s.name)
          : fmt::format(
                "'{}' is kind {}, faultline's own test server, which has no config file; run a "
                "program of your own as kind: process",
                s.name, to_string(s.kind));
  r.diags().error(config.key_pos, "'config' is for kind haproxy or nginx", hint);
}

void refuse_keys_beside_config(const SourceNode& service, const SourceNode& config, FieldReader& r,
                               const Service& s) {
  const std::string file = config.is_scalar() && !is_blank(config.scalar) ? config.scalar : "the team's file";
  for (const auto& [key, decides] : kDecidedByConfig) {
    if (const SourceEntry* e = service.find_entry(key)) {
      r.diags().error(
          e->key_pos, fmt::format("'{}' cannot be set beside 'config'", key),
          fmt::format("'{}' belongs in {} now: with config:, the team's file decides {} (remove it "
                      "here)",
                      key, file, fmt::format(fmt::runtime(decides), s.name)));
    }
  }
}

void read_process(const SourceEntry& service, FieldReader& r, const Experiment& exp, Service& s) {
  const SourceNode& node = service.value;
  if (const SourceEntry* command = node.find_entry("command")) {
    read_command(*command, r, s);
  } else {
    r.diags().error(service.key_pos, fmt::format("missing required key 'command' in service '{}'", s.name),
                    kCommandHint);
  }
  if (node.find("port") == nullptr) {
    r.diags().error(service.key_pos, fmt::format("missing required key 'port' in service '{}'", s.name),
                    "the port the program listens on, e.g. port: 9000");
  }
  // Without `ready`, the program is up once its port accepts a connection.
  s.own.ready = Readiness{true, "/"};
  if (const SourceEntry* ready = node.find_entry("ready")) {
    read_ready(*ready, r, s);
  }
  if (const SourceEntry* env = node.find_entry("env")) {
    read_env(*env, r, s);
  }
  if (const SourceEntry* workdir = node.find_entry("workdir")) {
    read_workdir(*workdir, r, exp, s);
  } else {
    s.own.workdir = without_trailing_separator(resolve_path(exp, "."));
  }
}

void refuse_process_keys(const SourceNode& service, FieldReader& r, const Service& s) {
  for (const auto& key : kProcessKeys) {
    if (const SourceEntry* e = service.find_entry(key)) {
      r.diags().error(e->key_pos, fmt::format("'{}' is for kind: process", key),
                      fmt::format("'{}' is kind {}: remove '{}', or run the program as a service of its own "
                                  "with kind: process",
                                  s.name, to_string(s.kind), key));
    }
  }
}

}  // namespace faultline::experiment
