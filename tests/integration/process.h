#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

// Helpers for integration tests that drive the real faultline binary.
namespace faultline::testing {

// Starts `argv` with stdout+stderr to `log_path` (stderr to `err_path`
// instead when given), PATH replaced by `path_env` when given; returns the
// child pid.
inline pid_t spawn(const std::vector<std::string>& argv, const std::string& log_path,
                   const std::string& err_path = "", const std::string& path_env = "") {
  const pid_t pid = fork();
  if (pid == 0) {
    if (!path_env.empty()) {
      setenv("PATH", path_env.c_str(), 1);
    }
    std::FILE* log = std::fopen(log_path.c_str(), "w");
    std::FILE* err = err_path.empty() ? log : std::fopen(err_path.c_str(), "w");
    if (log != nullptr && err != nullptr) {
      dup2(fileno(log), 1);
      dup2(fileno(err), 2);
    }
    std::vector<char*> args;
    for (const auto& a : argv) {
      args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

// Waits for `pid` at most `limit`; kills it with SIGKILL past that (the test
// then fails on the exit code). Returns the exit code, or 128+signal.
inline int wait_for(pid_t pid, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

inline int run(const std::vector<std::string>& argv, const std::string& log_path,
               std::chrono::seconds limit = std::chrono::seconds(120)) {
  return wait_for(spawn(argv, log_path), limit);
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The output of a shell command (for inspecting the machine: ip, pgrep).
inline std::string shell(const std::string& command) {
  std::string out;
  if (std::FILE* p = popen(command.c_str(), "r")) {
    char buf[512];
    while (std::fgets(buf, sizeof buf, p) != nullptr) {
      out += buf;
    }
    pclose(p);
  }
  return out;
}

// The control groups of a run, in every hierarchy, one folder a line.
inline std::string run_cgroups(const std::string& run_id) {
  return shell("find /sys/fs/cgroup -maxdepth 6 -type d -name 'faultline-" + run_id + "-*' 2>/dev/null");
}

// Everything of a run still present on the machine, in one place so that
// every test checks all of it: namespaces, links (and with them their
// qdiscs), processes whose command line mentions the run, its registry
// folder, iptables rules and nft tables carrying its id in the root
// namespace (NFQUEUE rules and queues inside the run's namespaces go with
// them; the delayer is a thread of faultline), and its control groups in
// every hierarchy.
inline std::string leftovers(const std::string& run_id) {
  std::string left;
  left += shell("ip netns list 2>/dev/null | grep -- '-" + run_id + "-' || true");
  left += shell("ip -o link 2>/dev/null | grep -- '" + run_id + "' || true");
  left += shell("pgrep -af -- '/run/faultline/" + run_id + "' | grep -v pgrep || true");
  left += shell("ls -d /run/faultline/" + run_id + " 2>/dev/null || true");
  left += shell("iptables-save 2>/dev/null | grep -- 'faultline:" + run_id + "' || true");
  left += shell("iptables-legacy-save 2>/dev/null | grep -- 'faultline:" + run_id + "' || true");
  left += shell("nft list tables 2>/dev/null | grep -- 'faultline_" + run_id + "' || true");
  left += run_cgroups(run_id);
  return left;
}

// The run id from the progress lines ("run 1a2b3c: ..."); empty if not yet.
inline std::string run_id_from_log(const std::string& log_path) {
  std::smatch m;
  const std::string log = read_file(log_path);
  return std::regex_search(log, m, std::regex("run ([0-9a-f]{6}):")) ? m[1].str() : std::string();
}

// Waits until `text` shows in the file at `path` (a run's log), at most
// `limit`; true when it did.
inline bool wait_for_text(const std::string& path, const std::string& text, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (read_file(path).find(text) != std::string::npos) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// Waits until a run's fault is in force: its log says "injected", and then
// `into` more, so that a check lands inside the fault (3 s long in these
// experiments) rather than at its edge. A fixed sleep from the run's start
// would race the bring-up, which is slower in the user-mode Linux guest.
inline bool wait_for_fault_in_force(const std::string& log_path,
                                    std::chrono::milliseconds into = std::chrono::milliseconds(1500)) {
  const bool injected = wait_for_text(log_path, "injected ", std::chrono::seconds(30));
  std::this_thread::sleep_for(into);
  return injected;
}

inline bool is_root() {
  return geteuid() == 0;
}

// Whether the test runs in the user-mode Linux guest of scripts/uml-test.sh
// (its init sets FAULTLINE_TEST_GUEST=uml). UML runs every system call
// through ptrace on one virtual CPU: faults start and end later there, and
// tests that time them state the guest's own margin beside the host's.
inline bool in_uml_guest() {
  const char* guest = std::getenv("FAULTLINE_TEST_GUEST");
  return guest != nullptr && std::string(guest) == "uml";
}

}  // namespace faultline::testing
