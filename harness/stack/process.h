#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/result.h"
#include "harness/stack/netns.h"

// Server processes as children of faultline: started inside a namespace,
// watched, stopped, reaped; and the /proc lookups cleanup needs.
namespace faultline::stack {

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
};

// Starts a child (Boost.Process). The child leads its own process group, so
// a terminal's Ctrl-C reaches faultline rather than the servers and the
// whole group (nginx workers included) can be signalled at once; and it gets
// SIGKILL when the thread that started it exits, so a killed faultline
// leaves no server running. Start servers from a thread that lives as long
// as the stack (the main thread).
Result<pid_t> start_process(const ProcessSpec& spec);

// Looks in PATH and then in the sbin directories, where nginx and haproxy
// live but which a non-login root shell may not have in PATH.
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

}  // namespace faultline::stack
