#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/common/result.h"
#include "harness/platform/netns.h"
#include "harness/platform/unique_fd.h"

// Server processes as children of faultline: started inside a namespace,
// watched, stopped, reaped; and the /proc lookups cleanup needs.
namespace faultline::platform {

struct ProcessSpec {
  std::string executable;  // absolute path
  std::vector<std::string> args;
  int netns_fd = -1;  // the child enters this network namespace; -1 keeps ours
  std::string stdout_path;
  std::string stderr_path;
  // The child is process 1 of a PID namespace of its own, so its own
  // children (nginx's workers) die with it: the kernel kills every process
  // of a PID namespace when its first one exits. Without it they would
  // outlive a SIGKILLed faultline, orphaned. Only for servers that never
  // tell another process their pid (HAProxy's -sf reload does).
  bool own_pid_namespace = false;
  // When set, the child gets a mount namespace of its own in which this
  // file is /etc/hosts: the stack's service names resolve inside it as
  // they do in a Compose network, and the host's /etc/hosts is untouched.
  std::string hosts_file;
  // The child starts in this folder (empty: ours) with these variables
  // added to our environment (the team's `workdir:` and `env:`).
  std::string workdir;
  std::vector<std::pair<std::string, std::string>> env;
};

enum class SignalScope {
  process,  // the server alone
  group,    // the process group it leads: master and workers
};

// A server faultline started, held by a pidfd (pidfd_open, Linux >= 5.3)
// taken right after the fork, before anything could have reaped it. Once a
// server has exited and been reaped, its pid (and the process group id,
// the same number) may be given to any other process; the pidfd still
// names the old process, which is gone. So every signal faultline sends to
// a server goes through signal() here, which sends nothing to a server
// that was reaped and says so.
class ServerProcess {
 public:
  // Takes hold of `pid`, a child of this process not yet reaped. Without
  // pidfd support (kernel < 5.3) it holds only the pid and signal() checks
  // that the pid is still an unreaped child of ours.
  explicit ServerProcess(pid_t pid);

  pid_t pid() const { return pid_; }
  // Still the run's: running, stopped, or exited but not yet reaped.
  bool alive() const;
  // `sig` to the server or to its process group, only while alive(); an
  // error naming the pid and the signal otherwise. The group is safe to
  // signal while the server is unreaped: its pid, and so the group id, is
  // then still taken. Call it from the thread that reaps the server (the
  // stack is driven from one thread), so it cannot be reaped in between.
  Status signal(int sig, SignalScope scope) const;

 private:
  pid_t pid_;
  UniqueFd pidfd_;
};

// Starts a child (Boost.Process). The child leads its own process group, so
// a terminal's Ctrl-C reaches faultline rather than the servers and the
// whole group (nginx workers included) can be signalled at once; and it gets
// SIGKILL when the thread that started it exits, so a killed faultline
// leaves no server running. Start servers from a thread that lives as long
// as the stack (the main thread).
Result<std::shared_ptr<const ServerProcess>> start_process(const ProcessSpec& spec);

// Looks in PATH and then in the sbin directories, where nginx and haproxy
// live but which a non-login root shell may not have in PATH. A name with a
// slash is a path, taken as it is when it is executable.
std::optional<std::string> find_executable(const std::string& name);

// Whether the child has exited, without reaping it (a zombie keeps its pid,
// and so its process group id, from being reused).
bool has_exited(pid_t pid);

// If the child has exited: kills what is left of its process group, reaps
// it and returns its wait status. nullopt while it runs.
std::optional<int> reap_if_exited(pid_t pid);

// SIGTERM to the child's process group, up to `grace` for it to exit, then
// SIGKILL to the group; the child is reaped. Returns its wait status.
int stop_process_group(pid_t pid, std::chrono::milliseconds grace);

// "exited with status 1", "was killed by signal 9 (Killed)".
std::string describe_exit(int wait_status);

// Every process whose network namespace is one of `ids`, with the index of
// the matching id.
std::vector<std::pair<pid_t, size_t>> pids_in_netns(const std::vector<NetnsId>& ids);

// SIGKILL to `pid`, a process found in a run's namespace that is not our
// child (a worker whose master died, a stray), only if it is still in
// namespace `id`: a pidfd pins the process before its namespace is checked,
// so a pid reused since pids_in_netns looked is left alone.
Status kill_in_netns(pid_t pid, const NetnsId& id);

std::string process_name(pid_t pid);     // /proc/<pid>/comm, empty when gone
std::string process_cmdline(pid_t pid);  // arguments joined by spaces
// From /proc/<pid>/stat: the state letter ('Z' for a zombie) and the start
// time in clock ticks since boot, which with the pid identifies a process
// even after the pid is reused.
struct ProcStat {
  char state = '?';
  unsigned long long start_time = 0;
};
std::optional<ProcStat> read_proc_stat(pid_t pid);

// The last `n` lines of a text file (empty when it cannot be read).
std::string tail_lines(const std::string& path, size_t n);

}  // namespace faultline::platform
