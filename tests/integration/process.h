#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

// Helpers for integration tests that drive the real faultline binary.
namespace faultline::testing {

// Starts `argv` with stdout+stderr to `log_path`; returns the child pid.
inline pid_t spawn(const std::vector<std::string>& argv, const std::string& log_path) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::FILE* log = std::fopen(log_path.c_str(), "w");
    if (log != nullptr) {
      dup2(fileno(log), 1);
      dup2(fileno(log), 2);
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

// Everything of a run still present on the machine: namespaces, links,
// processes whose command line mentions the run, its registry folder.
// Empty when the run left nothing behind.
inline std::string leftovers(const std::string& run_id) {
  std::string left;
  left += shell("ip netns list 2>/dev/null | grep -- '-" + run_id + "-' || true");
  left += shell("ip -o link 2>/dev/null | grep -- '" + run_id + "' || true");
  left += shell("pgrep -af -- '/run/faultline/" + run_id + "' | grep -v pgrep || true");
  left += shell("ls -d /run/faultline/" + run_id + " 2>/dev/null || true");
  return left;
}

inline bool is_root() {
  return geteuid() == 0;
}

}  // namespace faultline::testing
