// Measures what faultline's NFQUEUE delayer costs and how exactly it delays.
//
// Two network namespaces made for this run only, joined by a veth pair; a
// sender in A sends timestamped UDP packets at a constant rate to a receiver
// in B. Each rate runs once over the bare path (the baseline), once with the
// delayer fed by an iptables NFQUEUE rule in A, and once with a netem qdisc
// when the kernel has sch_netem. Accuracy is the one-way time minus the
// configured delay; added CPU is the process CPU of a run minus that of the
// baseline run at the same rate.
//
// Why one file of this length: a benchmark is audited as a whole (what it
// starts, what it measures against which peer, how it prints the ratio), and
// bench/CMakeLists.txt builds each file as its own program; split, a reader
// would chase one measurement across files.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness/common/result.h"
#include "harness/common/units.h"
#include "harness/platform/netns.h"
#include "harness/platform/nfqueue_delayer.h"
#include "harness/platform/unique_fd.h"
#include "harness/runner/signal_watcher.h"

namespace faultline::bench {
namespace {

// Everything this bench creates is named with this prefix and its pid, so
// a later run can tell its own leftovers from other runs' live objects.
constexpr const char* kPrefix = "flb-";
constexpr uint16_t kPort = 47000;
constexpr uint32_t kProbeMagic = 0xfb17e5u;
constexpr size_t kPacketBytes = 64;
constexpr int64_t kNsPerSec = 1'000'000'000;

// Set by the signal watcher; every loop that can take long checks it.
std::atomic<bool> g_interrupted{false};

int64_t mono_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * kNsPerSec + ts.tv_nsec;
}

// CPU time of a clock in ns, or -1 when the clock cannot be read (a thread
// that has exited).
int64_t cpu_ns(clockid_t clock) {
  timespec ts{};
  if (::clock_gettime(clock, &ts) != 0) {
    return -1;
  }
  return static_cast<int64_t>(ts.tv_sec) * kNsPerSec + ts.tv_nsec;
}

// The CPU clock of any thread of this process, by kernel thread id: the
// encoding glibc's pthread_getcpuclockid uses (CPUCLOCK_SCHED | per-thread).
// The delayer's std::thread is private, so its tid is all we can know.
clockid_t thread_cpu_clock(pid_t tid) {
  return static_cast<clockid_t>((~static_cast<unsigned>(tid) << 3) | 6u);
}

std::set<pid_t> task_ids() {
  std::set<pid_t> ids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    ids.insert(static_cast<pid_t>(std::stol(entry.path().filename().string())));
  }
  return ids;
}

// Softirq time of all CPUs (system-wide, USER_HZ ticks), from /proc/stat.
double system_softirq_seconds() {
  std::ifstream in("/proc/stat");
  std::string label;
  uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0;
  if (!(in >> label >> user >> nice >> system >> idle >> iowait >> irq >> softirq) || label != "cpu") {
    return 0;
  }
  return static_cast<double>(softirq) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// The handler of the runner's SignalWatcher (made first thing in main(),
// before any other thread): SIGINT, SIGTERM and SIGHUP become
// g_interrupted, so a ^C ends the current run early and the destructors
// still remove everything the bench made.
void on_signal(int sig) {
  if (!g_interrupted.exchange(true)) {
    fmt::print(stderr, "\n{}: stopping and cleaning up\n", ::strsignal(sig));
  }
}

struct CommandOutput {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

CommandOutput run_command(const std::string& command) {
  CommandOutput result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    result.output = std::strerror(errno);
    return result;
  }
  char buf[512];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) {
    result.output.append(buf, n);
  }
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  while (!result.output.empty() && (result.output.back() == '\n' || result.output.back() == ' ')) {
    result.output.pop_back();
  }
  return result;
}

Status run_checked(const std::string& command) {
  auto out = run_command(command);
  if (out.exit_code != 0) {
    return Error{fmt::format("`{}` failed (exit {}): {}", command, out.exit_code, out.output)};
  }
  return {};
}

// Removes namespaces (and the veth inside) that an earlier run of a bench
// left when it was killed: named with kPrefix and a pid that is gone. A
// live pid is never touched, whichever bench it is.
void remove_leftovers() {
  for (const auto& name : platform::list_named_netns()) {
    if (name.rfind(kPrefix, 0) != 0) {
      continue;
    }
    const auto rest = name.substr(std::strlen(kPrefix));
    const auto dash = rest.find('-');
    pid_t pid = 0;
    try {
      pid = static_cast<pid_t>(std::stol(rest.substr(0, dash)));
    } catch (const std::exception&) {
      continue;
    }
    if (pid <= 0 || pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) {
      continue;
    }
    (void)run_command(fmt::format("ip -n {} link del {}", name, name));
    if (auto st = platform::delete_named_netns(name); st) {
      fmt::print("removed leftover namespace {} (its bench, pid {}, is gone)\n", name, pid);
    } else {
      fmt::print(stderr, "warning: cannot remove leftover namespace {}: {}\n", name, st.error().message);
    }
  }
}

// Namespaces A (sender) and B (receiver) joined by one veth pair whose ends
// carry the namespaces' names; nothing is attached to the root namespace.
// The destructor removes all of it, on every path out of main.
class BenchNetwork {
 public:
  explicit BenchNetwork(pid_t pid)
      : ns_a_(fmt::format("{}{}-a", kPrefix, pid)),
        ns_b_(fmt::format("{}{}-b", kPrefix, pid)),
        addr_a_(fmt::format("10.254.{}.1", pid & 0xff)),
        addr_b_(fmt::format("10.254.{}.2", pid & 0xff)) {}
  BenchNetwork(const BenchNetwork&) = delete;
  BenchNetwork& operator=(const BenchNetwork&) = delete;
  ~BenchNetwork() { teardown(); }

  Status setup() {
    for (const auto& ns : {ns_a_, ns_b_}) {
      if (auto st = platform::create_named_netns(ns); !st) {
        return st;
      }
      created_.push_back(ns);
    }
    const std::vector<std::string> commands = {
        fmt::format("ip link add {} netns {} type veth peer name {} netns {}", ns_a_, ns_a_, ns_b_, ns_b_),
        fmt::format("ip -n {} addr add {}/30 dev {}", ns_a_, addr_a_, ns_a_),
        fmt::format("ip -n {} addr add {}/30 dev {}", ns_b_, addr_b_, ns_b_),
        fmt::format("ip -n {} link set lo up", ns_a_),
        fmt::format("ip -n {} link set lo up", ns_b_),
        fmt::format("ip -n {} link set {} up", ns_a_, ns_a_),
        fmt::format("ip -n {} link set {} up", ns_b_, ns_b_),
    };
    for (const auto& c : commands) {
      if (auto st = run_checked(c); !st) {
        return st;
      }
    }
    for (auto* slot : {&fd_a_, &fd_b_}) {
      auto fd = platform::open_named_netns(slot == &fd_a_ ? ns_a_ : ns_b_);
      if (!fd) {
        return fd.error();
      }
      *slot = std::move(*fd);
    }
    return {};
  }

  const std::string& ns_a() const { return ns_a_; }
  const std::string& ns_b() const { return ns_b_; }
  const std::string& veth_a() const { return ns_a_; }
  const std::string& addr_b() const { return addr_b_; }
  int fd_a() const { return fd_a_.get(); }
  int fd_b() const { return fd_b_.get(); }

 private:
  void teardown() {
    // Our descriptors would keep the namespaces alive; the veth is deleted
    // explicitly because a namespace's links outlive `ip netns del` a while.
    fd_a_.reset();
    fd_b_.reset();
    if (created_.empty()) {
      return;
    }
    (void)run_command(fmt::format("ip -n {} link del {}", ns_a_, ns_a_));
    for (const auto& ns : created_) {
      if (auto st = platform::delete_named_netns(ns); !st) {
        fmt::print(stderr, "warning: cannot delete namespace {}: {}\n", ns, st.error().message);
      }
    }
    created_.clear();
  }

  std::string ns_a_;
  std::string ns_b_;
  std::string addr_a_;
  std::string addr_b_;
  platform::UniqueFd fd_a_;
  platform::UniqueFd fd_b_;
  std::vector<std::string> created_;
};

enum class PathKind { kBaseline, kNfqueue, kNetem };

const char* path_name(PathKind kind) {
  switch (kind) {
    case PathKind::kBaseline:
      return "baseline";
    case PathKind::kNfqueue:
      return "nfqueue";
    case PathKind::kNetem:
      return "netem";
  }
  return "?";
}

// The delayer plus the iptables rule that feeds it, in namespace A. The
// rule goes first on detach, so no packet is queued once the delayer stops.
class NfqueuePath {
 public:
  explicit NfqueuePath(const BenchNetwork& net) : net_(net) {}
  NfqueuePath(const NfqueuePath&) = delete;
  NfqueuePath& operator=(const NfqueuePath&) = delete;
  ~NfqueuePath() { detach(); }

  Status attach(Duration delay) {
    const uint16_t queue = platform::next_queue_num();
    const auto before = task_ids();
    platform::DelayerConfig config;
    config.delay = delay;
    auto started = platform::run_in_netns(net_.fd_a(), [&]() -> Status {
      auto d = platform::NfqueueDelayer::start(queue, config);
      if (!d) {
        return d.error();
      }
      delayer_ = std::move(*d);
      return {};
    });
    if (!started) {
      return started;
    }
    // start() made exactly one thread: the one that is new now.
    for (pid_t tid : task_ids()) {
      if (before.count(tid) == 0) {
        delayer_tid_ = tid;
      }
    }
    rule_ = fmt::format("OUTPUT -p udp -d {} --dport {} -j NFQUEUE --queue-num {} --queue-bypass",
                        net_.addr_b(), kPort, queue);
    if (auto st = run_checked(fmt::format("ip netns exec {} iptables -w -A {}", net_.ns_a(), rule_)); !st) {
      rule_.clear();
      return st;
    }
    return {};
  }

  // CPU time of the delayer's thread so far, or -1 if it is not known.
  int64_t delayer_cpu_ns() const { return delayer_tid_ > 0 ? cpu_ns(thread_cpu_clock(delayer_tid_)) : -1; }
  platform::DelayerStats stats() const { return delayer_ ? delayer_->stats() : platform::DelayerStats{}; }

  void detach() {
    if (!rule_.empty()) {
      (void)run_command(fmt::format("ip netns exec {} iptables -w -D {}", net_.ns_a(), rule_));
      rule_.clear();
    }
    if (delayer_) {
      delayer_->stop();
      delayer_.reset();
    }
  }

 private:
  const BenchNetwork& net_;
  std::unique_ptr<platform::NfqueueDelayer> delayer_;
  pid_t delayer_tid_ = 0;
  std::string rule_;
};

// A netem qdisc on A's end of the veth (egress towards B).
class NetemPath {
 public:
  explicit NetemPath(const BenchNetwork& net) : net_(net) {}
  NetemPath(const NetemPath&) = delete;
  NetemPath& operator=(const NetemPath&) = delete;
  ~NetemPath() { detach(); }

  Status attach(Duration delay) {
    auto st = run_checked(fmt::format("ip netns exec {} tc qdisc add dev {} root netem delay {}us",
                                      net_.ns_a(), net_.veth_a(),
                                      std::chrono::duration_cast<std::chrono::microseconds>(delay).count()));
    attached_ = st.ok();
    return st;
  }

  void detach() {
    if (attached_) {
      (void)run_command(fmt::format("ip netns exec {} tc qdisc del dev {} root", net_.ns_a(), net_.veth_a()));
      attached_ = false;
    }
  }

 private:
  const BenchNetwork& net_;
  bool attached_ = false;
};

struct NetemAvailability {
  bool available = false;
  std::string reason;  // tc's own words when it is not
};

// Whether netem works here, found by trying it on our own veth.
NetemAvailability probe_netem(const BenchNetwork& net) {
  NetemPath netem(net);
  auto st = netem.attach(std::chrono::milliseconds(1));
  if (st) {
    return {true, ""};
  }
  return {false, st.error().message};
}

// What one packet carries.
struct Probe {
  uint32_t magic;
  uint32_t run_id;  // packets of an earlier run arriving late are not counted
  uint64_t seq;
  int64_t sent_ns;  // CLOCK_MONOTONIC just before send()
};
static_assert(sizeof(Probe) <= kPacketBytes);

struct ReceiverResult {
  std::vector<int64_t> one_way_ns;  // by seq; -1 where nothing arrived
  uint64_t received = 0;
  uint64_t duplicates = 0;
  uint64_t foreign = 0;  // other runs' or malformed packets
  int64_t thread_cpu_ns = 0;
};

void receive(int netns_fd, const std::string& addr, uint32_t run_id, size_t expected,
             std::promise<Status>& ready, const std::atomic<bool>& stop, ReceiverResult& out) {
  platform::NetnsGuard guard;
  if (auto st = guard.enter(netns_fd); !st) {
    ready.set_value(st);
    return;
  }
  platform::UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  const int rcvbuf = 16 << 20;
  const timeval timeout{0, 50'000};
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_port = htons(kPort);
  ::inet_pton(AF_INET, addr.c_str(), &local.sin_addr);
  if (!sock.valid() || ::setsockopt(sock.get(), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0 ||
      ::setsockopt(sock.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0 ||
      ::bind(sock.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    ready.set_value(Error{fmt::format("receiver socket on {}:{}: {}", addr, kPort, std::strerror(errno))});
    return;
  }
  out.one_way_ns.assign(expected, -1);
  const int64_t cpu_start = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
  ready.set_value(Status{});
  char buf[2048];
  while (!stop.load()) {
    const ssize_t n = ::recv(sock.get(), buf, sizeof buf, 0);
    const int64_t now = mono_ns();
    if (n < static_cast<ssize_t>(sizeof(Probe))) {
      continue;  // timeout (to look at `stop`), EINTR, or a runt
    }
    Probe p{};
    std::memcpy(&p, buf, sizeof p);
    if (p.magic != kProbeMagic || p.run_id != run_id || p.seq >= expected) {
      ++out.foreign;
      continue;
    }
    if (out.one_way_ns[p.seq] >= 0) {
      ++out.duplicates;
      continue;
    }
    out.one_way_ns[p.seq] = now - p.sent_ns;
    ++out.received;
  }
  out.thread_cpu_ns = cpu_ns(CLOCK_THREAD_CPUTIME_ID) - cpu_start;
}

struct SenderResult {
  uint64_t sent = 0;
  uint64_t errors = 0;
  int64_t max_behind_ns = 0;  // how far behind its schedule the sender fell
  int64_t thread_cpu_ns = 0;
  std::string error;
};

void send_paced(int netns_fd, const std::string& addr, uint32_t run_id, int rate, size_t count,
                SenderResult& out) {
  platform::NetnsGuard guard;
  if (auto st = guard.enter(netns_fd); !st) {
    out.error = st.error().message;
    return;
  }
  // Without this a sleep may overshoot by the default 50 us slack: half a
  // packet interval at 10k/s.
  ::prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  platform::UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  // Held packets stay charged to this socket until the delayer lets them
  // go; a small send buffer would make send() block and break the pacing.
  const int sndbuf = 16 << 20;
  sockaddr_in peer{};
  peer.sin_family = AF_INET;
  peer.sin_port = htons(kPort);
  ::inet_pton(AF_INET, addr.c_str(), &peer.sin_addr);
  if (!sock.valid() || ::setsockopt(sock.get(), SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) != 0 ||
      ::connect(sock.get(), reinterpret_cast<sockaddr*>(&peer), sizeof peer) != 0) {
    out.error = fmt::format("sender socket to {}:{}: {}", addr, kPort, std::strerror(errno));
    return;
  }
  const int64_t cpu_start = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
  char buf[kPacketBytes] = {};
  const int64_t start = mono_ns() + 1'000'000;
  for (size_t seq = 0; seq < count && !g_interrupted.load(); ++seq) {
    const int64_t due = start + static_cast<int64_t>(seq) * kNsPerSec / rate;
    const timespec at{static_cast<time_t>(due / kNsPerSec), static_cast<long>(due % kNsPerSec)};
    while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, nullptr) == EINTR) {
    }
    const Probe p{kProbeMagic, run_id, seq, mono_ns()};
    out.max_behind_ns = std::max(out.max_behind_ns, p.sent_ns - due);
    std::memcpy(buf, &p, sizeof p);
    if (::send(sock.get(), buf, sizeof buf, 0) == static_cast<ssize_t>(sizeof buf)) {
      ++out.sent;
    } else {
      ++out.errors;
    }
  }
  out.thread_cpu_ns = cpu_ns(CLOCK_THREAD_CPUTIME_ID) - cpu_start;
}

struct PhaseSpec {
  PathKind path = PathKind::kBaseline;
  int rate = 1000;
  Duration duration = std::chrono::seconds(5);
  Duration delay = std::chrono::milliseconds(10);
};

struct PhaseResult {
  PhaseSpec spec;
  uint64_t sent = 0;
  uint64_t send_errors = 0;
  uint64_t received = 0;
  uint64_t duplicates = 0;
  int64_t sender_max_behind_ns = 0;
  std::vector<int64_t> one_way_ns;  // of the packets that arrived, sorted
  double wall_s = 0;
  double process_cpu_s = 0;
  double delayer_cpu_s = -1;  // nfqueue only
  double sender_cpu_s = 0;
  double receiver_cpu_s = 0;
  double softirq_s = 0;  // whole machine
  platform::DelayerStats delayer_stats;
};

// Sleeps up to `d`, returning early on a signal.
void sleep_interruptible(Duration d) {
  const auto end = std::chrono::steady_clock::now() + d;
  while (!g_interrupted.load() && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(
        std::min<Duration>(std::chrono::milliseconds(20), end - std::chrono::steady_clock::now()));
  }
}

Result<PhaseResult> run_phase(const BenchNetwork& net, const PhaseSpec& spec) {
  static uint32_t next_run_id = 1;
  const uint32_t run_id = next_run_id++;
  const auto count = static_cast<size_t>(
      std::llround(static_cast<double>(spec.rate) * std::chrono::duration<double>(spec.duration).count()));

  NfqueuePath nfqueue(net);
  NetemPath netem(net);
  if (spec.path == PathKind::kNfqueue) {
    if (auto st = nfqueue.attach(spec.delay); !st) {
      return st.error();
    }
  } else if (spec.path == PathKind::kNetem) {
    if (auto st = netem.attach(spec.delay); !st) {
      return st.error();
    }
  }

  ReceiverResult rx;
  std::promise<Status> rx_ready;
  std::atomic<bool> rx_stop{false};
  std::thread receiver([&] { receive(net.fd_b(), net.addr_b(), run_id, count, rx_ready, rx_stop, rx); });
  if (auto st = rx_ready.get_future().get(); !st) {
    receiver.join();
    return st.error();
  }

  PhaseResult r;
  r.spec = spec;
  const int64_t wall0 = mono_ns();
  const int64_t cpu0 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
  const int64_t delayer0 = nfqueue.delayer_cpu_ns();
  const double softirq0 = system_softirq_seconds();

  SenderResult tx;
  std::thread sender([&] { send_paced(net.fd_a(), net.addr_b(), run_id, spec.rate, count, tx); });
  sender.join();
  // The last packets are still held for `delay`; wait for them (and a bit
  // for the receiver) inside the measured window, as for every path.
  sleep_interruptible(spec.delay + std::chrono::milliseconds(200));

  const int64_t wall1 = mono_ns();
  const int64_t cpu1 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
  const int64_t delayer1 = nfqueue.delayer_cpu_ns();
  const double softirq1 = system_softirq_seconds();
  r.delayer_stats = nfqueue.stats();
  rx_stop.store(true);
  receiver.join();
  nfqueue.detach();
  netem.detach();

  if (!tx.error.empty()) {
    return Error{tx.error};
  }
  r.sent = tx.sent;
  r.send_errors = tx.errors;
  r.sender_max_behind_ns = tx.max_behind_ns;
  r.received = rx.received;
  r.duplicates = rx.duplicates;
  r.wall_s = static_cast<double>(wall1 - wall0) / kNsPerSec;
  r.process_cpu_s = static_cast<double>(cpu1 - cpu0) / kNsPerSec;
  if (delayer0 >= 0 && delayer1 >= 0) {
    r.delayer_cpu_s = static_cast<double>(delayer1 - delayer0) / kNsPerSec;
  }
  r.sender_cpu_s = static_cast<double>(tx.thread_cpu_ns) / kNsPerSec;
  r.receiver_cpu_s = static_cast<double>(rx.thread_cpu_ns) / kNsPerSec;
  r.softirq_s = softirq1 - softirq0;
  r.one_way_ns.reserve(rx.received);
  for (int64_t v : rx.one_way_ns) {
    if (v >= 0) {
      r.one_way_ns.push_back(v);
    }
  }
  std::sort(r.one_way_ns.begin(), r.one_way_ns.end());
  return r;
}

// Nearest-rank percentile of sorted values, in ms.
double percentile_ms(const std::vector<int64_t>& sorted, double q) {
  if (sorted.empty()) {
    return NAN;
  }
  auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return static_cast<double>(sorted[rank - 1]) / 1e6;
}

double configured_delay_ms(const PhaseSpec& spec) {
  return spec.path == PathKind::kBaseline ? 0.0
                                          : std::chrono::duration<double, std::milli>(spec.delay).count();
}

// Share of packets whose one-way time is beyond `configured + 1 ms` (late),
// or below `configured` (early: the delay was not applied in full).
double share_percent(const PhaseResult& r, bool late) {
  if (r.one_way_ns.empty()) {
    return NAN;
  }
  const auto configured = static_cast<int64_t>(configured_delay_ms(r.spec) * 1e6);
  const auto n = std::count_if(r.one_way_ns.begin(), r.one_way_ns.end(),
                               [&](int64_t v) { return late ? v - configured > 1'000'000 : v < configured; });
  return 100.0 * static_cast<double>(n) / static_cast<double>(r.one_way_ns.size());
}

double cpu_percent(double cpu_s, double wall_s) {
  return wall_s > 0 ? 100.0 * cpu_s / wall_s : NAN;
}

void print_accuracy(const std::vector<PhaseResult>& results) {
  fmt::print(
      "\nAccuracy (one-way = receiver's CLOCK_MONOTONIC at recv() minus sender's just before send();\n"
      "excess = one-way minus the configured delay, 0 for the baseline; all in ms)\n");
  fmt::print("{:>8} {:<9} {:>7} {:>5} {:>6} | {:>8} {:>8} | {:>8} {:>8} {:>8} {:>8} | {:>9} {:>8} {:>8}\n",
             "rate/s", "path", "sent", "lost", "dup", "1way p50", "1way p99", "exc p50", "exc p99",
             "exc p99.9", "exc max", "late>1ms%", "early%", "exc-base");
  const PhaseResult* base = nullptr;
  for (const auto& r : results) {
    if (r.spec.path == PathKind::kBaseline) {
      base = &r;
    }
    const double cfg = configured_delay_ms(r.spec);
    const double exc50 = percentile_ms(r.one_way_ns, 0.5) - cfg;
    std::string vs_base = "-";
    if (base != nullptr && r.spec.path != PathKind::kBaseline && base->spec.rate == r.spec.rate) {
      vs_base = fmt::format("{:.3f}", exc50 - percentile_ms(base->one_way_ns, 0.5));
    }
    fmt::print(
        "{:>8} {:<9} {:>7} {:>5} {:>6} | {:>8.3f} {:>8.3f} | {:>8.3f} {:>8.3f} {:>9.3f} {:>8.3f} | {:>9.2f} "
        "{:>8.2f} {:>8}\n",
        r.spec.rate, path_name(r.spec.path), r.sent, r.sent - r.received, r.duplicates,
        percentile_ms(r.one_way_ns, 0.5), percentile_ms(r.one_way_ns, 0.99), exc50,
        percentile_ms(r.one_way_ns, 0.99) - cfg, percentile_ms(r.one_way_ns, 0.999) - cfg,
        percentile_ms(r.one_way_ns, 1.0) - cfg, share_percent(r, true), share_percent(r, false), vs_base);
  }
  fmt::print(
      "exc-base = excess p50 minus the baseline's one-way p50 at the same rate: the delay added\n"
      "beyond the configured one and beyond what the bare path already takes.\n");
}

void print_cpu(const std::vector<PhaseResult>& results) {
  fmt::print("\nCPU (% of one core over the run's wall time: sending plus the delay + 200 ms drain)\n");
  fmt::print("{:>8} {:<9} {:>6} | {:>8} {:>8} {:>8} {:>8} | {:>8} | {:>9} {:>12}\n", "rate/s", "path",
             "wall s", "process", "sender", "receiver", "delayer", "softirq*", "added", "added/1k pps");
  const PhaseResult* base = nullptr;
  for (const auto& r : results) {
    if (r.spec.path == PathKind::kBaseline) {
      base = &r;
    }
    const double proc = cpu_percent(r.process_cpu_s, r.wall_s);
    std::string added = "-";
    std::string per_k = "-";
    if (base != nullptr && r.spec.path != PathKind::kBaseline && base->spec.rate == r.spec.rate) {
      const double a = proc - cpu_percent(base->process_cpu_s, base->wall_s);
      added = fmt::format("{:.2f}", a);
      per_k = fmt::format("{:.2f}", a / (r.spec.rate / 1000.0));
    }
    const std::string delayer =
        r.delayer_cpu_s >= 0 ? fmt::format("{:.2f}", cpu_percent(r.delayer_cpu_s, r.wall_s)) : "-";
    fmt::print("{:>8} {:<9} {:>6.2f} | {:>8.2f} {:>8.2f} {:>8.2f} {:>8} | {:>8.2f} | {:>9} {:>12}\n",
               r.spec.rate, path_name(r.spec.path), r.wall_s, proc, cpu_percent(r.sender_cpu_s, r.wall_s),
               cpu_percent(r.receiver_cpu_s, r.wall_s), delayer, cpu_percent(r.softirq_s, r.wall_s), added,
               per_k);
  }
  fmt::print(
      "added = process CPU% minus the baseline's at the same rate; added/1k pps = added / (rate / 1000).\n"
      "* softirq: the whole machine's softirq time from /proc/stat (10 ms ticks), not included in\n"
      "  `process`; other activity on the machine shows up in it.\n");
}

void print_ratios(const std::vector<PhaseResult>& results) {
  fmt::print("\nRatios against the baseline run at the same rate\n");
  const PhaseResult* base = nullptr;
  for (const auto& r : results) {
    if (r.spec.path == PathKind::kBaseline) {
      base = &r;
      continue;
    }
    if (base == nullptr || base->spec.rate != r.spec.rate || base->process_cpu_s <= 0) {
      continue;
    }
    const double cpu_ratio =
        cpu_percent(r.process_cpu_s, r.wall_s) / cpu_percent(base->process_cpu_s, base->wall_s);
    const double cfg = configured_delay_ms(r.spec);
    fmt::print(
        "  {:>6}/s {:<8} process CPU x{:.2f} of baseline; excess p50 {:.3f} ms vs baseline one-way p50 "
        "{:.3f} ms; excess p99 {:.3f} ms vs baseline p99 {:.3f} ms",
        r.spec.rate, path_name(r.spec.path), cpu_ratio, percentile_ms(r.one_way_ns, 0.5) - cfg,
        percentile_ms(base->one_way_ns, 0.5), percentile_ms(r.one_way_ns, 0.99) - cfg,
        percentile_ms(base->one_way_ns, 0.99));
    if (r.spec.path == PathKind::kNfqueue) {
      fmt::print("; delayer saw {} packets, dropped {}", r.delayer_stats.packets, r.delayer_stats.dropped);
    }
    fmt::print("\n");
  }
}

struct Options {
  Duration duration = std::chrono::seconds(5);
  Duration delay = std::chrono::milliseconds(10);
  std::vector<int> rates = {1000, 10000};
};

int run(const Options& opt) {
  if (::geteuid() != 0) {
    fmt::print(stderr, "error: needs root (network namespaces, veth, iptables, NFQUEUE)\n");
    return 1;
  }
  remove_leftovers();
  BenchNetwork net(::getpid());
  if (auto st = net.setup(); !st) {
    fmt::print(stderr, "error: cannot build the bench network: {}\n", st.error().message);
    return 1;
  }
  const auto netem = probe_netem(net);
  fmt::print("nfqueue_delayer_bench: namespaces {} -> {} over a veth pair, UDP {} bytes to {}:{}\n",
             net.ns_a(), net.ns_b(), kPacketBytes, net.addr_b(), kPort);
  fmt::print("delay {}, no jitter; {} per run; rates:", format_duration(opt.delay),
             format_duration(opt.duration));
  for (int rate : opt.rates) {
    fmt::print(" {}/s", rate);
  }
  fmt::print("\nnetem: {}\n",
             netem.available ? "available, measured as a second peer" : "unavailable (" + netem.reason + ")");
  // Other load on the machine skews both accuracy and CPU; say how much there was.
  std::string loadavg;
  std::getline(std::ifstream("/proc/loadavg"), loadavg);
  fmt::print("machine: {} CPUs online, /proc/loadavg {}\n", ::sysconf(_SC_NPROCESSORS_ONLN), loadavg);

  // Warms up ARP and the code paths so the first measured packets do not
  // pay for them.
  if (auto warm = run_phase(net, {PathKind::kBaseline, 200, std::chrono::milliseconds(200), opt.delay});
      !warm) {
    fmt::print(stderr, "error: warm-up: {}\n", warm.error().message);
    return 1;
  }

  std::vector<PhaseResult> results;
  for (int rate : opt.rates) {
    std::vector<PathKind> paths = {PathKind::kBaseline, PathKind::kNfqueue};
    if (netem.available) {
      paths.push_back(PathKind::kNetem);
    }
    for (PathKind path : paths) {
      if (g_interrupted.load()) {
        return 130;
      }
      fmt::print("running {}/s {} ...\n", rate, path_name(path));
      std::fflush(stdout);
      auto r = run_phase(net, {path, rate, opt.duration, opt.delay});
      if (!r) {
        fmt::print(stderr, "error: {}/s {}: {}\n", rate, path_name(path), r.error().message);
        return 1;
      }
      if (r->send_errors > 0 || r->sender_max_behind_ns > 1'000'000) {
        fmt::print("  note: {} send errors; sender fell up to {:.3f} ms behind its schedule\n",
                   r->send_errors, static_cast<double>(r->sender_max_behind_ns) / 1e6);
      }
      results.push_back(std::move(*r));
    }
  }
  if (g_interrupted.load()) {
    return 130;
  }
  print_accuracy(results);
  print_cpu(results);
  print_ratios(results);
  return 0;
}

}  // namespace
}  // namespace faultline::bench

int main(int argc, char** argv) {
  using namespace faultline;
  runner::SignalWatcher signals(bench::on_signal);
  bench::Options opt;
  std::string duration = "5s";
  std::string delay = "10ms";
  CLI::App app{
      "Measures the NFQUEUE delayer's added CPU and delay accuracy against the bare path (and netem where\n"
      "the kernel has it). Needs root; builds two network namespaces of its own and removes them on exit."};
  app.add_option("--duration", duration, "how long each run sends, e.g. 5s")->capture_default_str();
  app.add_option("--delay", delay, "the delay the delayer (and netem) applies, e.g. 10ms")
      ->capture_default_str();
  app.add_option("--rates", opt.rates, "packets per second, comma-separated")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  const auto d = parse_duration(duration);
  const auto dl = parse_duration(delay);
  if (!d || d->count() <= 0) {
    fmt::print(stderr, "error: --duration: expected a duration such as 5s, got '{}'\n", duration);
    return 2;
  }
  if (!dl || dl->count() <= 0) {
    fmt::print(stderr, "error: --delay: expected a positive duration such as 10ms, got '{}'\n", delay);
    return 2;
  }
  opt.duration = *d;
  opt.delay = *dl;
  // A reader that goes away (`| head`) must not kill the bench before its
  // destructors remove the namespaces: the failed write throws instead.
  ::signal(SIGPIPE, SIG_IGN);
  try {
    return bench::run(opt);
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
}
