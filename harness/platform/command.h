#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "harness/common/result.h"

// Short host tools (iptables) run to completion with their output kept:
// stdout and stderr apart, because a listing is parsed from stdout while
// iptables-nft writes its warnings to stderr.
namespace faultline::platform {

struct CommandOutput {
  int wait_status = -1;  // as waitpid gives it
  std::string out;
  std::string err;

  bool succeeded() const;  // exited with status 0
};

// Runs argv[0] (looked up like find_executable: PATH, then the sbin
// directories) from the calling thread, so the child starts in that
// thread's network namespace, with `input` on its stdin (/dev/null when
// empty; at most 64 KiB, what a pipe holds unread) and the default
// signal mask and dispositions, and (run as root) at nice 10, below the
// load generator's priority. An error when it cannot be started or does
// not finish within `timeout` (it is then killed); any exit code is a
// CommandOutput for the caller to judge.
Result<CommandOutput> run_command(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(10),
                                  std::string_view input = {});

// The first line a tool prints (stdout, else stderr: `nginx -v` writes its
// version there), for version checks and the journal's environment; empty
// when it is not installed or prints nothing.
std::string first_output_line(const std::vector<std::string>& argv);

// The first line of what a tool printed, `out` else `err`, as
// first_output_line takes it: also for a tool run elsewhere (in a
// container, through the Engine API or nsenter).
std::string first_line_of(const std::string& out, const std::string& err);

// "'iptables -S FORWARD' exited with status 1: <stderr>" (stdout when
// stderr is empty).
std::string describe_failure(const std::vector<std::string>& argv, const CommandOutput& out);

// run_command for a tool that must succeed: an error when it cannot be
// started, times out or exits non-zero, naming the command and what it said.
Status run_checked(const std::vector<std::string>& argv,
                   std::chrono::milliseconds timeout = std::chrono::seconds(10), std::string_view input = {});

}  // namespace faultline::platform
