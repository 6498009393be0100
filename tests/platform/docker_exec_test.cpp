// DockerApi::exec against the fake daemon: the three calls an exec takes,
// the start answer read as dockerd sends it (200, no length, the raw
// stream until the connection closes), and the exit code waited for.

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "harness/platform/docker_api.h"
#include "tests/platform/fake_docker_daemon.h"

namespace faultline::platform {
namespace {

using faultline::testing::FakeDockerDaemon;
using faultline::testing::http_answer;
using faultline::testing::RecordedRequest;
using nlohmann::json;

// How dockerd 20.10 answers an exec start without an Upgrade header: the
// status line, its headers, then the command's output in frames, and the
// end of the output is the end of the connection.
std::string hijacked(const std::string& frames) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\nApi-Version: 1.41\r\n\r\n" +
         frames;
}

std::string frame(char stream, const std::string& text) {
  std::string head("\0\0\0\0\0\0\0\0", 8);
  head[0] = stream;
  head[7] = static_cast<char>(text.size());
  return head + text;
}

TEST_CASE("exec creates, starts and inspects, and gives the command's output and exit code",
          "[platform][docker]") {
  int inspections = 0;
  FakeDockerDaemon daemon([&](const RecordedRequest& r) -> std::optional<std::string> {
    if (r.method == "POST" && r.target == "/v1.41/containers/faultline-abc123-lb/exec") {
      return http_answer(201, R"({"Id":"e1"})");
    }
    if (r.method == "POST" && r.target == "/v1.41/exec/e1/start") {
      return hijacked(frame(1, "checking\n") + frame(2, "[ALERT] bad line\n"));
    }
    if (r.method == "GET" && r.target == "/v1.41/exec/e1/json") {
      // Still running at the first look, as right after the stream ends.
      ++inspections;
      return inspections == 1 ? http_answer(200, R"({"Running":true,"ExitCode":null})")
                              : http_answer(200, R"({"Running":false,"ExitCode":1})");
    }
    return http_answer(404, R"({"message":"page not found"})");
  });
  DockerApi api(daemon.socket_path(), std::chrono::seconds(5));
  const auto ran = api.exec("faultline-abc123-lb", {"haproxy", "-c", "-f", "/etc/haproxy/haproxy.cfg"});
  REQUIRE(ran);
  CHECK(ran->exit_code == 1);
  CHECK(ran->out == "checking\n");
  CHECK(ran->err == "[ALERT] bad line\n");
  CHECK(inspections == 2);

  const auto requests = daemon.requests();
  REQUIRE(requests.size() == 4);
  const json create = json::parse(requests[0].body);
  CHECK(create["Cmd"] == json({"haproxy", "-c", "-f", "/etc/haproxy/haproxy.cfg"}));
  CHECK(create["AttachStdout"] == true);
  CHECK(create["AttachStderr"] == true);
  CHECK(create["Tty"] == false);
  const json start = json::parse(requests[1].body);
  CHECK(start["Detach"] == false);
  CHECK(start["Tty"] == false);
}

TEST_CASE("exec in a container that is not running fails with the daemon's 409", "[platform][docker]") {
  FakeDockerDaemon daemon([](const RecordedRequest&) -> std::optional<std::string> {
    return http_answer(409, R"({"message":"Container abc is not running"})");
  });
  DockerApi api(daemon.socket_path(), std::chrono::seconds(5));
  const auto ran = api.exec("abc", {"nginx", "-t"});
  REQUIRE_FALSE(ran);
  CHECK(ran.error().conflict());
  CHECK(ran.error().message == "Container abc is not running");
  CHECK(ran.error().call == "POST /containers/abc/exec");
}

TEST_CASE("exec whose command never exits fails within its timeout", "[platform][docker]") {
  FakeDockerDaemon daemon([](const RecordedRequest& r) -> std::optional<std::string> {
    if (r.target == "/v1.41/containers/c/exec") {
      return http_answer(201, R"({"Id":"e2"})");
    }
    if (r.target == "/v1.41/exec/e2/start") {
      return hijacked("");
    }
    return http_answer(200, R"({"Running":true,"ExitCode":null})");
  });
  DockerApi api(daemon.socket_path(), std::chrono::seconds(5));
  const auto t0 = std::chrono::steady_clock::now();
  const auto ran = api.exec("c", {"sleep", "100"}, std::chrono::milliseconds(300));
  REQUIRE_FALSE(ran);
  CHECK(ran.error().message == "the command sleep 100 did not exit within 300 ms");
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3));
}

}  // namespace
}  // namespace faultline::platform
