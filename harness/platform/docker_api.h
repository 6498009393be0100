#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "harness/platform/docker_http.h"
#include "harness/platform/docker_result.h"
#include "harness/platform/docker_types.h"

// A client for the Docker Engine API on the daemon's Unix socket: the calls
// faultline needs to run a stack in containers, or to find and drill the
// containers of a Compose project a team already runs. No docker CLI is run.
namespace faultline::platform {

// Every call names this version in its path (/v1.41/...): Debian 12's
// docker.io (20.10) speaks at most 1.41, and a newer daemon still serves it.
inline constexpr const char* kDockerApiVersion = "1.41";
inline constexpr const char* kDockerSocket = "/var/run/docker.sock";

// Each call is one HTTP exchange on a connection of its own, bounded by the
// client's timeout (a stop also waits for its grace period, a pull by its
// own timeout). A call fails with the daemon's status and {"message"}; an
// answer of 304 ("already started", "already stopped") counts as done.
class DockerApi {
 public:
  explicit DockerApi(std::string socket_path = kDockerSocket,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10))
      : http_(std::move(socket_path)), timeout_(timeout) {}

  // GET /_ping: the daemon is there and answers "OK".
  DockerStatus ping() const;
  // GET /version.
  DockerResult<DockerVersion> version() const;

  // GET /images/{ref}/json: false on 404.
  DockerResult<bool> image_exists(const std::string& ref) const;
  // POST /images/create?fromImage=...&tag=...: pulls `ref` (":latest" when it
  // names no tag or digest; without one the daemon would pull every tag).
  // Fails naming the image when no registry is reachable, whether the
  // daemon says so at once (500) or inside its progress stream (200).
  DockerStatus pull(const std::string& ref,
                    std::chrono::milliseconds timeout = std::chrono::minutes(5)) const;

  // POST /networks/create: the network's id. 409 when the name is taken.
  DockerResult<std::string> create_network(const NetworkSpec& spec) const;
  // DELETE /networks/{name or id}: 404 when absent, 403 while containers
  // are still attached.
  DockerStatus remove_network(const std::string& network) const;
  // GET /networks?filters=...: the networks carrying every label given,
  // each "key" or "key=value"; every network for none.
  DockerResult<std::vector<NetworkInfo>> list_networks(const std::vector<std::string>& labels) const;

  // POST /containers/create?name=...: 404 for a missing image, 409 for a
  // name in use.
  DockerResult<CreatedContainer> create_container(const ContainerSpec& spec) const;
  // POST /containers/{id}/start.
  DockerStatus start(const std::string& container) const;
  // POST /containers/{id}/stop?t=...: the daemon sends the stop signal,
  // waits `grace`, then kills; the call waits as long.
  DockerStatus stop(const std::string& container, std::chrono::seconds grace) const;
  // POST /containers/{id}/kill?signal=...: 409 when not running. The daemon
  // then counts the container as stopped by hand, so its restart policy no
  // longer applies (even for a HUP): to simulate a crash, or to make a
  // server reload, signal State.Pid from the host instead.
  DockerStatus kill(const std::string& container, const std::string& signal = "SIGKILL") const;
  // DELETE /containers/{id}?force=...&v=...: 404 when absent.
  DockerStatus remove(const std::string& container, bool force = true, bool volumes = true) const;
  // POST /containers/{id}/pause and /unpause (the freezer cgroup). A second
  // pause is a 409; an unpause of a running container a 500.
  DockerStatus pause(const std::string& container) const;
  DockerStatus unpause(const std::string& container) const;
  // GET /containers/{id}/json.
  DockerResult<ContainerInfo> inspect(const std::string& container) const;
  // GET /containers/json?all=1&filters=...: the containers, stopped ones
  // included, that carry every label given ("key" or "key=value"); every
  // container for none.
  DockerResult<std::vector<ContainerSummary>> list_containers(const std::vector<std::string>& labels) const;
  // GET /containers/{id}/logs?stdout=1&stderr=1&tail=...: the last `tail`
  // lines of each stream (all of them when `tail` is 0). A container with a
  // TTY has one stream, given as `out`.
  DockerResult<ContainerLogs> logs(const std::string& container, int tail = 0) const;

  // Runs `cmd` inside the running container as the daemon runs an exec
  // (docker_exec.cpp): POST /containers/{id}/exec, then /exec/{id}/start,
  // whose answer streams the command's output until it exits, then GET
  // /exec/{id}/json for its exit code. The command sees the container's
  // file system, namespaces, environment and cgroup: the image's own
  // binaries and the files as the container has them mounted. Bounded by
  // `timeout` as a whole; 409 when the container is not running.
  DockerResult<ExecResult> exec(const std::string& container, const std::vector<std::string>& cmd,
                                std::chrono::milliseconds timeout = std::chrono::seconds(20)) const;

  const std::string& socket_path() const { return http_.socket_path(); }

 private:
  // One call: `method` on /v1.41`path`, `body` as JSON. The answer when its
  // status is 2xx or 304; otherwise the daemon's status and message.
  DockerResult<HttpAnswer> call(const std::string& method, const std::string& path,
                                const std::string& body = "") const;
  DockerResult<HttpAnswer> call(const std::string& method, const std::string& path, const std::string& body,
                                std::chrono::milliseconds timeout) const;
  // A call that gives nothing back.
  DockerStatus act(const std::string& method, const std::string& path) const;

  DockerHttp http_;
  std::chrono::milliseconds timeout_;
};

// Splits an image reference into the fromImage and tag a pull takes:
// "registry:5000/shop/web:1.4" -> {"registry:5000/shop/web", "1.4"},
// "nginx" -> {"nginx", "latest"}, and a digest reference is kept whole
// with an empty tag.
std::pair<std::string, std::string> split_image_ref(const std::string& ref);

}  // namespace faultline::platform
