// The netns runtime against real namespaces, nginx and HAProxy. Needs root;
// every test is bounded (bring_up gives up after 10 s) and removes what it
// made even when an assertion fails (RAII guards below).
//
// Why one file of this length: the cases share the RAII guards that tear
// down namespaces, servers and rules on every exit, and each runs alone
// (RUN_SERIAL) against the same runtime.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include "harness/platform/netlink.h"
#include "harness/platform/netns.h"
#include "harness/platform/process.h"
#include "harness/stack/cleanup.h"
#include "harness/stack/http_probe.h"
#include "harness/stack/names.h"
#include "harness/stack/run_registry.h"
#include "harness/stack/runtime.h"
#include "harness/stack/stack.h"
#include "tests/skip.h"
#include "tests/stack/stack_fixtures.h"

namespace faultline::stack {
namespace {

namespace fs = std::filesystem;
using experiment::ServiceKind;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// These cases carry [root]: CTest labels them integration, not unit
// (tests/CMakeLists.txt), so `ctest -L unit` runs without them.
bool skip_unless_root() {
  if (::geteuid() != 0) {
    faultline::testing::skip_test(
        "the netns runtime needs root (namespaces, veths, a bridge); CI runs these as root");
    return true;
  }
  return false;
}

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// A run in a scratch registry: whatever happens in the test, its stack is
// torn down and everything the run made is removed.
struct TestRun {
  testing::ScratchDir registry;
  RunIdentity id;
  std::unique_ptr<RunningStack> stack;

  TestRun() {
    auto run = create_run(registry.path());
    REQUIRE(run.ok());
    id = *run;
  }
  ~TestRun() {
    if (stack) {
      stack->teardown();
    }
    stack.reset();
    release_run(id);
  }
};

std::vector<std::string> netns_of_run(const std::string& run_id) {
  std::vector<std::string> out;
  for (const auto& n : platform::list_named_netns()) {
    if (run_id_of_netns(n) == run_id) {
      out.push_back(n);
    }
  }
  return out;
}

std::vector<std::string> links_of_run(const std::string& run_id) {
  std::vector<std::string> out;
  auto sock = platform::RouteSocket::open();
  REQUIRE(sock.ok());
  auto links = sock->links();
  REQUIRE(links.ok());
  for (const auto& l : *links) {
    if (l.name.find(run_id) != std::string::npos) {
      out.push_back(l.name);
    }
  }
  return out;
}

// Processes started for the run: their command lines name the run dir.
std::vector<pid_t> processes_of_run(const std::string& run_dir) {
  std::vector<pid_t> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    const pid_t pid = std::stoi(name);
    if (pid != ::getpid() && platform::process_cmdline(pid).find(run_dir + "/") != std::string::npos) {
      out.push_back(pid);
    }
  }
  return out;
}

void check_nothing_left(const RunIdentity& id) {
  CHECK(netns_of_run(id.run_id).empty());
  CHECK(links_of_run(id.run_id).empty());
  CHECK(processes_of_run(id.run_dir).empty());
}

std::set<std::string> backends_seen(const PlannedService& lb, int requests) {
  std::set<std::string> seen;
  for (int i = 0; i < requests; ++i) {
    auto resp = http_get(lb.address, lb.port, "/", 2s);
    REQUIRE(resp.ok());
    CHECK(resp->status == 200);
    seen.insert(resp->header("X-Backend"));
  }
  return seen;
}

void bring_up_and_check_balancing(ServiceKind lb_kind) {
  TestRun run;
  auto exp = testing::lb_experiment(lb_kind);
  exp.stack.services[0].health_check = experiment::HealthCheck{"/health", 500ms, 2, 2};

  const auto t0 = Clock::now();
  auto up = netns_bring_up(exp, run.id);
  const double up_ms = ms_since(t0);
  INFO((up.ok() ? std::string("up") : up.error().message));
  REQUIRE(up.ok());
  run.stack = std::move(*up);
  auto& stack = *run.stack;

  // While up: a namespace per service, the bridge and a veth per service.
  const auto& plan = stack.plan();
  for (const auto& s : plan.services) {
    CHECK(fs::exists(platform::netns_path(s.netns)));
  }
  const auto links = links_of_run(run.id.run_id);
  CHECK(std::count(links.begin(), links.end(), plan.bridge) == 1);
  for (const auto& s : plan.services) {
    CHECK(std::count(links.begin(), links.end(), s.host_veth) == 1);
  }
  REQUIRE(stack.check_alive().ok());
  for (const auto& s : stack.services()) {
    CHECK(s.pid > 0);
    CHECK(fs::exists(s.config_path));
  }

  const auto* lb = stack.find("lb");
  REQUIRE(lb != nullptr);
  CHECK(lb->backend_name == "be_lb");
  if (lb_kind == ServiceKind::haproxy) {
    CHECK(fs::exists(lb->runtime_socket));
  }
  // Round robin over two equal backends: consecutive requests alternate.
  CHECK(backends_seen(lb->planned, 4) == std::set<std::string>{"web1", "web2"});

  const double down_start_ms = ms_since(t0);
  const auto t1 = Clock::now();
  stack.teardown();
  const double down_ms = ms_since(t1);
  std::cout << "netns stack " << experiment::to_string(lb_kind) << " + 2 nginx: up " << up_ms << " ms, down "
            << down_ms << " ms (teardown started at " << down_start_ms << " ms)\n";
  check_nothing_left(run.id);
  for (const auto& s : plan.services) {
    CHECK_FALSE(fs::exists(run.id.run_dir + "/" + s.name));
  }
  stack.teardown();  // idempotent
}

TEST_CASE("an HAProxy stack comes up, balances over both backends and leaves nothing behind",
          "[integration][root][stack]") {
  if (skip_unless_root()) {
    return;
  }
  bring_up_and_check_balancing(ServiceKind::haproxy);
}

TEST_CASE("an nginx load-balancer stack comes up, balances over both backends and leaves nothing behind",
          "[integration][root][stack]") {
  if (skip_unless_root()) {
    return;
  }
  bring_up_and_check_balancing(ServiceKind::nginx);
}

TEST_CASE("in_netns runs code inside the service's namespace and returns", "[integration][root][stack]") {
  if (skip_unless_root()) {
    return;
  }
  TestRun run;
  experiment::Experiment exp;
  exp.stack.services = {testing::backend("web1")};
  auto up = netns_bring_up(exp, run.id);
  INFO((up.ok() ? std::string("up") : up.error().message));
  REQUIRE(up.ok());
  run.stack = std::move(*up);

  const auto outside = platform::netns_id_of_path("/proc/thread-self/ns/net");
  const auto target = platform::netns_id_of_path(platform::netns_path(run.stack->plan().services[0].netns));
  REQUIRE((outside.ok() && target.ok()));
  bool inside_ok = false;
  auto st = run.stack->in_netns("web1", [&]() -> Status {
    auto here = platform::netns_id_of_path("/proc/thread-self/ns/net");
    inside_ok = here.ok() && *here == *target;
    // From inside, the service's own address answers on loopback routing.
    auto resp = http_get(run.stack->plan().services[0].address, 80, "/", 1s);
    if (!resp) {
      return resp.error();
    }
    return {};
  });
  CHECK(st.ok());
  CHECK(inside_ok);
  auto back = platform::netns_id_of_path("/proc/thread-self/ns/net");
  REQUIRE(back.ok());
  CHECK(*back == *outside);

  // An error from fn comes back, and the thread still returns.
  st = run.stack->in_netns("web1", [] { return Status(Error{"boom"}); });
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message == "boom");
  CHECK(*platform::netns_id_of_path("/proc/thread-self/ns/net") == *outside);
  CHECK_FALSE(run.stack->in_netns("nope", [] { return Status{}; }).ok());
}

// Whether the kernel in `service`'s namespace has a route to `address`: a
// UDP connect() looks the route up and sends nothing.
Result<bool> routable_from(RunningStack& stack, const std::string& service, const std::string& address) {
  bool routable = false;
  auto st = stack.in_netns(service, [&]() -> Status {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      return Error{"socket failed"};
    }
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(9);
    ::inet_pton(AF_INET, address.c_str(), &to.sin_addr);
    const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to);
    const int err = errno;
    ::close(fd);
    if (rc != 0 && err != ENETUNREACH) {
      return Error{std::string("connect: ") + std::strerror(err)};
    }
    routable = rc == 0;
    return {};
  });
  if (!st) {
    return st.error();
  }
  return routable;
}

TEST_CASE("a namespace reaches only the run's subnet and the external targets the run allows",
          "[integration][root][stack]") {
  if (skip_unless_root()) {
    return;
  }
  // TEST-NET-1 and TEST-NET-2 (RFC 5737): never real hosts.
  const std::string listed = "192.0.2.1";
  const std::string unlisted = "198.51.100.1";
  struct Case {
    const char* what;
    bool list_target;
    bool allow;
    bool listed_routable;
  };
  for (const Case c : {Case{"no external target", false, false, false},
                       Case{"a target listed but not allowed (no --allow-external)", true, false, false},
                       Case{"a target listed and allowed", true, true, true}}) {
    INFO(c.what);
    TestRun run;
    experiment::Experiment exp;
    exp.stack.services = {testing::backend("web1")};
    if (c.list_target) {
      exp.stack.external_targets = {{"docs-net", "192.0.2.0/24", "test", {}}};
    }
    exp.allow_external = c.allow;
    auto up = netns_bring_up(exp, run.id);
    INFO((up.ok() ? std::string("up") : up.error().message));
    REQUIRE(up.ok());
    run.stack = std::move(*up);
    const auto to_listed = routable_from(*run.stack, "web1", listed);
    const auto to_unlisted = routable_from(*run.stack, "web1", unlisted);
    const auto to_host = routable_from(*run.stack, "web1", run.stack->plan().bridge_address);
    INFO((to_listed.ok() ? std::string() : to_listed.error().message));
    REQUIRE((to_listed.ok() && to_unlisted.ok() && to_host.ok()));
    CHECK(*to_listed == c.listed_routable);
    CHECK_FALSE(*to_unlisted);
    CHECK(*to_host);
  }
}

TEST_CASE("a backend with a capacity sheds with 503 beyond it but always answers health checks",
          "[integration][root][stack]") {
  if (skip_unless_root()) {
    return;
  }
  TestRun run;
  experiment::Experiment exp;
  auto web1 = testing::backend("web1");
  web1.capacity = experiment::Capacity{1, 0};
  exp.stack.services = {web1};
  auto up = netns_bring_up(exp, run.id);
  INFO((up.ok() ? std::string("up") : up.error().message));
  REQUIRE(up.ok());
  run.stack = std::move(*up);
  const auto& s = run.stack->plan().services[0];

  int ok = 0;
  int shed = 0;
  for (int i = 0; i < 5; ++i) {
    auto resp = http_get(s.address, s.port, "/", 1s);
    REQUIRE(resp.ok());
    CHECK(resp->header("X-Backend") == "web1");
    (resp->status == 503 ? shed : ok) += 1;
  }
  CHECK(ok >= 1);
  CHECK(shed >= 3);
  for (int i = 0; i < 5; ++i) {
    auto resp = http_get(s.address, s.port, "/health", 1s);
    REQUIRE(resp.ok());
    CHECK(resp->status == 200);
  }
}

TEST_CASE("check_alive names a service whose server died, and restart brings it back",
          "[integration][root][stack]") {
  if (skip_unless_root()) {
    return;
  }
  TestRun run;
  auto exp = testing::lb_experiment(ServiceKind::haproxy);
  auto up = netns_bring_up(exp, run.id);
  INFO((up.ok() ? std::string("up") : up.error().message));
  REQUIRE(up.ok());
  run.stack = std::move(*up);
  const pid_t old_pid = run.stack->find("web2")->pid;
  REQUIRE(::kill(old_pid, SIGKILL) == 0);
  Status alive;
  const auto deadline = Clock::now() + 2s;
  while ((alive = run.stack->check_alive()).ok() && Clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  REQUIRE_FALSE(alive.ok());
  CHECK_THAT(alive.error().message, Catch::Contains("web2") && Catch::Contains("signal 9"));

  REQUIRE(run.stack->restart("web2").ok());
  CHECK(run.stack->find("web2")->pid != old_pid);
  CHECK(run.stack->check_alive().ok());
  CHECK(backends_seen(run.stack->find("lb")->planned, 4) == std::set<std::string>{"web1", "web2"});
}

TEST_CASE("servers stop on SIGTERM even when faultline blocks its stop signals",
          "[integration][root][stack]") {
  if (skip_unless_root()) {
    return;
  }
  // As the runner does while it watches for Ctrl-C: a blocked mask is
  // inherited across exec, and servers that block SIGTERM would only go
  // away after the 2 s grace, by SIGKILL.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGHUP);
  sigset_t old;
  REQUIRE(pthread_sigmask(SIG_BLOCK, &stop, &old) == 0);
  TestRun run;
  auto up = netns_bring_up(testing::lb_experiment(ServiceKind::haproxy), run.id);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  INFO((up.ok() ? std::string("up") : up.error().message));
  REQUIRE(up.ok());
  run.stack = std::move(*up);
  const auto t0 = Clock::now();
  run.stack->teardown();
  CHECK(ms_since(t0) < 1000);
  check_nothing_left(run.id);
}

TEST_CASE("a failed bring-up removes everything it made and says why", "[integration][root][stack]") {
  if (skip_unless_root()) {
    return;
  }
  TestRun run;
  auto exp = testing::lb_experiment(ServiceKind::haproxy);
  // HAProxy accepts weights up to 256: it refuses this config at startup,
  // after the namespaces, links and both backends are already up.
  exp.stack.services[0].weights = {{"web1", 1000}};
  const auto t0 = Clock::now();
  auto up = netns_bring_up(exp, run.id);
  REQUIRE_FALSE(up.ok());
  CHECK(ms_since(t0) < 10000);
  const auto& msg = up.error().message;
  INFO(msg);
  CHECK_THAT(msg, Catch::Contains("service lb (haproxy)"));
  CHECK_THAT(msg, Catch::Contains("stderr.log"));
  CHECK_THAT(msg, Catch::Contains("weight"));
  CHECK_THAT(msg, !Catch::Contains("cleanup after the failure also failed"));
  check_nothing_left(run.id);
  for (const char* svc : {"lb", "web1", "web2"}) {
    CHECK_FALSE(fs::exists(run.id.run_dir + "/" + svc));
  }
}

TEST_CASE("a bring-up whose names are taken fails without removing what it did not make",
          "[integration][root][stack]") {
  if (skip_unless_root()) {
    return;
  }
  TestRun run;
  const auto exp = testing::lb_experiment(ServiceKind::haproxy);
  auto up = netns_bring_up(exp, run.id);
  INFO((up.ok() ? std::string("up") : up.error().message));
  REQUIRE(up.ok());
  run.stack = std::move(*up);

  // Same run identity again: every name is already in use.
  auto again = netns_bring_up(exp, run.id);
  REQUIRE_FALSE(again.ok());
  CHECK_THAT(again.error().message, Catch::Contains(run.stack->plan().bridge));
  CHECK(run.stack->check_alive().ok());
  CHECK(netns_of_run(run.id.run_id).size() == 3);
  CHECK(links_of_run(run.id.run_id).size() == 4);
  CHECK(backends_seen(run.stack->find("lb")->planned, 2).size() == 2);
}

TEST_CASE("bring_up runs app services as faultline app with their capacity", "[integration][root][stack]") {
  if (skip_unless_root()) {
    return;
  }
  // The app is faultline itself; this test binary is not.
  setenv("FAULTLINE_EXE", FAULTLINE_BINARY, 1);
  TestRun run;
  auto exp = testing::lb_experiment(ServiceKind::haproxy);
  auto& web2 = exp.stack.services[2];
  web2.kind = ServiceKind::app;
  experiment::Capacity capacity;
  capacity.workers = 2;
  capacity.service_time = 5ms;
  capacity.queue = 7;
  web2.capacity = capacity;
  auto up = netns_bring_up(exp, run.id);
  INFO((up.ok() ? std::string("up") : up.error().message));
  REQUIRE(up.ok());
  run.stack = std::move(*up);
  const auto* app = run.stack->find(web2.name);
  REQUIRE(app != nullptr);
  std::ifstream in(app->config_path);
  const std::string args((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK_THAT(args, Catch::Contains(" app --name " + web2.name));
  CHECK_THAT(args, Catch::Contains("--service-time 5ms --workers 2 --queue 7"));
  // Both backends answer through the load balancer, the app under its name.
  CHECK(backends_seen(run.stack->find("lb")->planned, 4) == std::set<std::string>{"web1", web2.name});
  run.stack->teardown();
  check_nothing_left(run.id);
}

TEST_CASE("bring_up refuses runtimes other than netns", "[stack]") {
  testing::ScratchDir registry;
  auto run = create_run(registry.path());
  REQUIRE(run.ok());
  auto exp = testing::lb_experiment(ServiceKind::haproxy);
  exp.stack.runtime = "docker";
  auto up = netns_bring_up(exp, *run);
  REQUIRE_FALSE(up.ok());
  CHECK_THAT(up.error().message, Catch::Contains("stack.runtime 'docker'"));
  release_run(*run);
}

// Runs bring_up in a child process that then dies without tearing down, as
// a SIGKILLed faultline would; returns the run it left (owner = the child).
RunIdentity leak_a_run_from_a_dead_process(const std::string& registry) {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(fds[0]);
    auto run = create_run(registry);
    std::string line = run.ok() ? run->run_id + " " + run->run_dir + "\n" : "error\n";
    [[maybe_unused]] auto w1 = ::write(fds[1], line.data(), line.size());
    if (run.ok()) {
      auto up = netns_bring_up(testing::lb_experiment(ServiceKind::haproxy), *run);
      const std::string result = up.ok() ? "up\n" : "failed " + up.error().message + "\n";
      [[maybe_unused]] auto w2 = ::write(fds[1], result.data(), result.size());
      if (up.ok()) {
        (void)up->release();  // leak it: no teardown, no destructor
      }
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string text;
  char buf[512];
  const auto deadline = Clock::now() + 20s;
  while (Clock::now() < deadline) {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) {
      continue;
    }
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) {
      break;
    }
    text.append(buf, static_cast<size_t>(n));
    if (text.find("up\n") != std::string::npos || text.find("failed") != std::string::npos) {
      break;
    }
  }
  ::close(fds[0]);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  INFO(text);
  std::stringstream ss(text);
  RunIdentity id;
  std::string result;
  ss >> id.run_id >> id.run_dir >> result;
  REQUIRE(is_run_id(id.run_id));
  REQUIRE(result == "up");
  return id;
}

// Removes a leaked run at scope exit, whatever the test did.
struct LeakGuard {
  std::string registry;
  std::string run_id;
  ~LeakGuard() {
    if (!run_id.empty()) {
      cleanup_stale_runs(registry, CleanupFilter{{run_id}});
    }
  }
};

TEST_CASE("cleanup removes processes, links, namespaces and files of a run whose owner died",
          "[integration][root][stack][cleanup]") {
  if (skip_unless_root()) {
    return;
  }
  testing::ScratchDir registry;
  const RunIdentity id = leak_a_run_from_a_dead_process(registry.path());
  LeakGuard guard{registry.path(), id.run_id};

  // The dead owner left its namespaces and links, but not its servers:
  // they die with it (PR_SET_PDEATHSIG; nginx workers with their master's
  // PID namespace). The kernel kills them asynchronously.
  const auto netns = netns_of_run(id.run_id);
  REQUIRE(netns.size() == 3);
  CHECK(links_of_run(id.run_id).size() == 4);
  std::vector<platform::NetnsId> ids;
  for (const auto& n : netns) {
    ids.push_back(*platform::netns_id_of_path(platform::netns_path(n)));
  }
  const auto died_by = Clock::now() + 3s;
  while (!platform::pids_in_netns(ids).empty() && Clock::now() < died_by) {
    std::this_thread::sleep_for(20ms);
  }
  CHECK(platform::pids_in_netns(ids).empty());

  // A process the owner did not start and that nothing ties to it (someone's
  // `ip netns exec ... &`) is still the run's to remove.
  const std::string stray_netns = platform::netns_path(netns[0]);  // no allocation after fork
  const pid_t stray = ::fork();
  REQUIRE(stray >= 0);
  if (stray == 0) {
    const int fd = ::open(stray_netns.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
      ::_exit(127);
    }
    ::setsid();
    ::execl("/bin/sleep", "sleep", "60", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  struct Reap {
    pid_t pid;
    ~Reap() {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  } reap{stray};
  const auto in_by = Clock::now() + 3s;
  while (platform::pids_in_netns(ids).empty() && Clock::now() < in_by) {
    std::this_thread::sleep_for(10ms);
  }
  REQUIRE(platform::pids_in_netns(ids).size() == 1);

  const auto t0 = Clock::now();
  auto report = cleanup_stale_runs(registry.path(), CleanupFilter{{id.run_id}});
  std::cout << "cleanup of a dead run: " << ms_since(t0) << " ms, " << report.removed.size() << " items\n";
  for (const auto& e : report.errors) {
    FAIL_CHECK(e);
  }
  CHECK(std::count_if(report.removed.begin(), report.removed.end(),
                      [](const std::string& r) { return r.find(": namespace ") != std::string::npos; }) == 3);
  CHECK(std::count_if(report.removed.begin(), report.removed.end(),
                      [](const std::string& r) { return r.find(": link ") != std::string::npos; }) == 4);
  CHECK(std::count_if(report.removed.begin(), report.removed.end(),
                      [](const std::string& r) { return r.find(": process ") != std::string::npos; }) == 1);
  CHECK(platform::pids_in_netns(ids).empty());
  check_nothing_left(id);
  CHECK_FALSE(fs::exists(id.run_dir));
}

TEST_CASE("cleanup finds a dead run's resources by name when its registry entry is gone",
          "[integration][root][stack][cleanup]") {
  if (skip_unless_root()) {
    return;
  }
  testing::ScratchDir registry;
  const RunIdentity id = leak_a_run_from_a_dead_process(registry.path());
  LeakGuard guard{registry.path(), id.run_id};
  fs::remove_all(id.run_dir);
  REQUIRE(netns_of_run(id.run_id).size() == 3);

  auto report = cleanup_stale_runs(registry.path(), CleanupFilter{{id.run_id}});
  for (const auto& e : report.errors) {
    FAIL_CHECK(e);
  }
  CHECK_FALSE(report.removed.empty());
  check_nothing_left(id);
}

TEST_CASE("cleanup never touches a run whose owner is alive", "[integration][root][stack][cleanup]") {
  if (skip_unless_root()) {
    return;
  }
  TestRun run;
  auto up = netns_bring_up(testing::lb_experiment(ServiceKind::haproxy), run.id);
  INFO((up.ok() ? std::string("up") : up.error().message));
  REQUIRE(up.ok());
  run.stack = std::move(*up);

  // Once through its registry, once by name (as from another registry).
  testing::ScratchDir other_registry;
  for (const auto& base : {run.registry.path(), other_registry.path()}) {
    auto report = cleanup_stale_runs(base, CleanupFilter{{run.id.run_id}});
    CHECK(report.removed.empty());
    CHECK(report.errors.empty());
  }
  CHECK(run.stack->check_alive().ok());
  CHECK(netns_of_run(run.id.run_id).size() == 3);
  CHECK(backends_seen(run.stack->find("lb")->planned, 2).size() == 2);
}

}  // namespace
}  // namespace faultline::stack
