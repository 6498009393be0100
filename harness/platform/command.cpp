#include "harness/platform/command.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "harness/platform/process.h"
#include "harness/platform/unique_fd.h"

extern char** environ;

namespace faultline::platform {
namespace {

using Clock = std::chrono::steady_clock;

// A runaway tool cannot fill our memory; iptables listings are far smaller.
constexpr size_t kMaxOutput = 4 * 1024 * 1024;
// Linux's default pipe buffer.
constexpr size_t kMaxInput = 64 * 1024;

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

// Reads both pipes until the child closes them or the deadline passes.
bool drain(int out_fd, int err_fd, Clock::time_point deadline, std::string& out, std::string& err) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {&out, &err};
  int open = 2;
  char buf[8192];
  while (open > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      return false;
    }
    const int r = ::poll(fds, 2, static_cast<int>(left));
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r < 0) {
      return false;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) {
        continue;
      }
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        fds[i].fd = -1;  // poll ignores negative descriptors
        --open;
      } else if (sinks[i]->size() < kMaxOutput) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      }
    }
  }
  return true;
}

// The tools run at a lower CPU priority than faultline itself: on a busy or
// single-CPU machine a tool at the same priority holds the CPU past the
// load generator's send times, and late sends make a run not_proven. In
// user-mode Linux (one CPU), iptables run in a loop during a 200/s load
// left 171 of 1800 requests over 10 ms late at nice 0 and 3 at nice 10.
// Niceness is per thread on Linux and a child inherits its parent thread's,
// so the calling thread drops to it just for the spawn. Raising it back
// needs CAP_SYS_NICE: without it, the tool runs at the caller's priority.
constexpr int kToolNiceness = 10;

class NicerWhileSpawning {
 public:
  NicerWhileSpawning() {
    if (::geteuid() != 0) {
      return;
    }
    errno = 0;
    const int now = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
    if (errno != 0 || now >= kToolNiceness) {
      return;
    }
    if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kToolNiceness) == 0) {
      restore_ = now;
    }
  }
  ~NicerWhileSpawning() {
    if (restore_) {
      ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), *restore_);
    }
  }
  NicerWhileSpawning(const NicerWhileSpawning&) = delete;
  NicerWhileSpawning& operator=(const NicerWhileSpawning&) = delete;

 private:
  std::optional<int> restore_;
};

}  // namespace

bool CommandOutput::succeeded() const {
  return wait_status >= 0 && WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
}

std::string describe_failure(const std::vector<std::string>& argv, const CommandOutput& out) {
  std::string said = trimmed(out.err.empty() ? out.out : out.err);
  return fmt::format("'{}' {}{}{}", fmt::join(argv, " "), describe_exit(out.wait_status),
                     said.empty() ? "" : ": ", said);
}

Result<CommandOutput> run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                                  std::string_view input) {
  if (argv.empty()) {
    return Error{"run_command: no command"};
  }
  if (input.size() > kMaxInput) {
    return Error{fmt::format("run_command: {} bytes of input for {}, more than the {} a pipe holds",
                             input.size(), argv[0], kMaxInput)};
  }
  const auto exe = find_executable(argv[0]);
  if (!exe) {
    return Error{fmt::format("{} is not installed (not in PATH nor the sbin directories)", argv[0])};
  }
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    return Error{fmt::format("pipe: {}", std::strerror(errno))};
  }
  UniqueFd out_read(out_pipe[0]);
  UniqueFd out_write(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    return Error{fmt::format("pipe: {}", std::strerror(errno))};
  }
  UniqueFd err_read(err_pipe[0]);
  UniqueFd err_write(err_pipe[1]);
  // The input is written whole before the child runs: it fits the pipe's
  // buffer, so neither side waits for the other.
  UniqueFd in_read;
  if (!input.empty()) {
    int in_pipe[2];
    if (::pipe2(in_pipe, O_CLOEXEC) != 0) {
      return Error{fmt::format("pipe: {}", std::strerror(errno))};
    }
    in_read = UniqueFd(in_pipe[0]);
    UniqueFd in_write(in_pipe[1]);
    size_t done = 0;
    while (done < input.size()) {
      const ssize_t n = ::write(in_write.get(), input.data() + done, input.size() - done);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        return Error{fmt::format("writing the input of {}: {}", argv[0], std::strerror(errno))};
      }
      done += static_cast<size_t>(n);
    }
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (in_read.valid()) {
    posix_spawn_file_actions_adddup2(&actions, in_read.get(), STDIN_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), STDERR_FILENO);
  // The runner blocks its stop signals in every thread; a tool must not
  // inherit that (nor an ignored SIGPIPE).
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = 0;
  {
    NicerWhileSpawning nicer;
    rc = ::posix_spawn(&pid, exe->c_str(), &actions, &attr, args.data(), environ);
  }
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  out_write.reset();
  err_write.reset();
  in_read.reset();
  if (rc != 0) {
    return Error{fmt::format("cannot start {}: {}", *exe, std::strerror(rc))};
  }
  CommandOutput result;
  const bool finished = drain(out_read.get(), err_read.get(), Clock::now() + timeout, result.out, result.err);
  if (!finished) {
    ::kill(pid, SIGKILL);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!finished) {
    return Error{fmt::format("'{}' did not finish within {} ms", fmt::join(argv, " "), timeout.count())};
  }
  result.wait_status = status;
  return result;
}

std::string first_output_line(const std::vector<std::string>& argv) {
  auto out = run_command(argv, std::chrono::seconds(5));
  if (!out) {
    return {};
  }
  return first_line_of(out->out, out->err);
}

std::string first_line_of(const std::string& out, const std::string& err) {
  const std::string& text = out.empty() ? err : out;
  std::string line = text.substr(0, text.find('\n'));
  while (!line.empty() && line.back() == '\r') {
    line.pop_back();
  }
  return line;
}

Status run_checked(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                   std::string_view input) {
  auto out = run_command(argv, timeout, input);
  if (!out) {
    return out.error();
  }
  if (!out->succeeded()) {
    return Error{describe_failure(argv, *out)};
  }
  return {};
}

}  // namespace faultline::platform
