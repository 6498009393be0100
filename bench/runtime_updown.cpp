// How long the same stack takes to come up and to go away on faultline's
// two runtimes and under docker-compose, in one invocation: HAProxy before
// three nginx, from the faultline-test images for the containers.
//
//   netns    stack::netns_runtime(): namespaces, veths, a bridge, the
//            host's haproxy and nginx (bring_up, then teardown);
//   docker   stack::docker_bring_up() and teardown(): a network and four
//            containers through the Engine API;
//   compose  `docker-compose up -d` and `down` of an equivalent compose
//            file written to a temporary folder (same images, the servers'
//            same foreground commands, configs bind-mounted read-only,
//            docker-init), under a project name of this process's own.
//
// "Up" runs from the first call until every service answers HTTP from the
// host, polled the same way for all three (the bench's own poll, after
// bring_up's: the load balancer must answer through to a backend, which
// says so in its X-Backend header). "Down" runs until the teardown or
// `docker-compose down` returns. The rounds interleave the three, so a
// slow moment of the machine hits each alike; each figure is printed as
// median, min and max, with the ratios of the medians.
//
// Needs root, a Docker daemon, the test images (scripts/test-images.sh),
// docker-compose, and haproxy and nginx on the host. Every run is torn down
// on every way out (errors, ^C and SIGTERM end the current round early);
// a bench killed with SIGKILL leaves runs that `faultline cleanup` removes
// (the netns and docker ones; a compose project: `docker-compose -p
// flbench<pid> down`).
//
// Why one file of this length: a benchmark is audited as a whole (what it
// starts, what it measures against which peer, how it prints the ratio), and
// bench/CMakeLists.txt builds each file as its own program; split, a reader
// would chase one measurement across files.
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "harness/common/scratch_dir.h"
#include "harness/experiment/loader.h"
#include "harness/platform/docker_api.h"
#include "harness/stack/http_probe.h"
#include "harness/stack/run_registry.h"
#include "harness/stack/runtime.h"

namespace faultline::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* kHaproxyImage = "faultline-test/haproxy:bookworm";
constexpr const char* kNginxImage = "faultline-test/nginx:bookworm";
constexpr const char* kCompose = "/usr/bin/docker-compose";
constexpr auto kUpLimit = 60s;

std::atomic<bool> g_interrupted{false};

void on_signal(int /*sig*/) {
  g_interrupted = true;
}

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// ---------------------------------------------------------------------------
// The stack, three ways

// The experiment both faultline runtimes bring up; `docker` adds images.
std::string experiment_yaml(bool docker) {
  const auto image = [&](const char* ref) {
    return docker ? fmt::format(", image: {}", ref) : std::string();
  };
  return fmt::format(
      "version: 1\n"
      "title: runtime up/down bench\n"
      "stack:\n"
      "  runtime: {}\n"
      "  services:\n"
      "    lb: {{ kind: haproxy{}, backends: [web1, web2, web3] }}\n"
      "    web1: {{ kind: nginx{} }}\n"
      "    web2: {{ kind: nginx{} }}\n"
      "    web3: {{ kind: nginx{} }}\n"
      "load: {{ target: lb, rate: 10/s, duration: 1s }}\n"
      "expect: hold\n",
      docker ? "docker" : "netns", image(kHaproxyImage), image(kNginxImage), image(kNginxImage),
      image(kNginxImage));
}

std::optional<experiment::Experiment> load_experiment(const std::string& dir, bool docker) {
  const std::string path = dir + (docker ? "/docker.yaml" : "/netns.yaml");
  std::ofstream(path) << experiment_yaml(docker);
  experiment::Diagnostics diags;
  auto exp = experiment::load_file(path, {}, diags);
  if (diags.has_errors()) {
    fmt::print(stderr, "runtime_updown: the bench's own experiment does not load:\n{}\n", diags.format());
    return std::nullopt;
  }
  return exp;
}

// The compose equivalent: nginx answering with its name in X-Backend (as
// faultline's rendered backends do), HAProxy round-robin over the three
// with health checks, names resolved by Docker's DNS as Compose users do.
std::string nginx_conf(const std::string& name) {
  return fmt::format(
      "daemon off;\n"
      "worker_processes 1;\n"
      "pid /tmp/nginx.pid;\n"
      "error_log stderr;\n"
      "events {{ worker_connections 1024; }}\n"
      "http {{\n"
      "  access_log off;\n"
      "  server {{\n"
      "    listen 80;\n"
      "    location / {{ add_header X-Backend {} always; return 200 \"{}\\n\"; }}\n"
      "  }}\n"
      "}}\n",
      name, name);
}

std::string haproxy_cfg() {
  std::string cfg =
      "global\n"
      "  maxconn 4096\n"
      "resolvers docker\n"
      "  nameserver dns 127.0.0.11:53\n"
      "defaults\n"
      "  mode http\n"
      "  timeout connect 1s\n"
      "  timeout client 5s\n"
      "  timeout server 5s\n"
      "frontend fe\n"
      "  bind :80\n"
      "  default_backend be\n"
      "backend be\n"
      "  balance roundrobin\n"
      "  default-server check inter 250ms fall 2 rise 2 resolvers docker init-addr libc,none\n";
  for (const char* web : {"web1", "web2", "web3"}) {
    cfg += fmt::format("  server {0} {0}:80\n", web);
  }
  return cfg;
}

std::string compose_yaml(const std::string& dir) {
  std::string out = "version: \"2.4\"\nservices:\n";
  for (const char* web : {"web1", "web2", "web3"}) {
    out += fmt::format(
        "  {0}:\n"
        "    image: {1}\n"
        "    command: [\"nginx\", \"-c\", \"/etc/nginx/nginx.conf\"]\n"
        "    init: true\n"
        "    volumes: [\"{2}/{0}.conf:/etc/nginx/nginx.conf:ro\"]\n",
        web, kNginxImage, dir);
  }
  out += fmt::format(
      "  lb:\n"
      "    image: {}\n"
      "    command: [\"haproxy\", \"-W\", \"-db\", \"-f\", \"/etc/haproxy/haproxy.cfg\"]\n"
      "    init: true\n"
      "    volumes: [\"{}/haproxy.cfg:/etc/haproxy/haproxy.cfg:ro\"]\n"
      "    depends_on: [web1, web2, web3]\n",
      kHaproxyImage, dir);
  return out;
}

void write_compose_project(const std::string& dir) {
  for (const char* web : {"web1", "web2", "web3"}) {
    std::ofstream(fmt::format("{}/{}.conf", dir, web)) << nginx_conf(web);
  }
  std::ofstream(dir + "/haproxy.cfg") << haproxy_cfg();
  std::ofstream(dir + "/docker-compose.yml") << compose_yaml(dir);
}

// ---------------------------------------------------------------------------
// Readiness, polled alike for all three

struct Target {
  std::string name;
  std::string address;
  int port = 80;
  bool balancer = false;
};

// Until every target answers HTTP on / (a balancer through to a backend,
// whose X-Backend header says so), or the limit.
bool wait_answering(const std::vector<Target>& targets, std::string& why) {
  const auto deadline = Clock::now() + kUpLimit;
  std::vector<bool> ready(targets.size(), false);
  while (true) {
    bool all = true;
    for (size_t i = 0; i < targets.size(); ++i) {
      if (ready[i]) {
        continue;
      }
      auto resp = stack::http_get(targets[i].address, targets[i].port, "/", 250ms);
      ready[i] = resp && (!targets[i].balancer || !resp->header("X-Backend").empty());
      if (!ready[i]) {
        all = false;
        why = fmt::format("{} at {} does not answer{}", targets[i].name, targets[i].address,
                          resp ? " through to a backend" : ": " + resp.error().message);
      }
    }
    if (all) {
      return true;
    }
    if (Clock::now() >= deadline || g_interrupted) {
      return false;
    }
    std::this_thread::sleep_for(50ms);
  }
}

std::vector<Target> targets_of(const stack::RunningStack& s) {
  std::vector<Target> out;
  for (const auto& svc : s.services()) {
    out.push_back({svc.planned.name, svc.planned.address, svc.planned.port, !svc.backend_name.empty()});
  }
  return out;
}

// ---------------------------------------------------------------------------
// One round of each

struct Times {
  double up_ms = 0;
  double down_ms = 0;
};

std::optional<Times> round_faultline(const experiment::Experiment& exp, bool docker, std::string& err) {
  stack::StackRuntime& runtime = docker ? stack::docker_runtime() : stack::netns_runtime();
  auto id = runtime.create_run(stack::kDefaultRegistryDir);
  if (!id) {
    err = id.error().message;
    return std::nullopt;
  }
  Times t;
  const auto t0 = Clock::now();
  auto up = docker ? stack::docker_bring_up(exp, *id) : stack::netns_bring_up(exp, *id);
  if (!up) {
    err = up.error().message;
    runtime.release_run(*id);
    return std::nullopt;
  }
  const bool answering = wait_answering(targets_of(**up), err);
  t.up_ms = ms_since(t0);
  const auto t1 = Clock::now();
  (*up)->teardown();
  t.down_ms = ms_since(t1);
  runtime.release_run(*id);
  if (!answering) {
    return std::nullopt;
  }
  return t;
}

// `docker-compose -p <project> -f <file> <args...>`, its output to `log`;
// its exit code.
int compose(const std::string& project, const std::string& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {kCompose, "-p", project, "-f", dir + "/docker-compose.yml"};
  argv.insert(argv.end(), args.begin(), args.end());
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (std::FILE* log = std::fopen((dir + "/compose.log").c_str(), "a")) {
      ::dup2(::fileno(log), 1);
      ::dup2(::fileno(log), 2);
    }
    std::vector<char*> raw;
    for (auto& a : argv) {
      raw.push_back(a.data());
    }
    raw.push_back(nullptr);
    ::execv(raw[0], raw.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::vector<Target> compose_targets(const std::string& project) {
  std::vector<Target> out;
  auto listed = platform::DockerApi().list_containers({"com.docker.compose.project=" + project});
  if (!listed) {
    return out;
  }
  for (const auto& c : *listed) {
    const auto svc = c.labels.find("com.docker.compose.service");
    if (svc == c.labels.end() || c.ips.empty()) {
      continue;
    }
    out.push_back({svc->second, c.ips.begin()->second, 80, svc->second == "lb"});
  }
  return out;
}

std::optional<Times> round_compose(const std::string& project, const std::string& dir, std::string& err) {
  Times t;
  const auto t0 = Clock::now();
  const int up = compose(project, dir, {"up", "-d"});
  auto targets = compose_targets(project);
  bool answering = false;
  if (up != 0) {
    err = fmt::format("docker-compose up -d exited with {} (see {}/compose.log)", up, dir);
  } else if (targets.size() != 4) {
    err = fmt::format("docker-compose up -d gave {} running services, not 4", targets.size());
  } else {
    answering = wait_answering(targets, err);
  }
  t.up_ms = ms_since(t0);
  const auto t1 = Clock::now();
  const int down = compose(project, dir, {"down"});
  t.down_ms = ms_since(t1);
  if (down != 0) {
    err = fmt::format("docker-compose down exited with {} (see {}/compose.log)", down, dir);
    return std::nullopt;
  }
  if (!answering) {
    return std::nullopt;
  }
  return t;
}

// ---------------------------------------------------------------------------
// What the machine needs, and the figures

std::string missing_for_bench() {
  if (::geteuid() != 0) {
    return "needs root (the netns runtime makes namespaces; Docker's socket is root's)";
  }
  const platform::DockerApi api;
  if (auto st = api.ping(); !st) {
    return "needs a Docker daemon (scripts/dockerd.sh start): " + st.error().describe();
  }
  for (const char* image : {kHaproxyImage, kNginxImage}) {
    auto there = api.image_exists(image);
    if (!there || !*there) {
      return fmt::format("needs the image {} (scripts/test-images.sh)", image);
    }
  }
  if (::access(kCompose, X_OK) != 0) {
    return fmt::format("needs {} (apt-get install docker-compose)", kCompose);
  }
  return {};
}

struct Stats {
  double median = 0;
  double min = 0;
  double max = 0;
};

Stats stats_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return {n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v.front(), v.back()};
}

struct Series {
  std::string name;
  std::vector<double> up;
  std::vector<double> down;
};

void print_row(const Series& s) {
  const Stats u = stats_of(s.up);
  const Stats d = stats_of(s.down);
  fmt::print("{:<16}{:>9.0f}{:>7.0f}{:>7.0f}   {:>9.0f}{:>7.0f}{:>7.0f}\n", s.name, u.median, u.min, u.max,
             d.median, d.min, d.max);
}

void print_ratio(const Series& a, const Series& b) {
  fmt::print("ratio {}/{}: up {:.2f}, down {:.2f}\n", a.name, b.name,
             stats_of(a.up).median / stats_of(b.up).median,
             stats_of(a.down).median / stats_of(b.down).median);
}

int run_bench(int rounds) {
  if (const std::string missing = missing_for_bench(); !missing.empty()) {
    fmt::print(stderr, "runtime_updown: {}\n", missing);
    return 2;
  }
  ScratchDir dir("faultline-runtime-updown");
  if (dir.path().empty()) {
    fmt::print(stderr, "runtime_updown: cannot make a temporary folder\n");
    return 1;
  }
  auto netns_exp = load_experiment(dir.path(), false);
  auto docker_exp = load_experiment(dir.path(), true);
  if (!netns_exp || !docker_exp) {
    return 1;
  }
  write_compose_project(dir.path());
  const std::string project = fmt::format("flbench{}", ::getpid());

  fmt::print("runtime_updown: HAProxy + 3 nginx, {} rounds, netns, docker and docker-compose interleaved\n",
             rounds);
  Series netns{"netns", {}, {}};
  Series docker{"docker", {}, {}};
  Series comp{"compose", {}, {}};
  for (int r = 0; r < rounds && !g_interrupted; ++r) {
    std::string err;
    std::optional<Times> t;
    for (Series* s : {&netns, &docker, &comp}) {
      t = s == &comp ? round_compose(project, dir.path(), err)
                     : round_faultline(s == &docker ? *docker_exp : *netns_exp, s == &docker, err);
      if (!t) {
        fmt::print(stderr, "runtime_updown: round {} on {}: {}\n", r + 1, s->name,
                   g_interrupted ? "interrupted" : err);
        return g_interrupted ? 130 : 1;
      }
      s->up.push_back(t->up_ms);
      s->down.push_back(t->down_ms);
      fmt::print("  round {} {:<8} up {:6.0f} ms  down {:6.0f} ms\n", r + 1, s->name, t->up_ms, t->down_ms);
    }
  }
  if (g_interrupted) {
    return 130;
  }
  fmt::print("\n{:<16}{:>9}{:>7}{:>7}   {:>9}{:>7}{:>7}   (ms)\n", "", "up med", "min", "max", "down med",
             "min", "max");
  for (const Series* s : {&netns, &docker, &comp}) {
    print_row(*s);
  }
  print_ratio(docker, comp);
  print_ratio(docker, netns);
  return 0;
}

}  // namespace
}  // namespace faultline::bench

int main(int argc, char** argv) {
  CLI::App app{"Stack up and down times: netns, runtime docker and docker-compose (see bench/README.md)"};
  int rounds = 5;
  app.add_option("--rounds", rounds, "rounds of each")->check(CLI::Range(1, 100))->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  struct sigaction sa {};
  sa.sa_handler = faultline::bench::on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  return faultline::bench::run_bench(rounds);
}
