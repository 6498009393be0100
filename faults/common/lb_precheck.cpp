#include "faults/common/lb_precheck.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>

#include "harness/common/text.h"
#include "harness/platform/run_ca.h"
#include "harness/platform/unique_fd.h"
#include "harness/stack/render.h"
#include "harness/stack/run_registry.h"

namespace faultline::faults {
namespace {

namespace fs = std::filesystem;

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// A loopback TCP port bound by this process and not listening: nobody can
// connect to it, and nginx's own bind to it fails with "in use", which its
// check mode accepts.
Result<std::pair<platform::UniqueFd, int>> hold_loopback_port() {
  platform::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return Error{fmt::format("cannot open a socket: {}", std::strerror(errno))};
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return Error{fmt::format("cannot bind a loopback port: {}", std::strerror(errno))};
  }
  return std::make_pair(std::move(fd), static_cast<int>(ntohs(addr.sin_port)));
}

// nginx's config with the address of every `listen <address> [options];`
// replaced in place, and the ports that stand in for them.
struct HeldListens {
  std::string text;
  std::vector<platform::UniqueFd> ports;
  std::map<std::string, std::string> original;  // "127.0.0.1:<port>" -> the address written
};

// Where a `listen` directive's address starts in `line` at or after
// `from`: the word `listen` at the line's start or after `{` or `;` (a
// fragment may write `server { listen 8080; }` on one line).
std::optional<size_t> listen_address_at(const std::string& line, size_t from) {
  for (auto at = line.find("listen", from); at != std::string::npos; at = line.find("listen", at + 1)) {
    const auto before = at == 0 ? std::string::npos : line.find_last_not_of(" \t", at - 1);
    const bool starts = before == std::string::npos || line[before] == '{' || line[before] == ';';
    const size_t end = at + 6;
    if (starts && end < line.size() && (line[end] == ' ' || line[end] == '\t')) {
      const auto address = line.find_first_not_of(" \t", end);
      if (address != std::string::npos) {
        return address;
      }
    }
  }
  return std::nullopt;
}

Result<HeldListens> hold_listen_addresses(const std::string& text) {
  HeldListens out;
  std::map<std::string, int> port_of;  // one held port per distinct address
  for (auto line : split_lines(text)) {
    size_t from = 0;
    while (const auto a = listen_address_at(line, from)) {
      const size_t e = std::min(line.size(), line.find_first_of(" \t;}", *a));
      const std::string address = line.substr(*a, e - *a);
      from = e;
      if (starts_with(address, "unix:")) {
        continue;
      }
      auto it = port_of.find(address);
      if (it == port_of.end()) {
        auto held = hold_loopback_port();
        if (!held) {
          return held.error();
        }
        it = port_of.emplace(address, held->second).first;
        out.ports.push_back(std::move(held->first));
      }
      const std::string loopback = fmt::format("127.0.0.1:{}", it->second);
      out.original[loopback] = address;
      line = line.substr(0, *a) + loopback + line.substr(e);
      from = *a + loopback.size();
    }
    out.text += line;
    out.text += '\n';
  }
  return out;
}

// The line number after `candidate:` in a complaint, and where the
// location starts and ends.
struct Location {
  size_t line = 0;
  size_t begin = 0;
  size_t end = 0;
};

std::optional<Location> location_in(const std::string& complaint, const std::string& candidate) {
  const std::string key = candidate + ":";
  const auto at = complaint.find(key);
  if (at == std::string::npos) {
    return std::nullopt;
  }
  size_t end = at + key.size();
  size_t line = 0;
  while (end < complaint.size() && complaint[end] >= '0' && complaint[end] <= '9') {
    line = line * 10 + static_cast<size_t>(complaint[end] - '0');
    ++end;
  }
  if (end == at + key.size()) {
    return std::nullopt;
  }
  return Location{line, at, end};
}

std::string ltrim(const std::string& s) {
  const auto b = s.find_first_not_of(' ');
  return b == std::string::npos ? std::string() : s.substr(b);
}

// What follows the first `sep` in `s`, or `s` when there is none.
std::string after(const std::string& s, const std::string& sep) {
  const auto at = s.find(sep);
  return at == std::string::npos ? s : s.substr(at + sep.size());
}

Complaint tidy(const std::string& raw, const ConfigCheck& check) {
  Complaint c;
  std::string text = raw;
  if (const auto loc = location_in(text, check.candidate)) {
    c.line = loc->line;
    if (starts_with(text, "[ALERT]")) {
      // [ALERT]    (123) : config : parsing [FILE:N] : what
      text = ltrim(after(after(text.substr(loc->end), "]"), ":"));
    } else {
      // nginx: [emerg] what in FILE:N
      const bool in = loc->begin >= 4 && text.compare(loc->begin - 4, 4, " in ") == 0;
      text = text.substr(0, in ? loc->begin - 4 : loc->begin) + text.substr(loc->end);
    }
  }
  if (starts_with(text, "[ALERT]")) {
    // [ALERT]    (123) : config : what
    text = after(text, " : ");
    text = starts_with(text, "config : ") ? text.substr(9) : text;
  }
  if (starts_with(text, "nginx: [")) {
    text = ltrim(after(text, "]"));
  }
  // Whatever still names the scratch file names the config.
  for (auto at = text.find(check.candidate); at != std::string::npos; at = text.find(check.candidate)) {
    text.replace(at, check.candidate.size(), "the configuration");
  }
  c.text = text;
  return c;
}

bool is_summary(const std::string& text) {
  return text.find("Error(s) found in configuration file") != std::string::npos ||
         text.find("Fatal errors found in configuration") != std::string::npos ||
         text.find("test failed") != std::string::npos;
}

}  // namespace

Result<ScratchDir> ScratchDir::make(const std::string& prefix) {
  std::error_code ec;
  const fs::path base = fs::temp_directory_path(ec);
  if (ec) {
    return Error{"no temp directory: " + ec.message()};
  }
  std::string tmpl = (base / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return Error{fmt::format("cannot make a directory in {}: {}", base.string(), std::strerror(errno))};
  }
  return ScratchDir(tmpl);
}

ScratchDir::ScratchDir(ScratchDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

ScratchDir::~ScratchDir() {
  if (!path_.empty()) {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
}

Result<std::string> render_lb_config(const experiment::Experiment& exp, const stack::Plan& plan,
                                     const std::string& lb, const std::string& dir) {
  const auto* svc = exp.stack.find(lb);
  if (svc == nullptr || !svc->is_load_balancer()) {
    return Error{fmt::format("{} is not a load balancer of the stack", lb)};
  }
  // The paths NetnsStack::write_configs gives the service, under `dir`;
  // except HAProxy's stats socket, which is where a run (default registry,
  // an id of six digits) has it: `haproxy -c` never creates it, but refuses
  // a path over 97 characters, which `dir` under a long TMPDIR could pass.
  stack::RenderPaths paths;
  paths.dir = dir;
  if (svc->tls) {
    // A certificate of its own, as a run makes one: the server's check
    // reads the files the config names.
    const auto now = platform::SystemClock::now();
    auto ca = platform::make_run_ca("faultline check CA", now);
    if (!ca) {
      return ca.error();
    }
    const stack::PlannedService* self = plan.find(lb);
    auto cert =
        platform::issue_server_cert(*ca, {{self != nullptr ? self->address : "127.0.0.1"}, {lb}}, now);
    if (!cert) {
      return cert.error();
    }
    auto files = platform::write_server_files(dir, ca->cert, *cert);
    if (!files) {
      return files.error();
    }
    paths.tls_combined = files->combined;
    paths.tls_cert = files->cert;
    paths.tls_key = files->key;
  }
  if (svc->kind == experiment::ServiceKind::haproxy) {
    paths.runtime_socket = fmt::format("{}/000000/{}/admin.sock", stack::kDefaultRegistryDir, lb);
    return stack::render_haproxy(*svc, plan, paths);
  }
  if (svc->kind == experiment::ServiceKind::nginx) {
    return stack::render_nginx_lb(*svc, plan, paths);
  }
  return Error{fmt::format("{} is not an HAProxy or nginx load balancer", lb)};
}

Result<ConfigCheck> check_on_host(experiment::ServiceKind kind, const std::string& text,
                                  const std::string& dir) {
  if (kind != experiment::ServiceKind::nginx) {
    return run_config_check(kind, text, dir);
  }
  auto held = hold_listen_addresses(text);
  if (!held) {
    return held.error();
  }
  auto check = run_config_check(kind, held->text, dir);  // the ports are let go after the check
  if (check) {
    // A complaint about a listen address names the one written.
    for (auto& complaint : check->complaints) {
      for (const auto& [loopback, address] : held->original) {
        for (auto at = complaint.find(loopback); at != std::string::npos;
             at = complaint.find(loopback, at + 1)) {
          const size_t end = at + loopback.size();
          if (end == complaint.size() || !std::isdigit(static_cast<unsigned char>(complaint[end]))) {
            complaint.replace(at, loopback.size(), address);  // not a longer port it is the start of
          }
        }
      }
    }
  }
  return check;
}

std::vector<Complaint> complaints_of(const ConfigCheck& check) {
  std::vector<Complaint> all;
  std::vector<Complaint> kept;
  for (const auto& raw : check.complaints) {
    all.push_back(tidy(raw, check));
    if (!is_summary(all.back().text)) {
      kept.push_back(all.back());
    }
  }
  return kept.empty() ? all : kept;
}

}  // namespace faultline::faults
