#include "harness/platform/docker_api.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "harness/platform/docker_json.h"

namespace faultline::platform {

using nlohmann::json;

namespace {

std::string container_path(const std::string& container, const std::string& action) {
  return "/containers/" + url_encode_path(container) + action;
}

// The filters parameter that keeps what carries every label given, after
// `separator`; nothing for no labels, which keeps everything.
std::string filters_query(char separator, const std::vector<std::string>& labels) {
  if (labels.empty()) {
    return "";
  }
  return separator + ("filters=" + url_encode(label_filters(labels)));
}

// The body of a successful answer as JSON, or an error that says the
// daemon answered something else.
DockerResult<json> parse_body(const HttpAnswer& answer, const std::string& call) {
  json parsed = json::parse(answer.body, nullptr, false);
  if (parsed.is_discarded()) {
    return DockerError{answer.status, fmt::format("the answer is not JSON: '{}'", answer.body.substr(0, 200)),
                       call};
  }
  return parsed;
}

// parse_body of an answer, or the call's own failure.
DockerResult<json> json_of(const DockerResult<HttpAnswer>& answer, const std::string& call) {
  if (!answer) {
    return answer.error();
  }
  return parse_body(*answer, call);
}

}  // namespace

std::pair<std::string, std::string> split_image_ref(const std::string& ref) {
  if (ref.find('@') != std::string::npos) {
    return {ref, ""};
  }
  // A tag follows the last ':' after the last '/'; a ':' before it belongs
  // to a registry's port ("registry:5000/web").
  const auto colon = ref.rfind(':');
  const auto slash = ref.rfind('/');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) {
    return {ref, "latest"};
  }
  return {ref.substr(0, colon), ref.substr(colon + 1)};
}

DockerResult<HttpAnswer> DockerApi::call(const std::string& method, const std::string& path,
                                         const std::string& body) const {
  return call(method, path, body, timeout_);
}

DockerResult<HttpAnswer> DockerApi::call(const std::string& method, const std::string& path,
                                         const std::string& body, std::chrono::milliseconds timeout) const {
  // Errors name the call without the version prefix, which every call shares.
  const std::string name = method + " " + path;
  auto answer = http_.exchange(method, fmt::format("/v{}{}", kDockerApiVersion, path), body, timeout);
  if (!answer) {
    return DockerError{0, answer.error().message, name};
  }
  const int status = answer->status;
  if ((status >= 200 && status < 300) || status == 304) {
    return answer;
  }
  return DockerError{status, daemon_message(answer->body, status), name};
}

DockerStatus DockerApi::act(const std::string& method, const std::string& path) const {
  auto answer = call(method, path);
  if (!answer) {
    return answer.error();
  }
  return {};
}

DockerStatus DockerApi::ping() const {
  auto answer = call("GET", "/_ping");
  if (!answer) {
    return answer.error();
  }
  if (answer->body != "OK") {
    return DockerError{answer->status, fmt::format("the daemon answered '{}', not OK", answer->body),
                       "GET /_ping"};
  }
  return {};
}

DockerResult<DockerVersion> DockerApi::version() const {
  auto body = json_of(call("GET", "/version"), "GET /version");
  if (!body) {
    return body.error();
  }
  return parse_version(*body);
}

DockerResult<bool> DockerApi::image_exists(const std::string& ref) const {
  auto answer = call("GET", "/images/" + url_encode_path(ref) + "/json");
  if (answer) {
    return true;
  }
  if (answer.error().not_found()) {
    return false;
  }
  return answer.error();
}

DockerStatus DockerApi::pull(const std::string& ref, std::chrono::milliseconds timeout) const {
  const auto [image, tag] = split_image_ref(ref);
  std::string path = "/images/create?fromImage=" + url_encode(image);
  if (!tag.empty()) {
    path += "&tag=" + url_encode(tag);
  }
  auto answer = call("POST", path, "", timeout);
  if (!answer) {
    DockerError error = answer.error();
    error.message = fmt::format("cannot pull image {} (is a registry reachable?): {}", ref, error.message);
    return error;
  }
  if (auto failure = pull_stream_error(answer->body)) {
    return DockerError{answer->status,
                       fmt::format("cannot pull image {} (is a registry reachable?): {}", ref, *failure),
                       "POST " + path};
  }
  return {};
}

DockerResult<std::string> DockerApi::create_network(const NetworkSpec& spec) const {
  auto answer = call("POST", "/networks/create", network_create_body(spec).dump());
  if (!answer) {
    return answer.error();
  }
  auto body = parse_body(*answer, "POST /networks/create");
  if (!body) {
    return body.error();
  }
  auto id = body->value("Id", std::string());
  if (id.empty()) {
    return DockerError{answer->status, "the answer names no network Id", "POST /networks/create"};
  }
  return id;
}

DockerStatus DockerApi::remove_network(const std::string& network) const {
  return act("DELETE", "/networks/" + url_encode_path(network));
}

DockerResult<std::vector<NetworkInfo>> DockerApi::list_networks(
    const std::vector<std::string>& labels) const {
  const std::string path = "/networks" + filters_query('?', labels);
  auto body = json_of(call("GET", path), "GET " + path);
  if (!body) {
    return body.error();
  }
  return parse_network_list(*body);
}

DockerResult<CreatedContainer> DockerApi::create_container(const ContainerSpec& spec) const {
  const std::string path = "/containers/create?name=" + url_encode(spec.name);
  auto answer = call("POST", path, container_create_body(spec).dump());
  if (!answer) {
    return answer.error();
  }
  auto body = parse_body(*answer, "POST " + path);
  if (!body) {
    return body.error();
  }
  auto created = parse_created_container(*body);
  if (created.id.empty()) {
    return DockerError{answer->status, "the answer names no container Id", "POST " + path};
  }
  return created;
}

DockerStatus DockerApi::start(const std::string& container) const {
  return act("POST", container_path(container, "/start"));
}

DockerStatus DockerApi::stop(const std::string& container, std::chrono::seconds grace) const {
  // The daemon answers only once the container has stopped, which may be
  // after the whole grace period.
  auto answer =
      call("POST", container_path(container, fmt::format("/stop?t={}", grace.count())), "", timeout_ + grace);
  if (!answer) {
    return answer.error();
  }
  return {};
}

DockerStatus DockerApi::kill(const std::string& container, const std::string& signal) const {
  return act("POST", container_path(container, "/kill?signal=" + url_encode(signal)));
}

DockerStatus DockerApi::remove(const std::string& container, bool force, bool volumes) const {
  return act("DELETE",
             container_path(container, fmt::format("?force={}&v={}", force ? 1 : 0, volumes ? 1 : 0)));
}

DockerStatus DockerApi::pause(const std::string& container) const {
  return act("POST", container_path(container, "/pause"));
}

DockerStatus DockerApi::unpause(const std::string& container) const {
  return act("POST", container_path(container, "/unpause"));
}

DockerResult<ContainerInfo> DockerApi::inspect(const std::string& container) const {
  const std::string path = container_path(container, "/json");
  auto body = json_of(call("GET", path), "GET " + path);
  if (!body) {
    return body.error();
  }
  return parse_container_info(*body);
}

DockerResult<std::vector<ContainerSummary>> DockerApi::list_containers(
    const std::vector<std::string>& labels) const {
  const std::string path = "/containers/json?all=1" + filters_query('&', labels);
  auto body = json_of(call("GET", path), "GET " + path);
  if (!body) {
    return body.error();
  }
  return parse_container_list(*body);
}

DockerResult<ContainerLogs> DockerApi::logs(const std::string& container, int tail) const {
  const std::string tail_value = tail > 0 ? std::to_string(tail) : std::string("all");
  auto answer = call("GET", container_path(container, "/logs?stdout=1&stderr=1&tail=" + tail_value));
  if (!answer) {
    return answer.error();
  }
  if (auto streams = demultiplex_logs(answer->body)) {
    return std::move(*streams);
  }
  return ContainerLogs{std::move(answer->body), {}};
}

}  // namespace faultline::platform
