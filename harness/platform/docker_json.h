#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/platform/docker_types.h"

// The Docker Engine API's JSON, both ways: the bodies faultline sends and
// the answers it reads, mapped onto docker_types.h. The readers take what
// is there and leave the rest at its default, since the daemon writes null
// for an empty list or map (Labels, Mounts, Aliases) and leaves fields out.
namespace faultline::platform {

// Bodies sent.
nlohmann::json network_create_body(const NetworkSpec& spec);
nlohmann::json container_create_body(const ContainerSpec& spec);

// The value of a `filters` query parameter that keeps what carries every
// label given, each "key" (any value) or "key=value": {"label":[...]}.
// Not yet URL-encoded.
std::string label_filters(const std::vector<std::string>& labels);

// POST /containers/{id}/exec: `cmd` with stdout and stderr attached, no
// TTY (so its output comes in the multiplexed framing), no stdin.
nlohmann::json exec_create_body(const std::vector<std::string>& cmd);

// Answers read. Each takes the parsed body.
DockerVersion parse_version(const nlohmann::json& body);
ContainerInfo parse_container_info(const nlohmann::json& body);
std::vector<ContainerSummary> parse_container_list(const nlohmann::json& body);
std::vector<NetworkInfo> parse_network_list(const nlohmann::json& body);
CreatedContainer parse_created_container(const nlohmann::json& body);
// GET /exec/{id}/json: whether the command still runs, and its exit code
// once it has exited (null before).
struct ExecState {
  bool running = false;
  std::optional<int> exit_code;
};
ExecState parse_exec_state(const nlohmann::json& body);

// The words of an error answer: its {"message": ...}, or else the body as
// it came (trimmed), or else the status's reason.
std::string daemon_message(const std::string& body, int status);

// The first failure in a pull's progress stream (one JSON object per line;
// a failure is {"error": ..., "errorDetail": ...}), or nullopt.
std::optional<std::string> pull_stream_error(const std::string& body);

// Splits a log stream in Docker's multiplexed framing (a container without
// a TTY): frames of an 8-byte header (stream 1 stdout or 2 stderr, three
// zero bytes, a big-endian 32-bit length) and that many bytes. nullopt
// when the bytes are not in that framing (a container with a TTY writes
// its output raw).
std::optional<ContainerLogs> demultiplex_logs(const std::string& bytes);

}  // namespace faultline::platform
