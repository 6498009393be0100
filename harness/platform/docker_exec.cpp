// DockerApi::exec: a command run inside a running container (see
// docker_api.h). Apart from docker_api.cpp because its start call is the
// one exchange whose answer is not a plain HTTP body: the daemon takes the
// connection over and streams the command's output on it until the
// command exits, then closes it.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "harness/platform/docker_api.h"
#include "harness/platform/docker_json.h"

namespace faultline::platform {

using nlohmann::json;

DockerResult<ExecResult> DockerApi::exec(const std::string& container, const std::vector<std::string>& cmd,
                                         std::chrono::milliseconds timeout) const {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  auto left = [&] {
    return std::max(std::chrono::milliseconds(1),
                    std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
  };
  const std::string create_path = "/containers/" + url_encode_path(container) + "/exec";
  auto created = call("POST", create_path, exec_create_body(cmd).dump(), left());
  if (!created) {
    return created.error();
  }
  const json created_body = json::parse(created->body, nullptr, false);
  const std::string id = created_body.is_object() ? created_body.value("Id", std::string()) : std::string();
  if (id.empty()) {
    return DockerError{created->status, "the answer names no exec Id", "POST " + create_path};
  }
  // Without an Upgrade header the daemon answers 200 and then the raw
  // stream, ended by closing the connection: an HTTP body read to its end.
  const std::string start_path = "/exec/" + url_encode_path(id) + "/start";
  auto started = call("POST", start_path, json{{"Detach", false}, {"Tty", false}}.dump(), left());
  if (!started) {
    return started.error();
  }
  ExecResult result;
  if (auto streams = demultiplex_logs(started->body)) {
    result.out = std::move(streams->out);
    result.err = std::move(streams->err);
  } else {
    result.out = std::move(started->body);
  }
  // The stream ends when the command's output does; the daemon records its
  // exit a moment later, so the exit code may not be there at once.
  const std::string inspect_path = "/exec/" + url_encode_path(id) + "/json";
  while (true) {
    auto inspected = call("GET", inspect_path, "", left());
    if (!inspected) {
      return inspected.error();
    }
    const json body = json::parse(inspected->body, nullptr, false);
    if (body.is_discarded()) {
      return DockerError{inspected->status, "the answer is not JSON", "GET " + inspect_path};
    }
    const ExecState state = parse_exec_state(body);
    if (state.exit_code) {
      result.exit_code = *state.exit_code;
      return result;
    }
    if (Clock::now() >= deadline) {
      return DockerError{
          0, fmt::format("the command {} did not exit within {} ms", fmt::join(cmd, " "), timeout.count()),
          "GET " + inspect_path};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace faultline::platform
