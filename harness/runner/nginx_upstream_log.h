#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "harness/common/clock.h"
#include "harness/runner/poller.h"
#include "harness/runner/share_source.h"

namespace faultline::runner {

// One line of the upstream log the stack adds to a team's nginx.conf:
// `log_format faultline_upstream '$msec $upstream_addr $status';`.
struct UpstreamLogLine {
  int64_t wall_ms = 0;  // $msec: wall-clock milliseconds since the epoch, when the request ended
  // The last address of $upstream_addr; "" when no server was tried ("-")
  // or none was left to try (nginx then writes the upstream group's name).
  std::string upstream;
  int status = 0;  // $status: what nginx answered the client
};

// Parses one line; nullopt for anything else (a torn or foreign line).
// $upstream_addr lists every server tried, "10.0.0.2:9000, 10.0.0.3:9000"
// after a retry ("a : b" across an internal redirect): the last one is the
// one that answered.
std::optional<UpstreamLogLine> parse_upstream_log_line(std::string_view line);

// The server that answered the request, "" when none did: nginx writes a
// 502 or 504 itself when its last try failed or timed out, and a 499 when
// the client gave up first, yet $upstream_addr still names the server it
// tried. (A server answering 502 or 504 of its own is counted for no one
// too: the log format cannot tell the two apart.)
std::string answering_upstream(const UpstreamLogLine& line);

// A file read as it grows: each call returns the lines completed since the
// previous one. A file that shrank was started again (rotated or
// truncated), and is read from its beginning.
class LogTail {
 public:
  // `from_end`: skip what the file holds already.
  LogTail(std::string path, bool from_end);
  std::vector<std::string> read_lines();

 private:
  std::string path_;
  uint64_t offset_ = 0;
  std::string partial_;  // the start of a line not yet ended
};

// nginx's upstream log (ServiceInstance::upstream_log), read every interval
// on a thread of its own from its start, and once more when stopped. It is
// read while the load runs, not once after it, because the live checks
// (an abort condition on max_backend_share, the steady-state gate) judge
// shares too. Each request counts at its own line's time ($msec, the wall
// clock, turned to the run clock by one offset taken when the source
// starts), in the window that time falls in.
class NginxUpstreamLog : public ShareSource {
 public:
  NginxUpstreamLog(const std::string& service, const std::string& path, const stack::Plan& plan,
                   const RunClock& clock, Duration interval);
  ~NginxUpstreamLog() override;

  void stop() override;

 private:
  void poll();

  LogTail tail_;  // the reading thread's alone
  stack::Plan plan_;
  int64_t wall_minus_run_ns_;  // wall-clock ns since the epoch less run-clock ns, at the start
  std::set<std::string> unknown_;
  bool stopped_ = false;  // the caller's thread's
  Poller poller_;         // last: its thread stops before the members it reads go
};

}  // namespace faultline::runner
