#include "harness/platform/docker_json.h"

#include <sstream>

namespace faultline::platform {

using nlohmann::json;

namespace {

// The field `key` of `j` when `j` is an object holding it with a non-null
// value; nullptr otherwise.
const json* field(const json& j, const char* key) {
  if (!j.is_object()) {
    return nullptr;
  }
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    return nullptr;
  }
  return &*it;
}

std::string text(const json& j, const char* key) {
  const json* f = field(j, key);
  return f != nullptr && f->is_string() ? f->get<std::string>() : std::string();
}

bool flag(const json& j, const char* key) {
  const json* f = field(j, key);
  return f != nullptr && f->is_boolean() && f->get<bool>();
}

int number(const json& j, const char* key) {
  const json* f = field(j, key);
  return f != nullptr && f->is_number_integer() ? f->get<int>() : 0;
}

const json& object(const json& j, const char* key) {
  static const json empty = json::object();
  const json* f = field(j, key);
  return f != nullptr && f->is_object() ? *f : empty;
}

std::vector<std::string> strings(const json& j, const char* key) {
  std::vector<std::string> out;
  const json* f = field(j, key);
  if (f == nullptr || !f->is_array()) {
    return out;
  }
  for (const auto& item : *f) {
    if (item.is_string()) {
      out.push_back(item.get<std::string>());
    }
  }
  return out;
}

Labels labels(const json& j, const char* key) {
  Labels out;
  for (const auto& [name, value] : object(j, key).items()) {
    if (value.is_string()) {
      out.emplace(name, value.get<std::string>());
    }
  }
  return out;
}

// Docker names a container "/web1" in its answers; faultline knows it as web1.
std::string without_slash(std::string name) {
  if (!name.empty() && name.front() == '/') {
    name.erase(0, 1);
  }
  return name;
}

}  // namespace

json network_create_body(const NetworkSpec& spec) {
  json body = {{"Name", spec.name}, {"CheckDuplicate", true}, {"Driver", "bridge"}, {"Labels", spec.labels}};
  if (!spec.subnet.empty()) {
    json config = {{"Subnet", spec.subnet}};
    if (!spec.gateway.empty()) {
      config["Gateway"] = spec.gateway;
    }
    body["IPAM"] = {{"Driver", "default"}, {"Config", json::array({config})}};
  }
  if (!spec.bridge_name.empty()) {
    body["Options"] = {{"com.docker.network.bridge.name", spec.bridge_name}};
  }
  return body;
}

json container_create_body(const ContainerSpec& spec) {
  json body = {{"Image", spec.image}, {"Labels", spec.labels}};
  if (!spec.cmd.empty()) {
    body["Cmd"] = spec.cmd;
  }
  json host = {{"Binds", spec.binds}, {"Init", spec.init}, {"RestartPolicy", {{"Name", "no"}}}};
  if (!spec.network.empty()) {
    host["NetworkMode"] = spec.network;
    json endpoint = json::object();
    if (!spec.ipv4.empty()) {
      endpoint["IPAMConfig"] = {{"IPv4Address", spec.ipv4}};
    }
    if (!spec.aliases.empty()) {
      endpoint["Aliases"] = spec.aliases;
    }
    body["NetworkingConfig"] = {{"EndpointsConfig", {{spec.network, endpoint}}}};
  }
  body["HostConfig"] = std::move(host);
  return body;
}

json exec_create_body(const std::vector<std::string>& cmd) {
  return json{
      {"Cmd", cmd}, {"AttachStdout", true}, {"AttachStderr", true}, {"AttachStdin", false}, {"Tty", false}};
}

std::string label_filters(const std::vector<std::string>& labels) {
  return json{{"label", labels}}.dump();
}

DockerVersion parse_version(const json& body) {
  DockerVersion v;
  v.version = text(body, "Version");
  v.api_version = text(body, "ApiVersion");
  v.min_api_version = text(body, "MinAPIVersion");
  v.os = text(body, "Os");
  v.arch = text(body, "Arch");
  v.kernel_version = text(body, "KernelVersion");
  return v;
}

ContainerInfo parse_container_info(const json& body) {
  ContainerInfo info;
  info.id = text(body, "Id");
  info.name = without_slash(text(body, "Name"));
  info.image_id = text(body, "Image");
  info.restart_count = number(body, "RestartCount");

  const json& state = object(body, "State");
  info.state.status = text(state, "Status");
  info.state.running = flag(state, "Running");
  info.state.paused = flag(state, "Paused");
  info.state.restarting = flag(state, "Restarting");
  info.state.oom_killed = flag(state, "OOMKilled");
  info.state.pid = number(state, "Pid");
  info.state.exit_code = number(state, "ExitCode");
  info.state.started_at = text(state, "StartedAt");
  info.state.finished_at = text(state, "FinishedAt");

  const json& config = object(body, "Config");
  info.image = text(config, "Image");
  info.labels = labels(config, "Labels");

  const json& host = object(body, "HostConfig");
  info.restart_policy = text(object(host, "RestartPolicy"), "Name");
  info.init = flag(host, "Init");

  for (const auto& [name, net] : object(object(body, "NetworkSettings"), "Networks").items()) {
    ContainerEndpoint endpoint;
    endpoint.network_id = text(net, "NetworkID");
    endpoint.ip = text(net, "IPAddress");
    endpoint.gateway = text(net, "Gateway");
    endpoint.aliases = strings(net, "Aliases");
    info.networks.emplace(name, std::move(endpoint));
  }

  if (const json* mounts = field(body, "Mounts"); mounts != nullptr && mounts->is_array()) {
    for (const auto& m : *mounts) {
      ContainerMount mount;
      mount.type = text(m, "Type");
      mount.source = text(m, "Source");
      mount.destination = text(m, "Destination");
      // A mount without the field is writable, as Docker's own default.
      const json* rw = field(m, "RW");
      mount.rw = rw == nullptr || !rw->is_boolean() || rw->get<bool>();
      info.mounts.push_back(std::move(mount));
    }
  }
  return info;
}

std::vector<ContainerSummary> parse_container_list(const json& body) {
  std::vector<ContainerSummary> list;
  if (!body.is_array()) {
    return list;
  }
  for (const auto& entry : body) {
    ContainerSummary c;
    c.id = text(entry, "Id");
    for (auto& name : strings(entry, "Names")) {
      c.names.push_back(without_slash(std::move(name)));
    }
    c.image = text(entry, "Image");
    c.state = text(entry, "State");
    c.status = text(entry, "Status");
    c.labels = labels(entry, "Labels");
    for (const auto& [name, net] : object(object(entry, "NetworkSettings"), "Networks").items()) {
      c.ips.emplace(name, text(net, "IPAddress"));
    }
    list.push_back(std::move(c));
  }
  return list;
}

std::vector<NetworkInfo> parse_network_list(const json& body) {
  std::vector<NetworkInfo> list;
  if (!body.is_array()) {
    return list;
  }
  for (const auto& entry : body) {
    NetworkInfo n;
    n.id = text(entry, "Id");
    n.name = text(entry, "Name");
    n.driver = text(entry, "Driver");
    n.labels = labels(entry, "Labels");
    if (const json* configs = field(object(entry, "IPAM"), "Config");
        configs != nullptr && configs->is_array()) {
      for (const auto& config : *configs) {
        if (auto subnet = text(config, "Subnet"); !subnet.empty()) {
          n.subnets.push_back(std::move(subnet));
        }
      }
    }
    list.push_back(std::move(n));
  }
  return list;
}

CreatedContainer parse_created_container(const json& body) {
  return CreatedContainer{text(body, "Id"), strings(body, "Warnings")};
}

ExecState parse_exec_state(const json& body) {
  ExecState state;
  state.running = flag(body, "Running");
  const json* code = field(body, "ExitCode");
  if (code != nullptr && code->is_number_integer() && !state.running) {
    state.exit_code = code->get<int>();
  }
  return state;
}

std::string daemon_message(const std::string& body, int status) {
  const json parsed = json::parse(body, nullptr, false);
  if (!parsed.is_discarded()) {
    if (auto message = text(parsed, "message"); !message.empty()) {
      return message;
    }
  }
  const auto first = body.find_first_not_of(" \t\r\n");
  if (first != std::string::npos) {
    const auto last = body.find_last_not_of(" \t\r\n");
    return body.substr(first, last - first + 1);
  }
  return "HTTP status " + std::to_string(status) + " with no message";
}

std::optional<std::string> pull_stream_error(const std::string& body) {
  std::istringstream lines(body);
  std::string line;
  while (std::getline(lines, line)) {
    const json event = json::parse(line, nullptr, false);
    if (event.is_discarded()) {
      continue;
    }
    if (auto error = text(event, "error"); !error.empty()) {
      return error;
    }
    if (auto message = text(object(event, "errorDetail"), "message"); !message.empty()) {
      return message;
    }
  }
  return std::nullopt;
}

std::optional<ContainerLogs> demultiplex_logs(const std::string& bytes) {
  ContainerLogs logs;
  std::size_t at = 0;
  while (at < bytes.size()) {
    if (bytes.size() - at < 8) {
      return std::nullopt;
    }
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[at + i]); };
    // Stream 0 is stdin, which Docker's own demultiplexer writes with stdout.
    if (byte(0) > 2 || byte(1) != 0 || byte(2) != 0 || byte(3) != 0) {
      return std::nullopt;
    }
    const std::size_t length = (std::size_t{byte(4)} << 24) | (std::size_t{byte(5)} << 16) |
                               (std::size_t{byte(6)} << 8) | std::size_t{byte(7)};
    if (bytes.size() - at - 8 < length) {
      return std::nullopt;
    }
    (byte(0) == 2 ? logs.err : logs.out).append(bytes, at + 8, length);
    at += 8 + length;
  }
  return logs;
}

}  // namespace faultline::platform
