#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "harness/common/result.h"

namespace faultline::platform {

// A client for HAProxy's runtime API on its stats socket (`level admin`).
// Each command opens the socket, sends one line, and reads the answer until
// HAProxy closes the connection (non-interactive mode), so no state is kept
// between commands and a restarted HAProxy is simply reconnected to.
// A command gives up after `timeout`: a stopped (SIGSTOP) HAProxy still
// accepts on its socket but never answers.
class HaproxyRuntimeApi {
 public:
  using ServerRow = std::map<std::string, std::string>;

  explicit HaproxyRuntimeApi(std::string socket_path,
                             std::chrono::milliseconds timeout = std::chrono::milliseconds(2000))
      : socket_path_(std::move(socket_path)), timeout_(timeout) {}

  // Sends one command; returns HAProxy's answer (may be empty on success).
  Result<std::string> command(const std::string& line) const;

  // `get weight be/srv` -> the current weight.
  Result<int> get_weight(const std::string& backend, const std::string& server) const;
  // `set weight be/srv N`; HAProxy answers with text only on failure.
  Status set_weight(const std::string& backend, const std::string& server, int weight) const;

  // A command HAProxy answers with nothing on success and with the reason
  // on failure (set server state, enable/disable health, ...).
  Status run(const std::string& line) const;

  // One server's line of `show servers state <be>`, by column name
  // (srv_addr, srv_port, srv_admin_state, srv_op_state, ...).
  Result<ServerRow> server_state(const std::string& backend, const std::string& server) const;
  // Every server's line of `show servers state <be>`.
  Result<std::vector<ServerRow>> servers_state(const std::string& backend) const;
  // "ready", "drain" or "maint", from the forced admin-state bits.
  Result<std::string> admin_state(const std::string& backend, const std::string& server) const;
  // `set server be/srv state ready|drain|maint`.
  Status set_state(const std::string& backend, const std::string& server, const std::string& state) const;
  // `set server be/srv addr <ip> port <port>`; HAProxy answers in words
  // even on success, so only an answer naming no change counts.
  Status set_addr(const std::string& backend, const std::string& server, const std::string& address,
                  int port) const;
  // `enable health` / `disable health be/srv`.
  Status set_health(const std::string& backend, const std::string& server, bool enabled) const;

 private:
  std::string socket_path_;
  std::chrono::milliseconds timeout_;
};

// Parses the answer to `show servers state`: a version line, a "# name
// name ..." header, then one line per server, into rows by column name.
std::vector<HaproxyRuntimeApi::ServerRow> parse_servers_state(const std::string& answer);

}  // namespace faultline::platform
