#include "harness/platform/process.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/close_range.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/process.hpp>
#include <boost/process/extend.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "harness/common/text.h"
#include "harness/platform/unique_fd.h"

namespace faultline::platform {
namespace {

namespace bp = boost::process;
using namespace std::chrono_literals;

// Writes "faultline: <what> failed (errno N)" to stderr without allocating:
// it runs between fork and exec, where only async-signal-safe calls are safe.
void child_fail(const char* what) {
  const int err = errno;
  char digits[16];
  int n = 0;
  int v = err;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v > 0 && n < 15);
  char msg[160];
  size_t len = 0;
  auto put = [&](const char* s) {
    while (*s != '\0' && len < sizeof msg - 1) {
      msg[len++] = *s++;
    }
  };
  put("faultline: ");
  put(what);
  put(" failed in the child (errno ");
  while (n > 0 && len < sizeof msg - 1) {
    msg[len++] = digits[--n];
  }
  put(")\n");
  [[maybe_unused]] auto w = ::write(STDERR_FILENO, msg, len);
  ::_exit(127);
}

// The parent's pid as the host sees it, from /proc/self/status, without
// allocating (between fork and exec). getppid() cannot tell: for process 1
// of a new PID namespace it is always 0. /proc is the host's mount, so
// both "self" and PPid are host pids. -1 when it cannot be read.
pid_t host_parent_pid() {
  const int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return -1;
  }
  char buf[4096];
  size_t len = 0;
  ssize_t n = 0;
  while (len < sizeof buf - 1 && (n = ::read(fd, buf + len, sizeof buf - 1 - len)) > 0) {
    len += static_cast<size_t>(n);
  }
  ::close(fd);
  buf[len] = '\0';
  const char* line = std::strstr(buf, "\nPPid:");
  if (line == nullptr) {
    return -1;
  }
  line += 6;
  while (*line == ' ' || *line == '\t') {
    ++line;
  }
  long pid = 0;
  bool any = false;
  for (; *line >= '0' && *line <= '9'; ++line) {
    pid = pid * 10 + (*line - '0');
    any = true;
  }
  return any ? static_cast<pid_t>(pid) : -1;
}

// Runs in the child after fork, after the stdout/stderr redirections.
struct ChildSetup : bp::extend::handler {
  int netns_fd = -1;
  pid_t parent = -1;
  bool pid_namespace_init = false;   // process 1 of its own PID namespace
  const char* hosts_file = nullptr;  // bind-mounted on /etc/hosts when set
  const char* workdir = nullptr;     // chdir here when set

  template <typename Executor>
  void on_exec_setup(Executor& /*exec*/) const {
    if (netns_fd >= 0 && ::setns(netns_fd, CLONE_NEWNET) != 0) {
      child_fail("setns(CLONE_NEWNET)");
    }
    if (hosts_file != nullptr) {
      // A mount namespace of the child's own; "/" made a slave first, so
      // the bind mount below cannot propagate back to the host (systemd
      // makes "/" shared), while the host's later mounts still show.
      if (::unshare(CLONE_NEWNS) != 0) {
        child_fail("unshare(CLONE_NEWNS)");
      }
      if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) {
        child_fail("mount(/, MS_SLAVE)");
      }
      if (::mount(hosts_file, "/etc/hosts", nullptr, MS_BIND, nullptr) != 0) {
        child_fail("bind mount of the stack's hosts file on /etc/hosts");
      }
    }
    if (workdir != nullptr && ::chdir(workdir) != 0) {
      child_fail("chdir to the service's workdir");
    }
    if (::setpgid(0, 0) != 0) {
      child_fail("setpgid");
    }
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
      child_fail("prctl(PR_SET_PDEATHSIG)");
    }
    // The parent may have died before prctl took effect: then the child
    // was handed to a reaper, and must not run on unwatched.
    if ((pid_namespace_init ? host_parent_pid() : ::getppid()) != parent) {
      ::_exit(127);
    }
    // A blocked mask and ignored signals survive exec: servers must start
    // with the defaults whatever faultline blocks (the runner blocks its
    // stop signals to wait for them in one thread), or SIGTERM at teardown
    // and SIGHUP for a reload could go unheard.
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig != SIGKILL && sig != SIGSTOP) {
        ::signal(sig, SIG_DFL);
      }
    }
    // Servers must not inherit faultline's descriptors (sockets of the load
    // generator, pipes of a test): a held pipe or socket outlives the run.
    // Marked close-on-exec rather than closed, so Boost's error pipe still
    // works if exec fails.
    if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
      const long max_fd = ::sysconf(_SC_OPEN_MAX);
      for (int fd = 3; fd < max_fd; ++fd) {
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
      }
    }
  }
};

// glibc 2.36 has no wrappers for these (pidfd_open: Linux 5.3,
// pidfd_send_signal: 5.1); the numbers are the same on every architecture
// but alpha.
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

int pidfd_open(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

int pidfd_send_signal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

// A child of ours that has not been reaped (running, stopped or a zombie).
bool unreaped_child(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev != nullptr ? fmt::format("SIG{}", abbrev) : fmt::format("signal {}", sig);
}

// The one place faultline signals a server or its process group. `pidfd`
// (-1 when there is none) pins the process; without one, `pid` must be a
// child of ours not yet reaped. Either way the pid cannot have been given
// to another process, so neither can the group id, which is the same number.
Status send_signal(pid_t pid, int pidfd, int sig, SignalScope scope) {
  const bool ours = pidfd >= 0 ? pidfd_send_signal(pidfd, 0) == 0 : unreaped_child(pid);
  if (!ours) {
    return Error{fmt::format(
        "process {} has exited and was reaped, so its pid may belong to another process now: {} not sent",
        pid, signal_name(sig))};
  }
  int rc = 0;
  if (scope == SignalScope::group) {
    rc = ::kill(-pid, sig);
  } else {
    rc = pidfd >= 0 ? pidfd_send_signal(pidfd, sig) : ::kill(pid, sig);
  }
  if (rc != 0) {
    return Error{fmt::format("cannot send {} to {} {}: {}", signal_name(sig),
                             scope == SignalScope::group ? "process group" : "process", pid,
                             std::strerror(errno))};
  }
  return {};
}

int reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return -1;
    }
  }
  return status;
}

// Makes this thread's next children process 1 of a new PID namespace,
// until leave() or the end of the scope puts them back in ours.
class NewPidNamespaceForNextChild {
 public:
  NewPidNamespaceForNextChild() = default;
  NewPidNamespaceForNextChild(const NewPidNamespaceForNextChild&) = delete;
  NewPidNamespaceForNextChild& operator=(const NewPidNamespaceForNextChild&) = delete;
  ~NewPidNamespaceForNextChild() {
    if (auto st = leave(); !st) {
      // Only reached when the fork threw; later children would be born
      // in a namespace that dies with its first process.
      std::fprintf(stderr, "faultline: %s\n", st.error().message.c_str());
      std::abort();
    }
  }

  Status enter() {
    saved_.reset(::open("/proc/thread-self/ns/pid_for_children", O_RDONLY | O_CLOEXEC));
    if (!saved_.valid()) {
      return Error{fmt::format("open pid_for_children: {}", std::strerror(errno))};
    }
    if (::unshare(CLONE_NEWPID) != 0) {
      const int err = errno;
      saved_.reset();
      return Error{fmt::format("unshare(CLONE_NEWPID): {}", std::strerror(err))};
    }
    return {};
  }

  Status leave() {
    if (!saved_.valid()) {
      return {};
    }
    const bool restored = ::setns(saved_.get(), CLONE_NEWPID) == 0;
    const int err = errno;
    saved_.reset();
    if (!restored) {
      return Error{fmt::format("setns back to our PID namespace: {}", std::strerror(err))};
    }
    return {};
  }

 private:
  UniqueFd saved_;
};

}  // namespace

ServerProcess::ServerProcess(pid_t pid) : pid_(pid), pidfd_(pidfd_open(pid)) {}

bool ServerProcess::alive() const {
  return pidfd_.valid() ? pidfd_send_signal(pidfd_.get(), 0) == 0 : unreaped_child(pid_);
}

Status ServerProcess::signal(int sig, SignalScope scope) const {
  return send_signal(pid_, pidfd_.get(), sig, scope);
}

Result<std::shared_ptr<const ServerProcess>> start_process(const ProcessSpec& spec) {
  ChildSetup setup;
  setup.netns_fd = spec.netns_fd;
  setup.parent = ::getpid();
  setup.hosts_file = spec.hosts_file.empty() ? nullptr : spec.hosts_file.c_str();
  setup.workdir = spec.workdir.empty() ? nullptr : spec.workdir.c_str();
  // Built here, not in the child: setenv allocates, which is not safe
  // between fork and exec in a program with threads.
  bp::environment child_env = boost::this_process::environment();
  for (const auto& [name, value] : spec.env) {
    child_env[name] = value;
  }
  // unshare(CLONE_NEWPID) only changes where this thread's next child is
  // born; the guard puts this thread's later children back in our own
  // namespace right after the fork, and on every way out of here.
  NewPidNamespaceForNextChild own_pidns;
  if (spec.own_pid_namespace) {
    if (auto st = own_pidns.enter(); !st) {
      return Error{fmt::format("cannot start {}: {}", spec.executable, st.error().message)};
    }
    setup.pid_namespace_init = true;
  }
  // Opened for appending: a server's reload starts a process that writes
  // to the same files while the old one may still be writing, and every
  // line of both belongs in the one log the run keeps.
  const auto append = [](const std::string& path) {
    return std::unique_ptr<FILE, int (*)(FILE*)>(std::fopen(path.c_str(), "ae"), &std::fclose);
  };
  const auto out = append(spec.stdout_path);
  const auto err = append(spec.stderr_path);
  if (!out || !err) {
    return Error{fmt::format("cannot start {}: cannot open {} for its output: {}", spec.executable,
                             out ? spec.stderr_path : spec.stdout_path, std::strerror(errno))};
  }
  std::error_code ec;
  bp::child child(bp::exe = spec.executable, bp::args = spec.args,
                  bp::std_in<bp::null, bp::std_out> out.get(), bp::std_err > err.get(), child_env, setup, ec);
  if (auto st = own_pidns.leave(); !st) {
    // Every later child would be born in the namespace just made, which
    // dies with this one: better to stop here than start them wrong.
    if (!ec) {
      send_signal(child.id(), -1, SIGKILL, SignalScope::process);
      child.wait();
    }
    return Error{fmt::format("cannot start {}: {}", spec.executable, st.error().message)};
  }
  if (ec) {
    return Error{fmt::format("cannot start {}: {}", spec.executable, ec.message())};
  }
  // Held before anything can reap the child, so the pidfd is this child's.
  auto process = std::make_shared<const ServerProcess>(child.id());
  // From here the pid is ours to watch and reap (check_alive, teardown);
  // a detached bp::child neither waits nor kills in its destructor.
  child.detach();
  return process;
}

std::optional<std::string> find_executable(const std::string& name) {
  // A path (absolute or relative) is taken as it is, as a shell would.
  if (name.find('/') != std::string::npos) {
    return ::access(name.c_str(), X_OK) == 0 ? std::optional<std::string>(name) : std::nullopt;
  }
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::stringstream ss(path);
    std::string d;
    while (std::getline(ss, d, ':')) {
      if (!d.empty()) {
        dirs.push_back(d);
      }
    }
  }
  for (const char* d : {"/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/local/bin", "/usr/bin"}) {
    dirs.emplace_back(d);
  }
  for (const auto& d : dirs) {
    const std::string candidate = d + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return std::nullopt;
}

bool has_exited(pid_t pid) {
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return errno == ECHILD;
  }
  return info.si_pid == pid;
}

std::optional<int> reap_if_exited(pid_t pid) {
  if (!has_exited(pid)) {
    return std::nullopt;
  }
  send_signal(pid, -1, SIGKILL, SignalScope::group);
  return reap(pid);
}

int stop_process_group(pid_t pid, std::chrono::milliseconds grace) {
  send_signal(pid, -1, SIGTERM, SignalScope::group);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (!has_exited(pid) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(2ms);
  }
  // Also after a clean exit: a worker the master did not take with it must
  // not outlive the stack.
  send_signal(pid, -1, SIGKILL, SignalScope::group);
  return reap(pid);
}

std::string describe_exit(int wait_status) {
  if (wait_status < 0) {
    return "exited (status unknown)";
  }
  if (WIFEXITED(wait_status)) {
    return fmt::format("exited with status {}", WEXITSTATUS(wait_status));
  }
  if (WIFSIGNALED(wait_status)) {
    const int sig = WTERMSIG(wait_status);
    return fmt::format("was killed by signal {} ({})", sig, strsignal(sig));
  }
  return fmt::format("stopped (wait status {})", wait_status);
}

std::vector<std::pair<pid_t, size_t>> pids_in_netns(const std::vector<NetnsId>& ids) {
  std::vector<std::pair<pid_t, size_t>> out;
  if (ids.empty()) {
    return out;
  }
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) {
    return out;
  }
  while (dirent* e = ::readdir(dir)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || end == e->d_name || *end != '\0') {
      continue;
    }
    struct stat st {};
    const std::string ns = fmt::format("/proc/{}/ns/net", pid);
    if (::stat(ns.c_str(), &st) != 0) {
      continue;
    }
    for (size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] == NetnsId{st.st_dev, st.st_ino}) {
        out.emplace_back(static_cast<pid_t>(pid), i);
        break;
      }
    }
  }
  ::closedir(dir);
  return out;
}

Status kill_in_netns(pid_t pid, const NetnsId& id) {
  const UniqueFd pidfd(pidfd_open(pid));
  if (!pidfd.valid()) {
    return Error{fmt::format("process {}: {}", pid, std::strerror(errno))};
  }
  auto ns = netns_id_of_path(fmt::format("/proc/{}/ns/net", pid));
  // Alive after the look: then /proc/<pid> was the pinned process all along.
  if (!ns || !(*ns == id) || pidfd_send_signal(pidfd.get(), 0) != 0) {
    return Error{fmt::format("process {} is no longer in the namespace, not killed", pid)};
  }
  if (pidfd_send_signal(pidfd.get(), SIGKILL) != 0) {
    return Error{fmt::format("cannot kill process {}: {}", pid, std::strerror(errno))};
  }
  return {};
}

std::string process_name(pid_t pid) {
  std::string comm = read_text(fmt::format("/proc/{}/comm", pid));
  while (!comm.empty() && comm.back() == '\n') {
    comm.pop_back();
  }
  return comm;
}

std::string process_cmdline(pid_t pid) {
  std::string cmd = read_text(fmt::format("/proc/{}/cmdline", pid));
  while (!cmd.empty() && cmd.back() == '\0') {
    cmd.pop_back();
  }
  for (auto& c : cmd) {
    if (c == '\0') {
      c = ' ';
    }
  }
  return cmd;
}

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  const std::string stat = read_text(fmt::format("/proc/{}/stat", pid));
  // comm (field 2) may hold spaces and parentheses: count from the last ')'.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) {
    return std::nullopt;
  }
  std::stringstream ss(stat.substr(close + 1));
  std::string field;
  ProcStat out;
  // Field 3 (the state) is the first after ')'; the start time is field 22.
  for (int i = 3; i <= 22; ++i) {
    if (!(ss >> field)) {
      return std::nullopt;
    }
    if (i == 3) {
      out.state = field.empty() ? '?' : field[0];
    }
  }
  try {
    out.start_time = std::stoull(field);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return out;
}

std::string tail_lines(const std::string& path, size_t n) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    return {};
  }
  const std::streamoff size = in.tellg();
  const std::streamoff from = size > 8192 ? size - 8192 : 0;
  in.seekg(from);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  size_t pos = text.size();
  for (size_t lines = 0; lines < n && pos != std::string::npos && pos > 0;) {
    pos = text.rfind('\n', pos - 1);
    if (pos != std::string::npos) {
      ++lines;
    }
  }
  if (pos == std::string::npos || pos == 0) {
    return text;
  }
  return text.substr(pos + 1);
}

}  // namespace faultline::platform
