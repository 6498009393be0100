#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
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
// One row of `show stat`: a proxy's frontend, its backend, a listener, or
// one of its servers, with the fields faultline reads.
struct StatRow {
  enum class Type { frontend, backend, server, listener, unknown };

  std::string proxy;   // pxname
  std::string server;  // svname: the server's name, or FRONTEND / BACKEND
  Type type = Type::unknown;
  // A server's address as HAProxy resolved it ("10.0.0.2:9000", whatever
  // name the config gave); empty for the other rows.
  std::string addr;
  // The HTTP requests the server answered since HAProxy started: `req_tot`.
  // Measured on HAProxy 2.6.12 (tests/data/haproxy/show_stat_2.6.csv, three
  // servers in round robin, one refusing connections): a server's `req_tot`
  // counts every response it sent, whatever the status (a 501 of its own
  // counts), and neither a request whose connection to it failed (HAProxy
  // answered 503) nor one that timed out waiting for its answer (504);
  // `stot` counts connection attempts instead (12 for the 3 requests sent to
  // the refusing server, each tried 4 times with the default `retries 3`).
  // So `req_tot` counts what a response header naming the server counts.
  // nullopt when the field is empty or missing (a HAProxy too old to count
  // requests per server).
  std::optional<uint64_t> requests;
};

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
  // Every row of `show stat`, every proxy.
  Result<std::vector<StatRow>> show_stat() const;
  // Replaces, in memory, the certificate HAProxy loaded from `path` (as the
  // config's `crt` names it) with `pem` (certificate, chain and key), for
  // every bind line using it, without a reload: `set ssl cert <path> <<`
  // with the PEM as payload, then `commit ssl cert <path>`. The file on
  // disk is not touched. A failed step aborts the transaction, so nothing
  // is half-applied; the error carries HAProxy's words.
  Status replace_ssl_cert(const std::string& path, const std::string& pem) const;

 private:
  std::string socket_path_;
  std::chrono::milliseconds timeout_;
};

// The admin state the runtime API forced on the server of `row` (a line of
// `show servers state`): "maint" or "drain" from srv_admin_state's forced
// bits (SRV_ADMF_FMAINT, SRV_ADMF_FDRAIN), else "ready" (a state the
// config sets is not forced); nullopt when the row has no readable
// srv_admin_state.
std::optional<std::string> forced_admin_state(const HaproxyRuntimeApi::ServerRow& row);

// Parses the answer to `show servers state`: a version line, a "# name
// name ..." header, then one line per server, into rows by column name.
std::vector<HaproxyRuntimeApi::ServerRow> parse_servers_state(const std::string& answer);

// Parses the answer to `show stat`: CSV whose first line, "# pxname,svname,
// ...", names the columns. Columns are found by name, so a HAProxy that
// adds or moves some is read the same; lines with too few fields are left
// out.
std::vector<StatRow> parse_show_stat(const std::string& answer);

}  // namespace faultline::platform
