#pragma once

// A stack runtime for the runner's unit tests: no namespaces, no root. The
// "stack" is one loopback HTTP server (the load generator's test server)
// posing as the load balancer, and the faults are scripted: they stall the
// server, or fail to apply or to revert, as a test needs. run_experiment
// runs against it exactly as against the netns runtime.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "faults/fault.h"
#include "faults/registry.h"
#include "harness/runner/runner.h"
#include "harness/stack/runtime.h"
#include "tests/load/test_http_server.h"

namespace faultline::runner::testing {

using load::testing::ServerMode;
using load::testing::TestHttpServer;

// What the fake stack is told to do while a run goes on.
struct FakeScript {
  // Reported by check_alive() from this many seconds after bring-up: a
  // server that died (a harness failure).
  double die_after_s = -1;
  // Handed out once by take_service_exits() from this many seconds after
  // bring-up: an app that crashed as the system under test may.
  double crash_after_s = -1;
  // When set, lb is an nginx running a team's config, logging each
  // request's upstream to this file, with two backends behind it in the
  // plan (web1 at 127.0.0.2, web2 at 127.0.0.3) that the test writes
  // lines for.
  std::string upstream_log;
  // When set, the stack's process seam freezes lb by stalling this server
  // (its requests then wait until the hold is released), as a runtime
  // whose processes are not faultline's children serves the seam itself.
  TestHttpServer* freezable = nullptr;
};

// The fake's freeze: the test server stalls until release.
class StalledServer final : public stack::ServiceHold {
 public:
  explicit StalledServer(TestHttpServer& server) : server_(server) {
    const auto now = std::chrono::steady_clock::now();
    server_.stall_between(now, now + std::chrono::hours(1));
  }
  Status release() override {
    const auto past = std::chrono::steady_clock::now() - std::chrono::seconds(1);
    server_.stall_between(past, past);
    ++releases;
    return {};
  }
  std::string mechanism() const override { return "the fake stack stalled its server"; }
  int releases = 0;

 private:
  TestHttpServer& server_;
};

class FakeStack final : public stack::RunningStack {
 public:
  FakeStack(uint16_t port, stack::RunIdentity id, FakeScript script)
      : id_(std::move(id)), script_(script), up_at_(std::chrono::steady_clock::now()) {
    plan_.subnet = "127.0.0.0/8";
    stack::PlannedService lb;
    lb.name = "lb";
    lb.kind = experiment::ServiceKind::haproxy;
    lb.address = "127.0.0.1";
    lb.port = port;
    plan_.services.push_back(lb);
    stack::ServiceInstance instance;
    instance.planned = lb;
    instance.config_path = id_.run_dir + "/lb/haproxy.cfg";
    if (!script_.upstream_log.empty()) {
      plan_.services.front().kind = experiment::ServiceKind::nginx;
      instance.planned.kind = experiment::ServiceKind::nginx;
      instance.config_path = id_.run_dir + "/lb/nginx.conf";
      instance.team_config = "/srv/team/nginx.conf";
      instance.upstream_log = script_.upstream_log;
      for (const auto& [name, address] : {std::pair{"web1", "127.0.0.2"}, std::pair{"web2", "127.0.0.3"}}) {
        stack::PlannedService backend;
        backend.name = name;
        backend.kind = experiment::ServiceKind::process;
        backend.address = address;
        plan_.services.push_back(backend);
      }
    }
    services_.push_back(instance);
  }

  const stack::Plan& plan() const override { return plan_; }
  const stack::RunIdentity& identity() const override { return id_; }
  const std::vector<stack::ServiceInstance>& services() const override { return services_; }

  Status check_alive() override {
    if (script_.die_after_s >= 0 && elapsed_s() >= script_.die_after_s) {
      if (!death_told_) {
        death_told_ = true;
        exits_.push_back({"lb", "haproxy exited with status 1", true});
      }
      return Error{"service lb: haproxy exited with status 1"};
    }
    return {};
  }

  std::vector<ServiceExit> take_service_exits() override {
    if (script_.crash_after_s >= 0 && !crash_told_ && elapsed_s() >= script_.crash_after_s) {
      crash_told_ = true;
      exits_.push_back({"web1", "exited with status 70 (its queue overflowed)", false});
    }
    return std::exchange(exits_, {});
  }

  Status in_netns(const std::string& /*service*/, const std::function<Status()>& fn) override { return fn(); }
  Result<std::unique_ptr<stack::ServiceHold>> freeze_service(const std::string& service) override {
    if (script_.freezable == nullptr || service != "lb") {
      return RunningStack::freeze_service(service);
    }
    ++freezes;
    return std::unique_ptr<stack::ServiceHold>(std::make_unique<StalledServer>(*script_.freezable));
  }
  void teardown() override { torn_down = true; }
  void set_expected_down(const std::string& /*service*/, bool /*down*/) override {}

  bool torn_down = false;
  int freezes = 0;

 private:
  double elapsed_s() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - up_at_).count();
  }

  stack::Plan plan_;
  stack::RunIdentity id_;
  std::vector<stack::ServiceInstance> services_;
  FakeScript script_;
  std::chrono::steady_clock::time_point up_at_;
  bool death_told_ = false;
  bool crash_told_ = false;
  std::vector<ServiceExit> exits_;
};

class FakeRuntime final : public stack::StackRuntime {
 public:
  explicit FakeRuntime(uint16_t port, FakeScript script = {}) : port_(port), script_(script) {
    dir_ = std::filesystem::temp_directory_path() /
           ("faultline-fake-runtime-" + std::to_string(::getpid()) + "-" + std::to_string(++instances()));
    std::filesystem::create_directories(dir_);
  }
  ~FakeRuntime() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  FakeRuntime(const FakeRuntime&) = delete;
  FakeRuntime& operator=(const FakeRuntime&) = delete;

  Result<stack::RunIdentity> create_run(const std::string& /*registry_dir*/) override {
    stack::RunIdentity id{"f0f0f0", (dir_ / "f0f0f0").string()};
    std::filesystem::create_directories(id.run_dir);
    return id;
  }
  Result<std::unique_ptr<stack::RunningStack>> bring_up(const experiment::Experiment& /*exp*/,
                                                        const stack::RunIdentity& id,
                                                        const stack::ProgressFn& /*progress*/) override {
    ++bring_ups;
    return std::unique_ptr<stack::RunningStack>(std::make_unique<FakeStack>(port_, id, script_));
  }
  void release_run(const stack::RunIdentity& /*id*/) override { ++releases; }

  int bring_ups = 0;
  int releases = 0;

 private:
  static int& instances() {
    static int n = 0;
    return n;
  }
  uint16_t port_;
  FakeScript script_;
  std::filesystem::path dir_;
};

// A scripted fault: stalls the test server while in force (its requests
// then time out), or fails to apply or to revert.
class FakeFault final : public faults::Fault {
 public:
  struct Calls {
    std::atomic<int> injects{0};
    std::atomic<int> reverts{0};
  };
  FakeFault(TestHttpServer& server, Calls& calls, bool inject_fails, bool revert_fails)
      : server_(server), calls_(calls), inject_fails_(inject_fails), revert_fails_(revert_fails) {}

  std::string describe() const override { return "the test server stops answering"; }
  Status inject(stack::RunningStack& /*stack*/) override {
    ++calls_.injects;
    if (inject_fails_) {
      return Error{"haproxy -c rejected the new configuration: unknown keyword 'balancee'"};
    }
    const auto now = std::chrono::steady_clock::now();
    server_.stall_between(now, now + std::chrono::hours(1));
    return {};
  }
  Status revert(stack::RunningStack& /*stack*/) override {
    ++calls_.reverts;
    const auto now = std::chrono::steady_clock::now();
    server_.stall_between(now - std::chrono::seconds(1), now - std::chrono::seconds(1));
    if (revert_fails_) {
      return Error{"the runtime API did not answer"};
    }
    return {};
  }

 private:
  TestHttpServer& server_;
  Calls& calls_;
  bool inject_fails_;
  bool revert_fails_;
};

}  // namespace faultline::runner::testing
