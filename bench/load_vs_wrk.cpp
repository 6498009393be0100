// Compares faultline's load generator with wrk against the same nginx, in
// one invocation, and checks that the generator holds a constant rate.
//
// The bench starts an nginx of its own on a free port of 127.0.0.1 (nothing
// leaves the machine), then:
//   1. maximum rate: alternates `wrk -t T -c C -d D` and faultline's
//      LoadGenerator in maximum-rate mode with the same threads, connections
//      and duration, `--rounds` times, and prints the medians of both rates,
//      their ratio, p50/p99 of each, and the CPU each client used (so a ratio
//      below 1 comes with where the time went: user or kernel, per request);
//   2. constant rate: the generator at `--hold-rate` for `--hold-duration`,
//      with the achieved rate over the whole run and per second, late and
//      never-sent requests, and PASS/FAIL against "within 1%".
// With `--https` nginx listens with TLS (a certificate for 127.0.0.1 from a
// throwaway CA made here, which both clients trust) and both runs speak
// HTTPS; with `--close` every request of both clients says `Connection:
// close`, so each makes a TCP connection and a TLS handshake. wrk keeps a
// connection's SSL and clears it (SSL_clear), which offers its last session
// again: its handshakes resume, and so do the generator's (the default).
//
// nginx and its temporary folder are removed on every way out: errors,
// ^C and SIGTERM (which end the current run early and let the destructors
// run).
//
// Why one file of this length: a benchmark is audited as a whole (what it
// starts, what it measures against which peer, how it prints the ratio), and
// bench/CMakeLists.txt builds each file as its own program; split, a reader
// would chase one measurement across files.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "harness/common/clock.h"
#include "harness/common/units.h"
#include "harness/load/generator.h"
#include "harness/load/sample.h"
#include "harness/platform/run_ca.h"
#include "harness/runner/signal_watcher.h"

namespace faultline::bench {
namespace {

namespace fs = std::filesystem;

constexpr const char* kNginx = "/usr/sbin/nginx";
constexpr const char* kWrk = "/usr/bin/wrk";
constexpr int64_t kNsPerSec = 1'000'000'000;
constexpr int64_t kNsPerMs = 1'000'000;
// Used as the generator's `rate` in maximum-rate mode: a generator that
// does not know max_rate yet then runs open-model at a rate no client
// reaches on this machine, which is the closest it can come. Its schedule
// is preallocated (rate × duration samples), hence not higher.
constexpr double kFallbackRate = 200'000;
// Connections open between the moment a run is set up and its start.
constexpr int64_t kWarmupNs = 200 * kNsPerMs;
// A request sent more than this after its intended time is late.
constexpr int64_t kLateNs = kNsPerMs;

std::atomic<bool> g_interrupted{false};

// The generator running now, if any, so that a signal can stop it.
std::mutex g_active_mutex;
load::LoadGenerator* g_active = nullptr;

// The handler of the runner's SignalWatcher (made first thing in main(),
// before any other thread): SIGINT, SIGTERM and SIGHUP become
// g_interrupted plus a stop() of the running generator, so the destructors
// still stop nginx and remove its folder.
void on_signal(int sig) {
  if (!g_interrupted.exchange(true)) {
    fmt::print(stderr, "\n{}: stopping and cleaning up\n", ::strsignal(sig));
    std::lock_guard lock(g_active_mutex);
    if (g_active != nullptr) {
      g_active->stop();
    }
  }
}

// Makes a generator the one a signal stops, for its lifetime.
class ActiveGenerator {
 public:
  explicit ActiveGenerator(load::LoadGenerator& gen) {
    std::lock_guard lock(g_active_mutex);
    g_active = &gen;
    if (g_interrupted.load()) {
      gen.stop();
    }
  }
  ActiveGenerator(const ActiveGenerator&) = delete;
  ActiveGenerator& operator=(const ActiveGenerator&) = delete;
  ~ActiveGenerator() {
    std::lock_guard lock(g_active_mutex);
    g_active = nullptr;
  }
};

// Sleeps up to `d`, returning early on a signal.
void interruptible_sleep(std::chrono::milliseconds d) {
  const auto end = std::chrono::steady_clock::now() + d;
  while (!g_interrupted.load() && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

double seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

struct CpuTime {
  double user = 0;
  double sys = 0;
  double total() const { return user + sys; }
};

CpuTime self_cpu() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return {seconds(ru.ru_utime), seconds(ru.ru_stime)};
}

CpuTime operator-(const CpuTime& a, const CpuTime& b) {
  return {a.user - b.user, a.sys - b.sys};
}

// In the child after fork(): undo what the bench set for itself, so the
// program runs as if started from a shell of its own. It gets its own
// process group (a ^C on the terminal reaches the bench only, which then
// stops its children in order) and dies with the bench if the bench is
// killed outright.
void prepare_child() {
  sigset_t none;
  ::sigemptyset(&none);
  ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
}

std::vector<char*> argv_of(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (std::string& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  return argv;
}

// A folder under /tmp for this run only, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "faultline-lvw-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error(fmt::format("mkdtemp: {}", std::strerror(errno)));
    }
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// A port of 127.0.0.1 that nobody listens on right now. Another process
// could take it before nginx does; NginxServer tries again then.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw std::runtime_error(fmt::format("socket: {}", std::strerror(errno)));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::runtime_error(fmt::format("bind 127.0.0.1:0: {}", std::strerror(err)));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool accepts_connections(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// user + system CPU seconds of a process, from /proc/<pid>/stat; 0 when it
// is gone.
double proc_cpu_seconds(pid_t pid) {
  const std::string stat = read_file(fmt::format("/proc/{}/stat", pid));
  const auto paren = stat.rfind(')');
  if (paren == std::string::npos) {
    return 0;
  }
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  uint64_t utime = 0;
  uint64_t stime = 0;
  // After the command: state is field 3; utime and stime are fields 14, 15.
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) {
      utime = std::strtoull(field.c_str(), nullptr, 10);
    } else if (i == 15) {
      stime = std::strtoull(field.c_str(), nullptr, 10);
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

pid_t parent_of(pid_t pid) {
  const std::string stat = read_file(fmt::format("/proc/{}/stat", pid));
  const auto paren = stat.rfind(')');
  if (paren == std::string::npos) {
    return -1;
  }
  std::istringstream fields(stat.substr(paren + 2));
  std::string state;
  pid_t ppid = -1;
  fields >> state >> ppid;
  return ppid;
}

// nginx from the Debian package, on 127.0.0.1:<free port>, answering every
// request with `200 ok` and an X-Backend header, from a temporary prefix.
//
// One worker process (`--nginx-workers`): the machine has 2 cores shared by
// nginx, wrk and the generator; with one worker nginx takes at most one
// core and the client has the other, the same split for both clients. With
// `auto` (2 workers) the server would compete with the client for the
// client's core and the figures would measure the scheduler as much as the
// client. The worker CPU is printed with each run: a worker near 100% of a
// core means nginx, not the client, set the rate.
class NginxServer {
 public:
  NginxServer(int workers, bool https) : https_(https) {
    if (https_) {
      write_certificate();
    }
    for (int attempt = 0; attempt < 3; ++attempt) {
      port_ = free_port();
      if (try_start(workers)) {
        return;
      }
    }
    throw std::runtime_error("nginx did not start; its log:\n" + read_file(dir_.path() / "error.log"));
  }
  NginxServer(const NginxServer&) = delete;
  NginxServer& operator=(const NginxServer&) = delete;
  ~NginxServer() { stop(); }

  int port() const { return port_; }
  pid_t master() const { return pid_; }
  bool https() const { return https_; }
  // The CA both clients trust (--https); empty otherwise.
  const std::string& ca_file() const { return ca_file_; }
  std::string url() const { return fmt::format("{}://127.0.0.1:{}/", https_ ? "https" : "http", port_); }

  // CPU seconds of the master and its workers so far.
  double cpu_seconds() const {
    double total = proc_cpu_seconds(pid_);
    DIR* proc = ::opendir("/proc");
    if (proc == nullptr) {
      return total;
    }
    while (const dirent* entry = ::readdir(proc)) {
      const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
      if (pid > 0 && pid != pid_ && parent_of(pid) == pid_) {
        total += proc_cpu_seconds(pid);
      }
    }
    ::closedir(proc);
    return total;
  }

 private:
  // The run CA's certificate and a server certificate for 127.0.0.1 it
  // signed, made in process (harness/platform/run_ca.h), in the temp folder.
  void write_certificate() {
    const auto now = platform::SystemClock::now();
    auto ca = platform::make_run_ca("load_vs_wrk CA", now);
    if (!ca) {
      throw std::runtime_error("cannot make a CA: " + ca.error().message);
    }
    auto cert = platform::issue_server_cert(*ca, {{"127.0.0.1"}, {"localhost"}}, now);
    if (!cert) {
      throw std::runtime_error("cannot make a certificate: " + cert.error().message);
    }
    auto files = platform::write_server_files(dir_.path().string(), ca->cert, *cert);
    if (!files) {
      throw std::runtime_error(files.error().message);
    }
    ca_file_ = files->ca_cert;
    cert_file_ = files->cert;
    key_file_ = files->key;
  }

  bool try_start(int workers) {
    const fs::path conf = dir_.path() / "nginx.conf";
    {
      const std::string d = dir_.path().string();
      // Started by root, nginx runs its workers as `nobody` in the group of
      // the same name, which Debian does not have.
      const std::string user = ::geteuid() == 0 ? "user nobody nogroup;\n" : "";
      std::ofstream out(conf);
      // keepalive_requests is raised from its default (1000) so neither
      // client pays for reconnects the other might time differently.
      out << fmt::format(fmt::runtime("daemon off;\n"
                                      "master_process on;\n"
                                      "{user}"
                                      "worker_processes {workers};\n"
                                      "pid {d}/nginx.pid;\n"
                                      "error_log {d}/error.log warn;\n"
                                      "events {{ worker_connections 4096; }}\n"
                                      "http {{\n"
                                      "  access_log off;\n"
                                      "  client_body_temp_path {d}/body;\n"
                                      "  proxy_temp_path {d}/proxy;\n"
                                      "  fastcgi_temp_path {d}/fastcgi;\n"
                                      "  uwsgi_temp_path {d}/uwsgi;\n"
                                      "  scgi_temp_path {d}/scgi;\n"
                                      "  keepalive_requests 100000000;\n"
                                      "  server {{\n"
                                      "    listen 127.0.0.1:{port}{ssl};\n"
                                      "{tls}"
                                      "    location / {{\n"
                                      "      default_type text/plain;\n"
                                      "      add_header X-Backend lvw always;\n"
                                      "      return 200 \"ok\\n\";\n"
                                      "    }}\n"
                                      "  }}\n"
                                      "}}\n"),
                         fmt::arg("user", user), fmt::arg("workers", workers), fmt::arg("d", d),
                         fmt::arg("port", port_), fmt::arg("ssl", https_ ? " ssl" : ""),
                         fmt::arg("tls", tls_directives()));
    }
    std::vector<std::string> args{
        kNginx, "-p", dir_.path().string(), "-c", conf.string(), "-e", (dir_.path() / "error.log").string()};
    auto argv = argv_of(args);
    pid_ = ::fork();
    if (pid_ < 0) {
      throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
    }
    if (pid_ == 0) {
      prepare_child();
      const int devnull = ::open("/dev/null", O_RDWR);
      ::dup2(devnull, STDIN_FILENO);
      ::dup2(devnull, STDOUT_FILENO);
      ::dup2(devnull, STDERR_FILENO);
      ::execv(kNginx, argv.data());
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline && !g_interrupted.load()) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;  // exited: most likely the port was taken meanwhile
        return false;
      }
      if (accepts_connections(port_)) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    stop();
    if (g_interrupted.load()) {
      throw std::runtime_error("interrupted while nginx was starting");
    }
    return false;
  }

  // SIGTERM is nginx's fast shutdown: the master stops its workers and
  // exits. Whatever is left after 3 s is killed, process group and all.
  void stop() {
    if (pid_ <= 0) {
      return;
    }
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(-pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // Workers that outlived their master (they should not) share its group.
    ::kill(-pid_, SIGKILL);
    pid_ = -1;
  }

  // nginx's TLS for --https: the certificate, and a session cache so that
  // a client that offers a session may resume it (both clients do).
  std::string tls_directives() const {
    if (!https_) {
      return {};
    }
    return fmt::format(
        "    ssl_certificate {};\n"
        "    ssl_certificate_key {};\n"
        "    ssl_session_cache shared:lvw:10m;\n",
        cert_file_, key_file_);
  }

  TempDir dir_;
  bool https_ = false;
  std::string ca_file_;
  std::string cert_file_;
  std::string key_file_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// ---------------------------------------------------------------------------
// Runs

struct Options {
  bool https = false;
  bool close = false;  // Connection: close on every request
  int connections = 64;
  int threads = 1;
  int duration_s = 10;
  int rounds = 3;
  int nginx_workers = 1;
  double hold_rate = 20'000;
  int hold_duration_s = 30;
  bool skip_hold = false;
};

struct ClientRun {
  bool ok = false;
  std::string problem;  // why !ok
  double rate = 0;      // responses per second
  double p50_ms = 0;
  double p99_ms = 0;
  uint64_t responses = 0;
  uint64_t errors = 0;  // transport errors and non-2xx/3xx
  CpuTime cpu;
  double nginx_cpu = 0;
  // faultline only
  uint64_t recorded = 0;
  uint64_t completed = 0;
  uint64_t not_sent = 0;
  uint64_t late = 0;
};

// wrk prints times as "635.91us", "1.23ms", "2.00s", "1.00m".
std::optional<double> wrk_time_ms(const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str()) {
    return std::nullopt;
  }
  const std::string unit(end);
  if (unit == "us") {
    return v / 1e3;
  }
  if (unit == "ms") {
    return v;
  }
  if (unit == "s") {
    return v * 1e3;
  }
  if (unit == "m") {
    return v * 60e3;
  }
  if (unit == "h") {
    return v * 3600e3;
  }
  return std::nullopt;
}

void parse_wrk_output(const std::string& output, ClientRun& run) {
  std::istringstream lines(output);
  std::string line;
  bool have_rate = false;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string first;
    words >> first;
    if (first == "Requests/sec:") {
      have_rate = static_cast<bool>(words >> run.rate);
    } else if (first == "50%" || first == "99%") {
      std::string value;
      words >> value;
      if (const auto ms = wrk_time_ms(value)) {
        (first == "50%" ? run.p50_ms : run.p99_ms) = *ms;
      }
    } else if (line.find(" requests in ") != std::string::npos) {
      run.responses = std::strtoull(first.c_str(), nullptr, 10);
    } else if (first == "Non-2xx") {
      // "Non-2xx or 3xx responses: N"
      run.errors += std::strtoull(line.substr(line.rfind(' ') + 1).c_str(), nullptr, 10);
    } else if (first == "Socket") {
      // "Socket errors: connect N, read N, write N, timeout N"
      std::string word;
      while (words >> word) {
        if (std::isdigit(static_cast<unsigned char>(word[0])) != 0) {
          run.errors += std::strtoull(word.c_str(), nullptr, 10);
        }
      }
    }
  }
  run.ok = have_rate;
  if (!have_rate) {
    run.problem = "no 'Requests/sec:' line in wrk's output:\n" + output;
  }
}

ClientRun run_wrk(const Options& opt, const NginxServer& nginx) {
  ClientRun run;
  std::vector<std::string> args{kWrk,
                                "-t",
                                std::to_string(opt.threads),
                                "-c",
                                std::to_string(opt.connections),
                                "-d",
                                fmt::format("{}s", opt.duration_s),
                                "--latency"};
  if (opt.close) {
    args.insert(args.end(), {"-H", "Connection: close"});
  }
  args.push_back(nginx.url());
  auto argv = argv_of(args);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    throw std::runtime_error(fmt::format("pipe: {}", std::strerror(errno)));
  }
  const double nginx_before = nginx.cpu_seconds();
  const pid_t pid = ::fork();
  if (pid < 0) {
    throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    prepare_child();
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::dup2(pipe_fds[1], STDERR_FILENO);
    ::execv(kWrk, argv.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  // wrk ends by itself after the duration; this bound only guards a hang.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(opt.duration_s + 15);
  std::string output;
  bool killed = false;
  for (;;) {
    if (!killed && (g_interrupted.load() || std::chrono::steady_clock::now() > deadline)) {
      ::kill(pid, SIGKILL);
      killed = true;
    }
    pollfd pfd{pipe_fds[0], POLLIN, 0};
    if (::poll(&pfd, 1, 100) > 0) {
      char buf[4096];
      const ssize_t n = ::read(pipe_fds[0], buf, sizeof buf);
      if (n <= 0) {
        break;
      }
      output.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(pipe_fds[0]);
  int status = 0;
  rusage ru{};
  ::wait4(pid, &status, 0, &ru);
  run.nginx_cpu = nginx.cpu_seconds() - nginx_before;
  run.cpu = {seconds(ru.ru_utime), seconds(ru.ru_stime)};
  if (killed) {
    run.problem = g_interrupted.load() ? "interrupted" : "wrk did not end in time and was killed";
    return run;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    run.problem = fmt::format("wrk failed (status {}):\n{}", status, output);
    return run;
  }
  parse_wrk_output(output, run);
  return run;
}

// Nearest-rank percentile of sorted values, in ms.
double percentile_ms(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) {
    return 0;
  }
  const auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return static_cast<double>(sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1]) / kNsPerMs;
}

bool answered(const load::Sample& s) {
  return s.error == load::ErrorClass::none && s.status != 0;
}

bool is_late(const load::Sample& s) {
  return s.sent_ns - s.intended_ns > kLateNs;
}

// The generator's own count of late sends, when the LoadResult of this
// build has one (the field is being added under one of these names);
// otherwise nullopt and the bench counts them from the samples.
template <typename R>
std::optional<uint64_t> reported_late_sends(const R& result) {
  if constexpr (requires { result.late_sends; }) {
    return static_cast<uint64_t>(result.late_sends);
  } else if constexpr (requires { result.sent_late; }) {
    return static_cast<uint64_t>(result.sent_late);
  } else if constexpr (requires { result.late; }) {
    return static_cast<uint64_t>(result.late);
  } else {
    return std::nullopt;
  }
}

struct GeneratorRun {
  load::LoadResult result;
  uint64_t completed = 0;  // the live counter, for the "records every request" check
  CpuTime cpu;
  double nginx_cpu = 0;
};

// --https and --close on a spec: HTTPS trusting the bench's CA, the
// certificate checked against 127.0.0.1 (no SNI, as wrk to an address);
// with --close one request that says `Connection: close`; sessions are
// resumed, as wrk's are.
void apply_options(load::LoadSpec& spec, const Options& opt, const NginxServer& nginx) {
  if (nginx.https()) {
    spec.https = true;
    spec.ca_file = nginx.ca_file();
    spec.sni = "";
  }
  if (opt.close) {
    load::RequestSpec close;
    close.name = "close";
    close.method = "GET";
    close.path = "/";
    close.headers = {{"Connection", "close"}};
    spec.requests = {close};
  }
}

GeneratorRun run_generator(const load::LoadSpec& spec, const NginxServer& nginx) {
  RunClock clock;
  load::LoadGenerator gen(spec, clock);
  ActiveGenerator active(gen);
  GeneratorRun run;
  const double nginx_before = nginx.cpu_seconds();
  const CpuTime before = self_cpu();
  run.result = gen.run(clock.now_ns() + kWarmupNs);
  run.cpu = self_cpu() - before;
  run.nginx_cpu = nginx.cpu_seconds() - nginx_before;
  run.completed = gen.progress().completed.load();
  return run;
}

ClientRun run_faultline_max(const Options& opt, const NginxServer& nginx) {
  load::LoadSpec spec{.host = "127.0.0.1",
                      .port = nginx.port(),
                      .rate = kFallbackRate,
                      .connections = opt.connections,
                      .duration = std::chrono::seconds(opt.duration_s),
                      // wrk's request: GET / with Host and nothing else, so
                      // nginx does the same work for both clients.
                      .user_agent = "",
                      .threads = opt.threads,
                      .max_rate = true};
  apply_options(spec, opt, nginx);
  GeneratorRun g = run_generator(spec, nginx);
  ClientRun run;
  run.cpu = g.cpu;
  run.nginx_cpu = g.nginx_cpu;
  if (g_interrupted.load()) {
    run.problem = "interrupted";
    return run;
  }
  const load::LoadResult& r = g.result;
  // As wrk does: responses that came in during the run, over its length;
  // latency from the send (wrk's definition; in maximum-rate mode the
  // generator's own latency is the same).
  std::vector<int64_t> service;
  service.reserve(r.samples.size());
  for (const load::Sample& s : r.samples) {
    if (answered(s) && s.status < 400) {
      if (s.done_ns <= r.end_ns) {
        ++run.responses;
      }
      service.push_back(s.service_ns());
    } else {
      ++run.errors;
    }
    run.late += is_late(s) ? 1 : 0;
  }
  std::sort(service.begin(), service.end());
  const double length_s = static_cast<double>(r.end_ns - r.start_ns) / kNsPerSec;
  run.rate = length_s > 0 ? static_cast<double>(run.responses) / length_s : 0;
  run.p50_ms = percentile_ms(service, 50);
  run.p99_ms = percentile_ms(service, 99);
  run.recorded = r.samples.size();
  run.completed = g.completed;
  run.not_sent = r.not_sent;
  run.ok = true;
  return run;
}

double median(std::vector<double> v) {
  if (v.empty()) {
    return 0;
  }
  std::sort(v.begin(), v.end());
  const size_t mid = v.size() / 2;
  return v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

void print_run(const char* name, int round, const ClientRun& r, int duration_s) {
  fmt::print("  {:>2}  {:<9} {:>10.0f} {:>9.3f} {:>9.3f} {:>10} {:>7} {:>7.2f} {:>7.2f} {:>8.1f}%", round,
             name, r.rate, r.p50_ms, r.p99_ms, r.responses, r.errors, r.cpu.user, r.cpu.sys,
             100.0 * r.nginx_cpu / duration_s);
  if (std::string(name) == "faultline") {
    fmt::print("  recorded {} = completed {}: {}", r.recorded, r.completed,
               r.recorded == r.completed ? "yes" : "NO");
    if (r.not_sent > 0 || r.late > 0) {
      fmt::print(" (not sent {}, late {}: max_rate ignored?)", r.not_sent, r.late);
    }
  }
  fmt::print("\n");
}

// Returns false when a run could not be made.
bool max_rate_comparison(const Options& opt, const NginxServer& nginx) {
  fmt::print(
      "== Maximum rate: wrk vs faultline, -t {} -c {} -d {}s, {} round(s), nginx workers {} ==\n"
      "  rnd client        req/s   p50 ms    p99 ms  responses  errors  user s   sys s  nginx cpu\n",
      opt.threads, opt.connections, opt.duration_s, opt.rounds, opt.nginx_workers);
  std::vector<ClientRun> wrk_runs;
  std::vector<ClientRun> fl_runs;
  for (int round = 1; round <= opt.rounds && !g_interrupted.load(); ++round) {
    ClientRun w = run_wrk(opt, nginx);
    if (!w.ok) {
      fmt::print(stderr, "wrk: {}\n", w.problem);
      return false;
    }
    print_run("wrk", round, w, opt.duration_s);
    wrk_runs.push_back(w);
    interruptible_sleep(std::chrono::milliseconds(500));
    ClientRun f = run_faultline_max(opt, nginx);
    if (!f.ok) {
      fmt::print(stderr, "faultline: {}\n", f.problem);
      return false;
    }
    print_run("faultline", round, f, opt.duration_s);
    fl_runs.push_back(f);
    interruptible_sleep(std::chrono::milliseconds(500));
  }
  if (g_interrupted.load() || wrk_runs.empty()) {
    return false;
  }
  auto med = [](const std::vector<ClientRun>& runs, auto field) {
    std::vector<double> v;
    for (const ClientRun& r : runs) {
      v.push_back(field(r));
    }
    return median(v);
  };
  const double w_rate = med(wrk_runs, [](const ClientRun& r) { return r.rate; });
  const double f_rate = med(fl_runs, [](const ClientRun& r) { return r.rate; });
  const double ratio = w_rate > 0 ? f_rate / w_rate : 0;
  fmt::print("\n  median      wrk: {:>9.0f} req/s  p50 {:.3f} ms  p99 {:.3f} ms\n", w_rate,
             med(wrk_runs, [](const ClientRun& r) { return r.p50_ms; }),
             med(wrk_runs, [](const ClientRun& r) { return r.p99_ms; }));
  fmt::print("  median faultline: {:>9.0f} req/s  p50 {:.3f} ms  p99 {:.3f} ms\n", f_rate,
             med(fl_runs, [](const ClientRun& r) { return r.p50_ms; }),
             med(fl_runs, [](const ClientRun& r) { return r.p99_ms; }));
  bool all_recorded = true;
  for (const ClientRun& r : fl_runs) {
    all_recorded = all_recorded && r.recorded == r.completed;
  }
  fmt::print("  ratio faultline/wrk: {:.3f}x   faultline recorded every request: {}\n", ratio,
             all_recorded ? "yes" : "NO");

  // Where the time goes, per request: the client's own CPU, split in user
  // (parsing, bookkeeping) and kernel (syscalls, the loopback TCP path).
  auto per_1k = [](const ClientRun& r, double cpu) {
    return r.responses > 0 ? 1e3 * 1e3 * cpu / static_cast<double>(r.responses) : 0;  // ms per 1k requests
  };
  const double w_user = med(wrk_runs, [&](const ClientRun& r) { return per_1k(r, r.cpu.user); });
  const double w_sys = med(wrk_runs, [&](const ClientRun& r) { return per_1k(r, r.cpu.sys); });
  const double f_user = med(fl_runs, [&](const ClientRun& r) { return per_1k(r, r.cpu.user); });
  const double f_sys = med(fl_runs, [&](const ClientRun& r) { return per_1k(r, r.cpu.sys); });
  fmt::print(
      "  client CPU per 1k requests (ms):  wrk user {:.2f} sys {:.2f}  |  faultline user {:.2f} sys {:.2f}\n",
      w_user, w_sys, f_user, f_sys);
  if (ratio < 1.0) {
    const double nginx_w = med(wrk_runs, [](const ClientRun& r) { return r.nginx_cpu; }) / opt.duration_s;
    const double nginx_f = med(fl_runs, [](const ClientRun& r) { return r.nginx_cpu; }) / opt.duration_s;
    const double client_w = med(wrk_runs, [](const ClientRun& r) { return r.cpu.total(); }) / opt.duration_s;
    const double client_f = med(fl_runs, [](const ClientRun& r) { return r.cpu.total(); }) / opt.duration_s;
    fmt::print(
        "  profile: faultline is below wrk (per-request CPU accounting; `perf record -e cpu-clock -g` for "
        "more).\n"
        "    faultline spends {:.2f}x wrk's user time and {:.2f}x its kernel time per request;\n"
        "    client CPU: wrk {:.0f}%, faultline {:.0f}% of a core; nginx {:.0f}% under wrk, {:.0f}% under "
        "faultline.\n",
        w_user > 0 ? f_user / w_user : 0, w_sys > 0 ? f_sys / w_sys : 0, 100 * client_w, 100 * client_f,
        100 * nginx_w, 100 * nginx_f);
    // A side that had a core to itself and used less than most of it was
    // waiting: on this 2-core machine, for CPU taken by something else (the
    // loopback's softirq work, other processes).
    if (client_f < 0.9 && nginx_f < 0.9) {
      fmt::print(
          "    neither faultline nor nginx used a full core: the rate was set by waiting (softirq on the\n"
          "    loopback path, other load on the machine), not by the generator's own work; compare the "
          "rounds.\n");
    }
    fmt::print(
        "    faultline's user time includes recording: one Sample per request in a preallocated slot.\n");
  }
  return true;
}

// Whether a constant rate holds: the generator at opt.hold_rate for
// opt.hold_duration_s, judged on the responses per second it achieved.
bool hold_check(const Options& opt, const NginxServer& nginx) {
  fmt::print("\n== Constant rate: faultline at {:.0f} req/s for {} s, -t {} -c {} ==\n", opt.hold_rate,
             opt.hold_duration_s, opt.threads, opt.connections);
  load::LoadSpec spec{.host = "127.0.0.1",
                      .port = nginx.port(),
                      .rate = opt.hold_rate,
                      .connections = opt.connections,
                      .duration = std::chrono::seconds(opt.hold_duration_s),
                      .user_agent = "",
                      .threads = opt.threads};
  apply_options(spec, opt, nginx);
  GeneratorRun g = run_generator(spec, nginx);
  if (g_interrupted.load()) {
    return false;
  }
  const load::LoadResult& r = g.result;
  const int secs = opt.hold_duration_s;
  std::vector<uint64_t> per_second(static_cast<size_t>(secs), 0);
  std::vector<int64_t> latency;
  latency.reserve(r.samples.size());
  uint64_t ok = 0;
  uint64_t failed = 0;
  uint64_t late = 0;
  int64_t max_lateness = 0;
  std::map<std::string, uint64_t> failed_by;  // transport error class, or "status 5xx"
  for (const load::Sample& s : r.samples) {
    if (s.failed() || !answered(s)) {
      ++failed;
      ++failed_by[s.error != load::ErrorClass::none ? load::to_string(s.error)
                                                    : fmt::format("status {}", s.status)];
    } else {
      ++ok;
      const int64_t second = (s.sent_ns - r.start_ns) / kNsPerSec;
      if (second >= 0 && second < secs) {
        ++per_second[static_cast<size_t>(second)];
      }
    }
    latency.push_back(s.latency_ns());
    late += is_late(s) ? 1 : 0;
    max_lateness = std::max(max_lateness, s.sent_ns - s.intended_ns);
  }
  std::sort(latency.begin(), latency.end());
  const double achieved = static_cast<double>(ok) / secs;
  const double deviation = 100.0 * (achieved - opt.hold_rate) / opt.hold_rate;
  const auto [min_it, max_it] = std::minmax_element(per_second.begin(), per_second.end());
  int seconds_within = 0;
  for (const uint64_t n : per_second) {
    seconds_within += std::abs(static_cast<double>(n) - opt.hold_rate) <= 0.01 * opt.hold_rate ? 1 : 0;
  }
  fmt::print("  achieved {:.1f} req/s over {} s (answered {} of {} scheduled), deviation {:+.3f}%\n",
             achieved, secs, ok, r.samples.size() + r.not_sent, deviation);
  fmt::print("  per second (by send time): min {} max {}; {} of {} seconds within 1%\n", *min_it, *max_it,
             seconds_within, secs);
  fmt::print(
      "  failed {}  not sent {}  late sends (>1 ms after intended, from samples) {}  max lateness {:.3f} "
      "ms\n",
      failed, r.not_sent, late, static_cast<double>(max_lateness) / kNsPerMs);
  if (!failed_by.empty()) {
    fmt::print("  failed by class:");
    for (const auto& [what, n] : failed_by) {
      fmt::print(" {} {}", what, n);
    }
    fmt::print("; peak connections {}\n", r.peak_connections);
  }
  if (const auto reported = reported_late_sends(r)) {
    fmt::print("  late sends as the generator counts them: {}\n", *reported);
  } else {
    fmt::print("  late sends as the generator counts them: not reported by this build\n");
  }
  fmt::print("  latency from intended send: p50 {:.3f} ms  p99 {:.3f} ms  max {:.3f} ms\n",
             percentile_ms(latency, 50), percentile_ms(latency, 99), percentile_ms(latency, 100));
  fmt::print("  recorded {} = completed {}: {}\n", r.samples.size(), g.completed,
             r.samples.size() == g.completed ? "yes" : "NO");
  fmt::print("  generator CPU: user {:.2f} s  sys {:.2f} s;  nginx {:.0f}% of a core\n", g.cpu.user,
             g.cpu.sys, 100 * g.nginx_cpu / secs);
  const bool pass = std::abs(deviation) <= 1.0 && r.not_sent == 0;
  fmt::print("  {}: achieved rate within 1% of {:.0f} req/s over {} s{}\n", pass ? "PASS" : "FAIL",
             opt.hold_rate, secs, r.not_sent > 0 ? " (and requests were left unsent)" : "");
  return true;
}

int run(const Options& opt) {
  NginxServer nginx(opt.nginx_workers, opt.https);
  fmt::print("nginx {} (pid {}) at {}, {} worker(s); wrk {}{}\n\n", kNginx, nginx.master(), nginx.url(),
             opt.nginx_workers, kWrk,
             opt.close ? "; every request of both clients says Connection: close (a new connection each" +
                             std::string(opt.https ? ", with a handshake that resumes a session)" : ")")
                       : "");
  if (!max_rate_comparison(opt, nginx)) {
    return g_interrupted.load() ? 130 : 1;
  }
  if (!opt.skip_hold && !hold_check(opt, nginx)) {
    return g_interrupted.load() ? 130 : 1;
  }
  return 0;
}

}  // namespace
}  // namespace faultline::bench

int main(int argc, char** argv) {
  using namespace faultline;
  runner::SignalWatcher signals(bench::on_signal);
  bench::Options opt;
  std::string duration = "10s";
  std::string hold_duration = "30s";
  CLI::App app{
      "Runs wrk and faultline's load generator (maximum-rate mode) against the same local nginx and prints\n"
      "both rates and their ratio; then checks that the generator holds a constant rate. Starts its own\n"
      "nginx on 127.0.0.1 and stops it on exit."};
  app.add_option("--connections", opt.connections, "keep-alive connections, both clients")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--threads", opt.threads, "client threads, both clients")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--duration", duration, "length of each maximum-rate run, whole seconds, e.g. 10s")
      ->capture_default_str();
  app.add_option("--rounds", opt.rounds, "wrk/faultline alternations; medians are reported")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--nginx-workers", opt.nginx_workers, "nginx worker processes")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--hold-rate", opt.hold_rate, "requests per second of the constant-rate check")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--hold-duration", hold_duration, "length of the constant-rate check, whole seconds")
      ->capture_default_str();
  app.add_flag("--skip-hold", opt.skip_hold, "skip the constant-rate check");
  app.add_flag(
      "--https", opt.https,
      "nginx listens with TLS (a throwaway CA's certificate for 127.0.0.1, trusted by both clients)");
  app.add_flag("--close", opt.close,
               "every request says Connection: close, so each opens a connection (with --https: a handshake, "
               "which resumes the last session in both clients)");
  CLI11_PARSE(app, argc, argv);
  auto whole_seconds = [](const std::string& text, const char* name) -> int {
    const auto d = parse_duration(text);
    if (!d || d->count() <= 0 || d->count() % bench::kNsPerSec != 0) {
      fmt::print(stderr, "error: {}: expected a whole number of seconds such as 10s, got '{}'\n", name, text);
      return -1;
    }
    return static_cast<int>(d->count() / bench::kNsPerSec);
  };
  opt.duration_s = whole_seconds(duration, "--duration");
  opt.hold_duration_s = whole_seconds(hold_duration, "--hold-duration");
  if (opt.duration_s < 0 || opt.hold_duration_s < 0) {
    return 2;
  }
  if (opt.connections < opt.threads) {
    fmt::print(stderr, "error: --connections must be at least --threads (wrk's rule)\n");
    return 2;
  }
  // A reader that goes away (`| head`) must not kill the bench before its
  // destructors stop nginx: the failed write throws instead.
  ::signal(SIGPIPE, SIG_IGN);
  try {
    return bench::run(opt);
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
}
