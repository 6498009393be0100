// The Docker Engine API's JSON both ways, without a daemon: the bodies the
// client sends, and the answers of a real 20.10 daemon (tests/data/docker,
// recorded on the CI host while probing for issue 20) read into types.

#include "harness/platform/docker_json.h"

#include <catch2/catch.hpp>

#include "harness/common/text.h"

namespace faultline::platform {
namespace {

using nlohmann::json;

json docker_data(const std::string& name) {
  std::string path = FAULTLINE_TEST_DATA;
  path.append("/docker/").append(name);
  return json::parse(read_text(path));
}

TEST_CASE("A network of a run's own is created with its labels, subnet, gateway and bridge name",
          "[platform][docker]") {
  NetworkSpec spec;
  spec.name = "faultline-probe1";
  spec.labels = {{"org.faultline.run", "probe1"}};
  spec.subnet = "10.213.1.0/24";
  spec.gateway = "10.213.1.1";
  spec.bridge_name = "fl-probe1";
  CHECK(network_create_body(spec) == json::parse(R"({
    "Name": "faultline-probe1", "CheckDuplicate": true, "Driver": "bridge",
    "Labels": {"org.faultline.run": "probe1"},
    "IPAM": {"Driver": "default", "Config": [{"Subnet": "10.213.1.0/24", "Gateway": "10.213.1.1"}]},
    "Options": {"com.docker.network.bridge.name": "fl-probe1"}})"));

  // Without a subnet or a bridge name the daemon chooses them.
  NetworkSpec bare;
  bare.name = "n";
  CHECK(network_create_body(bare) ==
        json::parse(R"({"Name": "n", "CheckDuplicate": true, "Driver": "bridge", "Labels": {}})"));
}

TEST_CASE("A container is created with its command, labels, binds, init, static address and aliases",
          "[platform][docker]") {
  ContainerSpec spec;
  spec.name = "fl-probe1-web1";
  spec.image = "faultline-test/nginx:bookworm";
  spec.cmd = {"nginx", "-g", "daemon off;", "-c", "/etc/nginx/nginx.conf"};
  spec.labels = {{"org.faultline.run", "probe1"}, {"org.faultline.node", "web1"}};
  spec.binds = {"/run/x/web1/nginx.conf:/etc/nginx/nginx.conf:ro", "/run/x/web1:/run/fl"};
  spec.init = true;
  spec.network = "faultline-probe1";
  spec.ipv4 = "10.213.1.11";
  spec.aliases = {"web1"};
  CHECK(container_create_body(spec) == json::parse(R"({
    "Image": "faultline-test/nginx:bookworm",
    "Cmd": ["nginx", "-g", "daemon off;", "-c", "/etc/nginx/nginx.conf"],
    "Labels": {"org.faultline.run": "probe1", "org.faultline.node": "web1"},
    "HostConfig": {"Binds": ["/run/x/web1/nginx.conf:/etc/nginx/nginx.conf:ro", "/run/x/web1:/run/fl"],
                   "Init": true, "NetworkMode": "faultline-probe1", "RestartPolicy": {"Name": "no"}},
    "NetworkingConfig": {"EndpointsConfig": {"faultline-probe1":
        {"IPAMConfig": {"IPv4Address": "10.213.1.11"}, "Aliases": ["web1"]}}}})"));

  // No command leaves the image's own; no network, the daemon's default.
  ContainerSpec bare;
  bare.image = "nginx:1.25";
  const json body = container_create_body(bare);
  CHECK_FALSE(body.contains("Cmd"));
  CHECK_FALSE(body.contains("NetworkingConfig"));
  CHECK_FALSE(body["HostConfig"].contains("NetworkMode"));
  CHECK(body["HostConfig"]["RestartPolicy"]["Name"] == "no");
}

TEST_CASE("Label filters are Docker's filters JSON, several labels ANDed", "[platform][docker]") {
  CHECK(label_filters({"org.faultline.run=probe1", "org.faultline.node=lb"}) ==
        R"({"label":["org.faultline.run=probe1","org.faultline.node=lb"]})");
  CHECK(label_filters({"org.faultline.run"}) == R"({"label":["org.faultline.run"]})");
}

TEST_CASE("A 20.10 daemon's inspect of a container faultline created reads into ContainerInfo",
          "[platform][docker]") {
  const ContainerInfo info = parse_container_info(docker_data("inspect_20.10_haproxy.json"));
  CHECK(info.id == "b1c37864415c71410e30e572235707d9ace203a8c64803af7660afa467dec492");
  CHECK(info.name == "fl-probe1-lb");
  CHECK(info.image == "faultline-test/haproxy:bookworm");
  CHECK(info.image_id == "sha256:d090e606d2d18c65bc236ee9ae8333e00d04c513f0be3b50c38a13ca0f3689a2");
  CHECK(info.state.status == "running");
  CHECK(info.state.running);
  CHECK_FALSE(info.state.paused);
  CHECK_FALSE(info.state.restarting);
  CHECK(info.state.pid == 9278);
  CHECK(info.state.exit_code == 0);
  CHECK(info.state.started_at == "2026-12-07T03:12:22.176090841Z");
  CHECK(info.restart_count == 0);
  CHECK(info.restart_policy == "always");
  CHECK(info.init);
  CHECK(info.labels == Labels{{"org.faultline.node", "lb"},
                              {"org.faultline.run", "probe1"},
                              {"org.faultline.test-image", "haproxy"}});
  REQUIRE(info.networks.size() == 1);
  const ContainerEndpoint& net = info.networks.at("faultline-probe1");
  CHECK(net.ip == "10.213.1.10");
  CHECK(net.gateway == "10.213.1.1");
  CHECK(net.network_id == "13950009ae9fe180b620103a1253626803522b1fde0c588f5a0026b1d013b3b9");
  CHECK(net.aliases == std::vector<std::string>{"b1c37864415c"});
  REQUIRE(info.mounts.size() == 2);
  CHECK(info.mounts[0].type == "bind");
  CHECK(info.mounts[0].source == "/work/research-20/run/hap/haproxy.cfg");
  CHECK(info.mounts[0].destination == "/etc/haproxy/haproxy.cfg");
  CHECK_FALSE(info.mounts[0].rw);
  CHECK(info.mounts[1].destination == "/run/fl");
  CHECK(info.mounts[1].rw);
}

TEST_CASE("A Compose v1 container's inspect gives its project labels, aliases and restart policy",
          "[platform][docker]") {
  const ContainerInfo info = parse_container_info(docker_data("inspect_20.10_compose_lb.json"));
  CHECK(info.name == "flprobe_lb_1");
  CHECK(info.labels.at("com.docker.compose.project") == "flprobe");
  CHECK(info.labels.at("com.docker.compose.service") == "lb");
  CHECK(info.restart_policy == "unless-stopped");
  CHECK(info.state.pid == 13761);
  const ContainerEndpoint& net = info.networks.at("flprobe_default");
  CHECK(net.ip == "172.20.0.4");
  CHECK(net.aliases == std::vector<std::string>{"34a62737fe9a", "lb"});
}

TEST_CASE("Inspect takes the nulls and gaps of a container that is not running", "[platform][docker]") {
  const ContainerInfo info = parse_container_info(json::parse(R"({
    "Id": "abc", "Name": "/x", "RestartCount": 2,
    "State": {"Status": "exited", "Running": false, "Pid": 0, "ExitCode": 137, "OOMKilled": true,
              "FinishedAt": "2026-12-07T03:12:30Z"},
    "Config": {"Image": "nginx", "Labels": null},
    "NetworkSettings": {"Networks": {"n": {"IPAddress": "", "Aliases": null}}},
    "Mounts": null})"));
  CHECK(info.name == "x");
  CHECK(info.state.status == "exited");
  CHECK_FALSE(info.state.running);
  CHECK(info.state.exit_code == 137);
  CHECK(info.state.oom_killed);
  CHECK(info.state.finished_at == "2026-12-07T03:12:30Z");
  CHECK(info.restart_count == 2);
  CHECK(info.labels.empty());
  CHECK(info.mounts.empty());
  CHECK(info.networks.at("n").ip.empty());
  CHECK(info.networks.at("n").aliases.empty());
  CHECK(info.restart_policy.empty());
}

TEST_CASE("A container list gives names without their slash, labels and an address per network",
          "[platform][docker]") {
  const auto list = parse_container_list(json::parse(R"([
    {"Id": "b1c3", "Names": ["/fl-probe1-lb"], "Image": "faultline-test/haproxy:bookworm",
     "Labels": {"org.faultline.node": "lb", "org.faultline.run": "probe1"},
     "State": "running", "Status": "Up 20 seconds",
     "NetworkSettings": {"Networks": {"faultline-probe1": {"IPAddress": "10.213.1.10"}}}},
    {"Id": "e252", "Names": ["/fl-probe1-web2"], "Labels": null, "State": "exited",
     "Status": "Exited (137) 2 seconds ago", "NetworkSettings": null}])"));
  REQUIRE(list.size() == 2);
  CHECK(list[0].id == "b1c3");
  CHECK(list[0].names == std::vector<std::string>{"fl-probe1-lb"});
  CHECK(list[0].image == "faultline-test/haproxy:bookworm");
  CHECK(list[0].labels.at("org.faultline.node") == "lb");
  CHECK(list[0].state == "running");
  CHECK(list[0].status == "Up 20 seconds");
  CHECK(list[0].ips == std::map<std::string, std::string>{{"faultline-probe1", "10.213.1.10"}});
  CHECK(list[1].state == "exited");
  CHECK(list[1].labels.empty());
  CHECK(list[1].ips.empty());
  CHECK(parse_container_list(json::object()).empty());
}

TEST_CASE("A network list gives ids, names, labels and subnets", "[platform][docker]") {
  const auto list = parse_network_list(json::parse(R"([
    {"Name": "faultline-probe1", "Id": "1395", "Driver": "bridge",
     "IPAM": {"Driver": "default", "Config": [{"Subnet": "10.213.1.0/24", "Gateway": "10.213.1.1"}]},
     "Labels": {"org.faultline.run": "probe1"}},
    {"Name": "none", "Id": "77", "Driver": "null", "IPAM": {"Config": []}, "Labels": {}}])"));
  REQUIRE(list.size() == 2);
  CHECK(list[0].name == "faultline-probe1");
  CHECK(list[0].id == "1395");
  CHECK(list[0].driver == "bridge");
  CHECK(list[0].labels == Labels{{"org.faultline.run", "probe1"}});
  CHECK(list[0].subnets == std::vector<std::string>{"10.213.1.0/24"});
  CHECK(list[1].subnets.empty());
}

TEST_CASE("The version answer gives the engine's release and API versions", "[platform][docker]") {
  const auto v = parse_version(json::parse(R"({"Version": "20.10.24+dfsg1", "ApiVersion": "1.41",
    "MinAPIVersion": "1.12", "Os": "linux", "Arch": "amd64", "KernelVersion": "6.18.44"})"));
  CHECK(v.version == "20.10.24+dfsg1");
  CHECK(v.api_version == "1.41");
  CHECK(v.min_api_version == "1.12");
  CHECK(v.os == "linux");
  CHECK(v.arch == "amd64");
  CHECK(v.kernel_version == "6.18.44");
}

TEST_CASE("An error answer's words are its message, else its body, else its status", "[platform][docker]") {
  CHECK(daemon_message(R"({"message":"No such container: fl-probe1-nosuch"})", 404) ==
        "No such container: fl-probe1-nosuch");
  CHECK(daemon_message("page not found\n", 404) == "page not found");
  CHECK(daemon_message("", 502) == "HTTP status 502 with no message");
  CHECK(daemon_message(R"({"other":"x"})", 500) == R"({"other":"x"})");
}

TEST_CASE("A pull's progress stream is searched for a failure", "[platform][docker]") {
  CHECK_FALSE(
      pull_stream_error("{\"status\":\"Pulling from library/nginx\",\"id\":\"latest\"}\n"
                        "{\"status\":\"Status: Downloaded newer image for nginx:latest\"}\n"));
  CHECK(pull_stream_error(
            "{\"status\":\"Pulling from shop/web\"}\n"
            "{\"errorDetail\":{\"message\":\"manifest unknown\"},\"error\":\"manifest unknown\"}\n") ==
        std::optional<std::string>("manifest unknown"));
  CHECK(pull_stream_error("{\"errorDetail\":{\"message\":\"denied\"}}\n") ==
        std::optional<std::string>("denied"));
}

std::string frame(unsigned char stream, const std::string& payload) {
  std::string header(8, '\0');
  header[0] = static_cast<char>(stream);
  const auto n = static_cast<uint32_t>(payload.size());
  header[4] = static_cast<char>(n >> 24);
  header[5] = static_cast<char>((n >> 16) & 0xff);
  header[6] = static_cast<char>((n >> 8) & 0xff);
  header[7] = static_cast<char>(n & 0xff);
  return header + payload;
}

TEST_CASE("Multiplexed logs are split by the stream each frame names", "[platform][docker]") {
  const std::string big(300, 'x');  // a length beyond one byte
  const auto logs = demultiplex_logs(frame(1, "listening\n") + frame(2, "[NOTICE] loaded\n") + frame(1, big));
  REQUIRE(logs);
  CHECK(logs->out == "listening\n" + big);
  CHECK(logs->err == "[NOTICE] loaded\n");
  CHECK(demultiplex_logs("")->out.empty());
  // A TTY's raw output, and a frame cut short, are not in the framing.
  CHECK_FALSE(demultiplex_logs("plain text from a TTY\n"));
  CHECK_FALSE(demultiplex_logs(frame(1, "whole").substr(0, 10)));
}

}  // namespace
}  // namespace faultline::platform
