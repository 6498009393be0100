// The preflight of runtime docker: a daemon that answers, and every image
// the stack names on its host (see preflight.h). Apart from preflight.cpp,
// whose checks are this machine's own.

#include <fmt/format.h>

#include <set>

#include "harness/common/text.h"
#include "harness/platform/docker_api.h"
#include "harness/runner/preflight.h"

namespace faultline::runner {

namespace {

// The images scripts/test-images.sh builds from Debian packages. No
// registry has them, so one that is missing is built, never pulled: a pull
// would ask Docker Hub for a name that is not faultline's.
constexpr const char* kTestImagePrefix = "faultline-test/";

PreflightCheck image_check(const PreflightProbes& p, const std::string& image) {
  const auto [ok, found] = p.docker_image(image);
  PreflightCheck c{"image " + image, ok, found, ""};
  if (!ok) {
    c.fix = starts_with(image, kTestImagePrefix)
                ? "build the test images: scripts/test-images.sh (faultline-test/nginx:bookworm and "
                  "faultline-test/haproxy:bookworm, from Debian packages, no registry needed)"
                : fmt::format(
                      "docker pull {} where its registry answers (or docker load it from a saved "
                      "tar), then run again",
                      image);
  }
  return c;
}

}  // namespace

std::vector<PreflightCheck> docker_checks(const experiment::Experiment& exp, const PreflightProbes& p) {
  std::vector<PreflightCheck> out;
  if (!p.docker_daemon || !p.docker_image) {
    return out;
  }
  const auto [up, found] = p.docker_daemon();
  out.push_back({"docker daemon", up, found,
                 up ? ""
                    : "start dockerd (scripts/dockerd.sh start starts one that leaves the host's "
                      "firewall alone; or systemctl start docker)"});
  if (!up) {
    // Every image check would only repeat that the daemon is not there.
    return out;
  }
  std::set<std::string> seen;
  for (const auto& s : exp.stack.services) {
    if (!s.image.empty() && seen.insert(s.image).second) {
      out.push_back(image_check(p, s.image));
    }
  }
  return out;
}

void add_docker_probes(PreflightProbes& probes, bool may_pull, const std::string& socket) {
  probes.docker_daemon = [socket]() -> std::pair<bool, std::string> {
    platform::DockerApi api(socket);
    if (auto st = api.ping(); !st) {
      return {false, st.error().describe()};
    }
    auto version = api.version();
    if (!version) {
      return {false, version.error().describe()};
    }
    return {true, fmt::format("dockerd {} at {} (API {}; faultline speaks {})", version->version, socket,
                              version->api_version, platform::kDockerApiVersion)};
  };
  probes.docker_image = [socket, may_pull](const std::string& image) -> std::pair<bool, std::string> {
    platform::DockerApi api(socket);
    auto there = api.image_exists(image);
    if (!there) {
      return {false, there.error().describe()};
    }
    if (*there) {
      return {true, "on the Docker host"};
    }
    if (!may_pull || starts_with(image, kTestImagePrefix)) {
      return {false, "not on the Docker host"};
    }
    // The daemon asks the image's registry; with none reachable it fails
    // (at once without a route; after the resolver's timeouts without a
    // name server), and the words name the image.
    if (auto pulled = api.pull(image); !pulled) {
      return {false, "not on the Docker host, and " + pulled.error().message};
    }
    return {true, "pulled from its registry"};
  };
}

}  // namespace faultline::runner
