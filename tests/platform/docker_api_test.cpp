// The Docker Engine API client against a fake daemon on a Unix socket
// (fake_docker_daemon.h): each call sends the request the Engine API
// expects (method, versioned target, JSON body) and maps the answer,
// error statuses and chunked bodies included; a daemon that never answers
// makes a call fail in time rather than hang.

#include "harness/platform/docker_api.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "harness/platform/docker_json.h"
#include "tests/platform/fake_docker_daemon.h"

namespace faultline::platform {
namespace {

using faultline::testing::chunked_answer;
using faultline::testing::FakeDockerDaemon;
using faultline::testing::http_answer;
using faultline::testing::RecordedRequest;
using nlohmann::json;

// A fake daemon that answers "METHOD target" from a table, and anything
// else as dockerd answers an unknown route.
struct Canned {
  std::map<std::string, std::string> answers;
  FakeDockerDaemon daemon{[this](const RecordedRequest& r) -> std::optional<std::string> {
    const auto it = answers.find(r.method + " " + r.target);
    if (it == answers.end()) {
      return http_answer(404, R"({"message":"page not found"})");
    }
    return it->second;
  }};
  DockerApi api{daemon.socket_path(), std::chrono::seconds(5)};

  explicit Canned(std::map<std::string, std::string> table) : answers(std::move(table)) {}
  RecordedRequest only_request() const {
    const auto requests = daemon.requests();
    REQUIRE(requests.size() == 1);
    return requests.front();
  }
};

TEST_CASE("ping asks /v1.41/_ping over HTTP/1.1 and wants OK", "[platform][docker]") {
  Canned fake({{"GET /v1.41/_ping", http_answer(200, "OK", "text/plain; charset=utf-8")}});
  REQUIRE(fake.api.ping());
  const auto request = fake.only_request();
  CHECK(request.headers.at("host") == "localhost");
  CHECK(request.body.empty());

  Canned odd({{"GET /v1.41/_ping", http_answer(200, "maybe", "text/plain")}});
  const auto status = odd.api.ping();
  REQUIRE_FALSE(status);
  CHECK(status.error().message == "the daemon answered 'maybe', not OK");
}

TEST_CASE("version maps the engine's release and API version", "[platform][docker]") {
  Canned fake(
      {{"GET /v1.41/version",
        http_answer(200, R"({"Version":"20.10.24+dfsg1","ApiVersion":"1.41","MinAPIVersion":"1.12"})")}});
  const auto v = fake.api.version();
  REQUIRE(v);
  CHECK(v->version == "20.10.24+dfsg1");
  CHECK(v->api_version == "1.41");
  CHECK(v->min_api_version == "1.12");
}

TEST_CASE("image_exists is true on 200, false on 404, an error otherwise", "[platform][docker]") {
  Canned fake({
      {"GET /v1.41/images/faultline-test/nginx:bookworm/json", http_answer(200, R"({"Id":"sha256:d0"})")},
      {"GET /v1.41/images/registry.example:5000/shop/web:1.4/json",
       http_answer(404, R"({"message":"no such image: registry.example:5000/shop/web:1.4"})")},
      {"GET /v1.41/images/broken/json", http_answer(500, R"({"message":"layer store failed"})")},
  });
  const auto present = fake.api.image_exists("faultline-test/nginx:bookworm");
  REQUIRE(present);
  CHECK(*present);
  const auto absent = fake.api.image_exists("registry.example:5000/shop/web:1.4");
  REQUIRE(absent);
  CHECK_FALSE(*absent);
  const auto broken = fake.api.image_exists("broken");
  REQUIRE_FALSE(broken);
  CHECK(broken.error().status == 500);
  CHECK(broken.error().message == "layer store failed");
  CHECK(broken.error().describe() == "Docker Engine API, GET /images/broken/json: 500 layer store failed");
}

TEST_CASE("pull asks for one tag and names the image when no registry is reachable", "[platform][docker]") {
  const std::string offline =
      R"({"message":"Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io: no such host"})";
  Canned fake({
      {"POST /v1.41/images/create?fromImage=nginx&tag=latest", http_answer(500, offline)},
      {"POST /v1.41/images/create?fromImage=registry.example%3A5000%2Fshop%2Fweb&tag=1.4",
       chunked_answer(
           200, {"{\"status\":\"Pulling from shop/web\"}\n",
                 "{\"errorDetail\":{\"message\":\"manifest unknown\"},\"error\":\"manifest unknown\"}\n"})},
      {"POST /v1.41/images/create?fromImage=haproxy&tag=2.8",
       chunked_answer(200, {"{\"status\":\"Pulling from library/haproxy\"}\n",
                            "{\"status\":\"Status: Downloaded newer image for haproxy:2.8\"}\n"})},
  });
  const auto offline_pull = fake.api.pull("nginx");
  REQUIRE_FALSE(offline_pull);
  CHECK(offline_pull.error().status == 500);
  CHECK(offline_pull.error().message.rfind("cannot pull image nginx (is a registry reachable?): Get ", 0) ==
        0);
  CHECK(offline_pull.error().message.find("no such host") != std::string::npos);

  const auto in_stream = fake.api.pull("registry.example:5000/shop/web:1.4");
  REQUIRE_FALSE(in_stream);
  CHECK(in_stream.error().status == 200);
  CHECK(in_stream.error().message ==
        "cannot pull image registry.example:5000/shop/web:1.4 (is a registry reachable?): manifest unknown");

  CHECK(fake.api.pull("haproxy:2.8"));
  CHECK(fake.daemon.requests().size() == 3);
}

TEST_CASE("An image reference splits into the name and the tag a pull takes", "[platform][docker]") {
  using Split = std::pair<std::string, std::string>;
  CHECK(split_image_ref("nginx") == Split{"nginx", "latest"});
  CHECK(split_image_ref("haproxy:2.8") == Split{"haproxy", "2.8"});
  CHECK(split_image_ref("registry:5000/shop/web") == Split{"registry:5000/shop/web", "latest"});
  CHECK(split_image_ref("registry:5000/shop/web:1.4") == Split{"registry:5000/shop/web", "1.4"});
  CHECK(split_image_ref("web@sha256:abcd") == Split{"web@sha256:abcd", ""});
}

TEST_CASE("A network is created, listed by label and removed", "[platform][docker]") {
  Canned fake({
      {"POST /v1.41/networks/create", http_answer(201, R"({"Id":"1395ab","Warning":""})")},
      {"GET /v1.41/networks?filters=%7B%22label%22%3A%5B%22org.faultline.run%3Dprobe1%22%5D%7D",
       http_answer(200, R"([{"Name":"faultline-probe1","Id":"1395ab","Driver":"bridge",
                            "Labels":{"org.faultline.run":"probe1"},"IPAM":{"Config":[{"Subnet":"10.213.1.0/24"}]}}])")},
      {"DELETE /v1.41/networks/faultline-probe1",
       http_answer(
           403,
           R"({"message":"error while removing network: network faultline-probe1 id 1395ab has active endpoints"})")},
  });
  NetworkSpec spec;
  spec.name = "faultline-probe1";
  spec.labels = {{"org.faultline.run", "probe1"}};
  spec.subnet = "10.213.1.0/24";
  spec.gateway = "10.213.1.1";
  spec.bridge_name = "fl-probe1";
  const auto id = fake.api.create_network(spec);
  REQUIRE(id);
  CHECK(*id == "1395ab");

  const auto list = fake.api.list_networks({"org.faultline.run=probe1"});
  REQUIRE(list);
  REQUIRE(list->size() == 1);
  CHECK(list->front().subnets == std::vector<std::string>{"10.213.1.0/24"});

  const auto removed = fake.api.remove_network("faultline-probe1");
  REQUIRE_FALSE(removed);
  CHECK(removed.error().status == 403);
  CHECK(removed.error().message.find("has active endpoints") != std::string::npos);

  const auto requests = fake.daemon.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[0].headers.at("content-type") == "application/json");
  CHECK(json::parse(requests[0].body) == network_create_body(spec));
  CHECK(requests[1].body.empty());
}

TEST_CASE("A taken network name is a conflict with the daemon's words", "[platform][docker]") {
  Canned fake({{"POST /v1.41/networks/create",
                http_answer(409, R"({"message":"network with name faultline-probe1 already exists"})")}});
  NetworkSpec spec;
  spec.name = "faultline-probe1";
  const auto id = fake.api.create_network(spec);
  REQUIRE_FALSE(id);
  CHECK(id.error().conflict());
  CHECK(id.error().describe() ==
        "Docker Engine API, POST /networks/create: 409 network with name faultline-probe1 already exists");
  CHECK(id.to_result().error().message == id.error().describe());
}

TEST_CASE("A container is created by name with its spec as the body", "[platform][docker]") {
  Canned fake({
      {"POST /v1.41/containers/create?name=fl-probe1-web1",
       http_answer(
           201, R"({"Id":"8e32a1","Warnings":["IPv4 forwarding is disabled. Networking will not work."]})")},
      {"POST /v1.41/containers/create?name=fl-x2",
       http_answer(404, R"({"message":"No such image: faultline-test/nope:bookworm"})")},
  });
  ContainerSpec spec;
  spec.name = "fl-probe1-web1";
  spec.image = "faultline-test/nginx:bookworm";
  spec.cmd = {"nginx", "-g", "daemon off;"};
  spec.network = "faultline-probe1";
  spec.ipv4 = "10.213.1.11";
  const auto created = fake.api.create_container(spec);
  REQUIRE(created);
  CHECK(created->id == "8e32a1");
  CHECK(created->warnings ==
        std::vector<std::string>{"IPv4 forwarding is disabled. Networking will not work."});
  CHECK(json::parse(fake.daemon.requests().at(0).body) == container_create_body(spec));

  ContainerSpec missing;
  missing.name = "fl-x2";
  missing.image = "faultline-test/nope:bookworm";
  const auto failed = fake.api.create_container(missing);
  REQUIRE_FALSE(failed);
  CHECK(failed.error().not_found());
  CHECK(failed.error().message == "No such image: faultline-test/nope:bookworm");
}

TEST_CASE("start, stop, kill, pause, unpause and remove send their verbs, and 304 counts as done",
          "[platform][docker]") {
  Canned fake({
      {"POST /v1.41/containers/web1/start", http_answer(304, "")},
      {"POST /v1.41/containers/web1/stop?t=5", http_answer(204, "")},
      {"POST /v1.41/containers/web1/kill?signal=SIGKILL", http_answer(204, "")},
      {"POST /v1.41/containers/web1/kill?signal=HUP",
       http_answer(409, R"({"message":"Cannot kill container: web1: Container e252 is not running"})")},
      {"POST /v1.41/containers/web1/pause", http_answer(204, "")},
      {"POST /v1.41/containers/web1/unpause",
       http_answer(500, R"({"message":"Container 8e32 is not paused"})")},
      {"DELETE /v1.41/containers/web1?force=1&v=1", http_answer(204, "")},
      {"DELETE /v1.41/containers/gone?force=0&v=0",
       http_answer(404, R"({"message":"No such container: gone"})")},
  });
  CHECK(fake.api.start("web1"));
  CHECK(fake.api.stop("web1", std::chrono::seconds(5)));
  CHECK(fake.api.kill("web1"));
  const auto hup = fake.api.kill("web1", "HUP");
  REQUIRE_FALSE(hup);
  CHECK(hup.error().conflict());
  CHECK(fake.api.pause("web1"));
  const auto unpause = fake.api.unpause("web1");
  REQUIRE_FALSE(unpause);
  CHECK(unpause.error().status == 500);
  CHECK(fake.api.remove("web1"));
  const auto gone = fake.api.remove("gone", false, false);
  REQUIRE_FALSE(gone);
  CHECK(gone.error().not_found());
  CHECK(gone.to_status().error().message ==
        "Docker Engine API, DELETE /containers/gone?force=0&v=0: 404 No such container: gone");
  CHECK(fake.daemon.requests().size() == 8);
}

TEST_CASE("A stop waits for the grace period on top of the client's timeout", "[platform][docker]") {
  // The fake answers after 600 ms, past the client's 300 ms but within the
  // 1 s grace the stop asked for.
  FakeDockerDaemon daemon([](const RecordedRequest&) -> std::optional<std::string> {
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    return http_answer(204, "");
  });
  DockerApi api(daemon.socket_path(), std::chrono::milliseconds(300));
  CHECK(api.stop("web1", std::chrono::seconds(1)));
  const auto start = api.start("web1");
  REQUIRE_FALSE(start);
  CHECK(start.error().status == 0);
}

TEST_CASE("inspect reads a container's state, networks, labels and mounts", "[platform][docker]") {
  Canned fake({{"GET /v1.41/containers/fl-probe1-lb/json", http_answer(200, R"({
    "Id":"b1c3","Name":"/fl-probe1-lb","Image":"sha256:d090","RestartCount":1,
    "State":{"Status":"paused","Running":true,"Paused":true,"Pid":9278,"ExitCode":0,
             "StartedAt":"2026-12-07T03:12:22.176090841Z"},
    "Config":{"Image":"faultline-test/haproxy:bookworm","Labels":{"org.faultline.node":"lb"}},
    "HostConfig":{"Init":true,"RestartPolicy":{"Name":"no"}},
    "Mounts":[{"Type":"bind","Source":"/run/x/hap","Destination":"/run/fl","RW":true}],
    "NetworkSettings":{"Networks":{"faultline-probe1":{"IPAddress":"10.213.1.10"}}}})")}});
  const auto info = fake.api.inspect("fl-probe1-lb");
  REQUIRE(info);
  CHECK(info->name == "fl-probe1-lb");
  CHECK(info->state.status == "paused");
  CHECK(info->state.paused);
  CHECK(info->state.pid == 9278);
  CHECK(info->restart_count == 1);
  CHECK(info->networks.at("faultline-probe1").ip == "10.213.1.10");
  CHECK(info->labels.at("org.faultline.node") == "lb");
  REQUIRE(info->mounts.size() == 1);
  CHECK(info->mounts[0].source == "/run/x/hap");

  const auto missing = fake.api.inspect("nope");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().not_found());
  CHECK(missing.error().message == "page not found");
}

TEST_CASE("list_containers asks for all containers by URL-encoded label filters, and reads a chunked answer",
          "[platform][docker]") {
  // The target as the probe sent it with curl, less the spaces of its JSON.
  const std::string target =
      "GET /v1.41/containers/json?all=1&filters="
      "%7B%22label%22%3A%5B%22org.faultline.run%3Dprobe1%22%2C%22org.faultline.node%3Dlb%22%5D%7D";
  Canned fake(std::map<std::string, std::string>{
      {target, chunked_answer(200, {R"([{"Id":"b1c3","Names":["/fl-probe1-lb"],)",
                                    R"("State":"running","Labels":{"org.faultline.node":"lb"}},)",
                                    R"({"Id":"e252","Names":["/fl-probe1-lb-old"],"State":"exited"}])"})}});
  const auto list = fake.api.list_containers({"org.faultline.run=probe1", "org.faultline.node=lb"});
  REQUIRE(list);
  REQUIRE(list->size() == 2);
  CHECK(list->at(0).names == std::vector<std::string>{"fl-probe1-lb"});
  CHECK(list->at(0).labels.at("org.faultline.node") == "lb");
  CHECK(list->at(1).state == "exited");
}

TEST_CASE("Without labels a list asks for everything, with no filters", "[platform][docker]") {
  Canned fake({{"GET /v1.41/containers/json?all=1", http_answer(200, "[]")},
               {"GET /v1.41/networks", http_answer(200, R"([{"Name":"bridge","Id":"9a"}])")}});
  const auto containers = fake.api.list_containers({});
  REQUIRE(containers);
  CHECK(containers->empty());
  const auto networks = fake.api.list_networks({});
  REQUIRE(networks);
  REQUIRE(networks->size() == 1);
  CHECK(networks->front().name == "bridge");
}

TEST_CASE("An answer cut short is an error, not a short body", "[platform][docker]") {
  FakeDockerDaemon daemon([](const RecordedRequest&) -> std::optional<std::string> {
    return std::string(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n[{\"Id\":");
  });
  DockerApi api(daemon.socket_path(), std::chrono::seconds(2));
  const auto list = api.list_containers({});
  REQUIRE_FALSE(list);
  CHECK(list.error().status == 0);
  CHECK(list.error().message.rfind("no complete answer on the Docker daemon's socket " + daemon.socket_path(),
                                   0) == 0);
}

TEST_CASE("logs are split into stdout and stderr", "[platform][docker]") {
  const std::string framed =
      std::string("\x01\0\0\0\0\0\0\x03", 8) + "up\n" + std::string("\x02\0\0\0\0\0\0\x04", 8) + "oops";
  Canned fake({{"GET /v1.41/containers/web1/logs?stdout=1&stderr=1&tail=3",
                http_answer(200, framed, "application/vnd.docker.raw-stream")},
               {"GET /v1.41/containers/tty/logs?stdout=1&stderr=1&tail=all",
                http_answer(200, "raw tty output\n", "application/vnd.docker.raw-stream")}});
  const auto logs = fake.api.logs("web1", 3);
  REQUIRE(logs);
  CHECK(logs->out == "up\n");
  CHECK(logs->err == "oops");
  const auto tty = fake.api.logs("tty");
  REQUIRE(tty);
  CHECK(tty->out == "raw tty output\n");
  CHECK(tty->err.empty());
}

TEST_CASE("An answer that is not JSON where JSON is due is an error", "[platform][docker]") {
  Canned fake({{"GET /v1.41/version", http_answer(200, "<html>proxy</html>", "text/html")}});
  const auto v = fake.api.version();
  REQUIRE_FALSE(v);
  CHECK(v.error().status == 200);
  CHECK(v.error().message == "the answer is not JSON: '<html>proxy</html>'");
}

TEST_CASE("A daemon that never answers makes the call fail within its timeout", "[platform][docker]") {
  FakeDockerDaemon daemon([](const RecordedRequest&) -> std::optional<std::string> { return std::nullopt; });
  DockerApi api(daemon.socket_path(), std::chrono::milliseconds(300));
  const auto start = std::chrono::steady_clock::now();
  const auto status = api.ping();
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(status);
  CHECK(status.error().status == 0);
  CHECK(status.error().message ==
        "the Docker daemon at " + daemon.socket_path() + " did not answer within 300 ms");
  CHECK(took >= std::chrono::milliseconds(250));
  CHECK(took < std::chrono::seconds(3));
  CHECK(daemon.requests().size() == 1);
}

TEST_CASE("A socket path too long for a Unix socket is an error, not an exception", "[platform][docker]") {
  const std::string path = "/tmp/" + std::string(200, 'x') + "/docker.sock";
  const auto status = DockerApi(path).ping();
  REQUIRE_FALSE(status);
  CHECK(status.error().message == "the Docker socket path " + path + " is too long for a Unix socket");
}

TEST_CASE("No daemon on the socket is said plainly", "[platform][docker]") {
  DockerApi api("/nonexistent/faultline/docker.sock", std::chrono::milliseconds(300));
  const auto status = api.ping();
  REQUIRE_FALSE(status);
  CHECK(status.error().status == 0);
  CHECK(status.error().message.rfind(
            "cannot connect to the Docker daemon at /nonexistent/faultline/docker.sock (", 0) == 0);
  CHECK(status.error().message.find("is dockerd running?") != std::string::npos);
}

TEST_CASE("url_encode keeps unreserved characters only, and its path form also keeps / : @",
          "[platform][docker]") {
  CHECK(url_encode("a-z_0.9~") == "a-z_0.9~");
  CHECK(url_encode("{\"label\":[\"k=v\"]}") == "%7B%22label%22%3A%5B%22k%3Dv%22%5D%7D");
  CHECK(url_encode("a b/c") == "a%20b%2Fc");
  CHECK(url_encode_path("registry:5000/shop/web@sha256:ab") == "registry:5000/shop/web@sha256:ab");
  CHECK(url_encode_path("odd name?") == "odd%20name%3F");
}

}  // namespace
}  // namespace faultline::platform
