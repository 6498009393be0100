#pragma once

// A team's Compose project for the runtime compose tests
// (tests/data/compose/docker-compose.yml, started with Debian's
// docker-compose under a project name of the test's own), and what the
// tests compare of its containers before and after a drill.

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness/experiment/model.h"
#include "harness/stack/http_probe.h"
#include "journal_helpers.h"

namespace faultline::testing {

inline const std::string kComposeDir = std::string(FAULTLINE_TEST_DATA) + "/compose";
inline const std::string kComposeFile = kComposeDir + "/docker-compose.yml";
// /usr/bin/docker, not the PATH's: this machine has a newer CLI in
// /usr/local/bin that the daemon's API version may not match.
inline const std::string kDocker = "/usr/bin/docker";
inline const std::string kCompose = "/usr/bin/docker-compose";

// Why Docker cannot be used here, or empty.
inline std::string docker_missing() {
  if (!std::filesystem::exists(kDocker) || !std::filesystem::exists(kCompose)) {
    return "needs docker.io and docker-compose (scripts/setup.sh --containers)";
  }
  if (shell(kDocker + " version --format '{{.Server.Version}}' 2>/dev/null").empty()) {
    return "needs a running dockerd (scripts/dockerd.sh start)";
  }
  if (shell(kDocker +
            " image inspect faultline-test/haproxy:bookworm faultline-test/nginx:bookworm >/dev/null 2>&1 "
            "&& echo yes")
          .empty()) {
    return "needs the test images (scripts/test-images.sh)";
  }
  return {};
}

// The project, up for the test's scope and down after it, even when a
// REQUIRE fails.
class ComposeProject {
 public:
  explicit ComposeProject(std::string name, std::string file = kComposeFile)
      : name_(std::move(name)), file_(std::move(file)) {
    down();  // a project of the same name left by a killed run of this test
    up_log_ = shell(compose("up -d") + " 2>&1");
  }
  ComposeProject(const ComposeProject&) = delete;
  ComposeProject& operator=(const ComposeProject&) = delete;
  ~ComposeProject() { down(); }

  const std::string& name() const { return name_; }
  const std::string& up_log() const { return up_log_; }
  std::string compose(const std::string& args) const {
    return kCompose + " -p " + name_ + " -f " + file_ + " " + args;
  }
  // The ids of its containers, one a line, by its label alone.
  std::string ids() const {
    return shell(kDocker + " ps -aq --no-trunc --filter label=com.docker.compose.project=" + name_);
  }
  json inspect() const {
    std::string list;
    for (const auto& id : split(ids())) {
      list += " " + id;
    }
    return list.empty() ? json::array() : json::parse(shell(kDocker + " inspect" + list));
  }

  static std::vector<std::string> split(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream in(text);
    for (std::string word; in >> word;) {
      out.push_back(word);
    }
    return out;
  }

 private:
  void down() const { shell(compose("down -v --remove-orphans") + " >/dev/null 2>&1"); }

  std::string name_;
  std::string file_;
  std::string up_log_;
};

// What a drill must not change in a container, by container id: its
// identity, state, process, settings, mounts and addresses. Nothing a
// fault of this drill does necessarily changes any of these (the network
// fault is an nft table inside the namespace, the maintenance an admin
// state in HAProxy's memory), so they are compared whole.
inline json unchanged_part(const json& container) {
  json networks = json::object();
  for (const auto& [name, n] : container["NetworkSettings"]["Networks"].items()) {
    networks[name] = {{"IPAddress", n["IPAddress"]}, {"MacAddress", n["MacAddress"]}};
  }
  return {{"Id", container["Id"]},
          {"Name", container["Name"]},
          {"Image", container["Image"]},
          {"Running", container["State"]["Running"]},
          {"Pid", container["State"]["Pid"]},
          {"StartedAt", container["State"]["StartedAt"]},
          {"RestartCount", container["RestartCount"]},
          {"HostConfig", container["HostConfig"]},
          {"Config", container["Config"]},
          {"Mounts", container["Mounts"]},
          {"Networks", networks}};
}

inline std::map<std::string, json> by_id(const json& inspected) {
  std::map<std::string, json> out;
  for (const auto& c : inspected) {
    out[c["Id"].get<std::string>()] = unchanged_part(c);
  }
  return out;
}

// Inside each container: its nft ruleset, qdiscs and config files, so a
// table, qdisc or edit left behind shows.
inline std::map<std::string, std::string> inside_state(const json& inspected) {
  std::map<std::string, std::string> out;
  for (const auto& c : inspected) {
    const std::string pid = std::to_string(c["State"]["Pid"].get<int>());
    const std::string id = c["Id"].get<std::string>();
    out[id + " nft"] = shell("nsenter -t " + pid + " -n nft list ruleset 2>&1");
    out[id + " tc"] = shell("nsenter -t " + pid + " -n tc qdisc show 2>&1");
    for (const char* file : {"/etc/haproxy/haproxy.cfg", "/etc/nginx/nginx.conf"}) {
      const std::string path = "/proc/" + pid + "/root" + file;
      if (std::filesystem::exists(path)) {
        out[id + " " + file] = read_file(path);
      }
    }
  }
  return out;
}

inline bool all_running(const json& inspected, size_t expected) {
  if (inspected.size() != expected) {
    return false;
  }
  for (const auto& c : inspected) {
    if (!c["State"]["Running"].get<bool>()) {
      return false;
    }
  }
  return true;
}

// Waits until HAProxy sees both servers up (its health checks pass), so
// the drill's baseline is the project's steady state.
inline bool wait_until_serving(const json& inspected) {
  for (const auto& c : inspected) {
    if (c["Config"]["Labels"]["com.docker.compose.service"] != "lb") {
      continue;
    }
    const std::string ip = c["NetworkSettings"]["Networks"].begin().value()["IPAddress"];
    for (int i = 0; i < 100; ++i) {
      const std::string a = shell("curl -s -m 1 -D - -o /dev/null http://" + ip + "/ 2>/dev/null");
      const std::string b = shell("curl -s -m 1 -D - -o /dev/null http://" + ip + "/ 2>/dev/null");
      if (a.find("web") != std::string::npos && b.find("web") != std::string::npos && a != b) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  return false;
}

inline std::string project_name(const std::string& what) {
  return "fltest" + what + std::to_string(::getpid());
}

// The inspect entry of the container of Compose service `service`.
inline json container_of(const json& inspected, const std::string& service) {
  for (const auto& c : inspected) {
    if (c["Config"]["Labels"]["com.docker.compose.service"] == service) {
      return c;
    }
  }
  return json();
}

// A copy of the project in `dir` whose web config is mounted read-write,
// as a team may mount it: a fault's edit is written through the bind
// mount, so the test's source tree is never the file changed. Returns the
// copy's compose file.
inline std::string writable_copy(const std::string& dir) {
  for (const char* f : {"haproxy.cfg", "web.conf"}) {
    std::filesystem::copy_file(kComposeDir + "/" + f, dir + "/" + f);
  }
  std::string compose_text = read_file(kComposeFile);
  const std::string ro = "web.conf:/etc/nginx/nginx.conf:ro";
  for (size_t at; (at = compose_text.find(ro)) != std::string::npos;) {
    compose_text.replace(at, ro.size(), "web.conf:/etc/nginx/nginx.conf");
  }
  std::ofstream(dir + "/docker-compose.yml") << compose_text;
  return dir + "/docker-compose.yml";
}

// An experiment attaching to `project`'s nginx services `webs`, the load
// aimed at the first.
inline faultline::experiment::Experiment nginx_attach(const std::string& project,
                                                      const std::vector<std::string>& webs) {
  faultline::experiment::Experiment exp;
  exp.stack.runtime = faultline::experiment::kRuntimeCompose;
  exp.stack.project = project;
  for (const auto& name : webs) {
    faultline::experiment::Service web;
    web.name = name;
    web.kind = faultline::experiment::ServiceKind::nginx;
    exp.stack.services.push_back(web);
  }
  exp.load.target = webs.front();
  return exp;
}

// The body web1 serves now, polled until it is `want` (a reload takes
// effect when nginx's new workers start) or 5 s passed.
inline std::string body_becomes(const std::string& address, const std::string& want) {
  std::string body;
  for (int i = 0; i < 50; ++i) {
    if (auto resp = faultline::stack::http_get(address, 80, "/", std::chrono::milliseconds(500))) {
      body = resp->body;
      if (body == want) {
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return body;
}

}  // namespace faultline::testing
