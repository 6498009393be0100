#pragma once

#include <string>

#include "harness/common/result.h"

namespace faultline::faults {

// A client for HAProxy's runtime API on its stats socket (`level admin`).
// Each command opens the socket, sends one line, and reads the answer until
// HAProxy closes the connection (non-interactive mode), so no state is kept
// between commands and a restarted HAProxy is simply reconnected to.
class HaproxyRuntimeApi {
 public:
  explicit HaproxyRuntimeApi(std::string socket_path) : socket_path_(std::move(socket_path)) {}

  // Sends one command; returns HAProxy's answer (may be empty on success).
  Result<std::string> command(const std::string& line) const;

  // `get weight be/srv` -> the current weight.
  Result<int> get_weight(const std::string& backend, const std::string& server) const;
  // `set weight be/srv N`; HAProxy answers with text only on failure.
  Status set_weight(const std::string& backend, const std::string& server, int weight) const;

 private:
  std::string socket_path_;
};

}  // namespace faultline::faults
