// Shared by the unit tests of the load-balancer faults on a team's own
// config (tests/faults/lb_own_*_test.cpp): an experiment whose load
// balancer runs tests/data/own/unit/<kind>/, a stack that runs a copy of
// that folder and records what a reload would write, and a stand-in for
// HAProxy's runtime API that records the commands it gets.

#pragma once

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fault_test_support.h"
#include "harness/common/text.h"

namespace faultline::faults::testing {

namespace fs = std::filesystem;

// tests/data/own/unit/<kind>/: the team's folder.
inline std::string team_folder(const std::string& kind) {
  return std::string(FAULTLINE_TEST_DATA) + "/own/unit/" + kind;
}

inline std::string team_main(const std::string& kind) {
  return team_folder(kind) + (kind == "haproxy" ? "/haproxy.cfg" : "/nginx.conf");
}

// lb runs the team's config of `kind`; api1..api3 and static1 are the
// services its file names. 12 lines, so the first step is on line 13.
inline std::string team_stack(const std::string& kind) {
  return fmt::format(R"(version: 1
title: t
stack:
  services:
    lb: {{ kind: {}, config: {}, port: 8080, backends: [api1, api2, api3, static1] }}
    api1: {{ kind: app }}
    api2: {{ kind: app }}
    api3: {{ kind: app }}
    static1: {{ kind: app }}
load: {{ target: lb, rate: 10/s, duration: 10s }}
expect: breach
method:
)",
                     kind, team_main(kind));
}

// A folder of its own under the temp directory, removed at scope exit.
struct TempDir {
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "faultline-lbown-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string path;
};

// A stack whose load balancer `lb` runs a copy of the team's folder of
// `kind` (as the netns runtime's copy would be, without its run changes).
// A reload writes the files it is given, as the real one does, and keeps
// them in `reloads`, so a test reads exactly what each inject and revert
// would have made the server read.
struct TeamStack : FakeStack {
  TeamStack(const std::string& kind, const std::string& runtime_socket = {}) {
    fs::copy(team_folder(kind), dir.path + "/copy", fs::copy_options::recursive);
    stack::ServiceInstance lb;
    lb.planned.name = "lb";
    lb.planned.kind = kind == "haproxy" ? experiment::ServiceKind::haproxy : experiment::ServiceKind::nginx;
    lb.planned.port = 8080;  // team_stack's `port:`
    lb.config_path = copy_path(kind == "haproxy" ? "haproxy.cfg" : "nginx.conf");
    lb.team_config = team_main(kind);
    lb.runtime_socket = runtime_socket;
    services_.push_back(lb);
  }

  Status reload_files(const std::string& service, const std::vector<stack::ConfigFileText>& files) override {
    if (service != "lb") {
      return Error{"no service " + service};
    }
    for (const auto& f : files) {
      REQUIRE(f.path.rfind(dir.path + "/copy/", 0) == 0);  // only the copy is ever written
      std::ofstream(f.path, std::ios::trunc | std::ios::binary) << f.text;
    }
    reloads.push_back(files);
    return {};
  }

  // The port the load is sent to, as another experiment's `port:` would set it.
  void set_lb_port(int port) { services_[0].planned.port = port; }

  // A file of the copy by its path relative to the team's folder.
  std::string copy_path(const std::string& relative) const { return dir.path + "/copy/" + relative; }
  std::string copy_text(const std::string& relative) const { return read_text(copy_path(relative)); }

  TempDir dir;
  std::vector<std::vector<stack::ConfigFileText>> reloads;
};

// The team's file of `kind` at `relative`, as the tests expect it edited.
inline std::string team_text(const std::string& kind, const std::string& relative) {
  return read_text(team_folder(kind) + "/" + relative);
}

// `text` with `from` replaced by `to`, which must be there exactly once.
inline std::string replaced(const std::string& text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  REQUIRE(text.find(from, at + 1) == std::string::npos);
  return text.substr(0, at) + to + text.substr(at + from.size());
}

// HAProxy's runtime API as faults see it: a Unix socket answering one
// command per connection. It reports `servers` ("be_api/api1") in `show
// servers state`, with no admin state forced, and a weight of 10 (initial
// 10) for any server; every other command succeeds silently.
class FakeRuntimeApi {
 public:
  explicit FakeRuntimeApi(std::vector<std::string> servers) : servers_(std::move(servers)) {
    path_ = dir_.path + "/admin.sock";
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path_.size() < sizeof addr.sun_path);
    std::copy(path_.begin(), path_.end(), addr.sun_path);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd_, 8) == 0);
    thread_ = std::thread([this] { serve(); });
  }
  FakeRuntimeApi(const FakeRuntimeApi&) = delete;
  FakeRuntimeApi& operator=(const FakeRuntimeApi&) = delete;
  ~FakeRuntimeApi() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }

  const std::string& path() const { return path_; }
  std::vector<std::string> commands() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return commands_;
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) {
        continue;
      }
      const int conn = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) {
        continue;
      }
      std::string line;
      char c = 0;
      while (::read(conn, &c, 1) == 1 && c != '\n') {
        line += c;
      }
      // Recorded before the answer: the client returns once it has it, and
      // a test reading commands() then must find this one among them.
      {
        std::lock_guard<std::mutex> lock(mutex_);
        commands_.push_back(line);
      }
      const std::string answer = answer_to(line);
      (void)!::write(conn, answer.data(), answer.size());
      ::close(conn);
    }
  }

  std::string answer_to(const std::string& line) const {
    if (line.rfind("get weight ", 0) == 0) {
      return "10 (initial 10)\n\n";
    }
    if (line.rfind("show servers state ", 0) == 0) {
      const std::string backend = line.substr(19);
      std::string out = "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state\n";
      int id = 0;
      for (const auto& s : servers_) {
        const auto slash = s.find('/');
        if (s.substr(0, slash) == backend) {
          ++id;
          out += fmt::format("3 {} {} {} 10.0.0.{} 2 0\n", backend, id, s.substr(slash + 1), id);
        }
      }
      return out + "\n";
    }
    return "\n";
  }

  TempDir dir_;
  std::vector<std::string> servers_;
  std::string path_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<std::string> commands_;
};

}  // namespace faultline::faults::testing
