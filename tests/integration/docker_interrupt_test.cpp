// runtime docker on every way a run is stopped from outside: SIGINT or
// SIGTERM, during the load or while the stack is still coming up, tears the
// stack down and leaves none of the run's containers, network, bridge,
// processes or registry folder; after a SIGKILL they are all still there,
// and `faultline cleanup` removes them. interrupt_test.cpp does the same
// for the netns runtime's faults.
//
// Needs root, a Docker daemon (scripts/dockerd.sh start) and the test
// images (scripts/test-images.sh); without them it is skipped where it is
// allowed to be (tests/skip.h). Everything it looks at is found by the run
// id, so the runs of others on the same daemon are never counted or touched.

#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "harness/platform/docker_api.h"
#include "journal_helpers.h"
#include "tests/skip.h"

using namespace faultline::testing;
namespace platform = faultline::platform;

namespace {

const std::vector<std::string> kImages = {"faultline-test/haproxy:bookworm", "faultline-test/nginx:bookworm"};

// What this machine lacks for the test, or nothing.
std::string docker_missing() {
  if (!is_root()) {
    return "needs root for runtime docker (CI runs as root)";
  }
  const platform::DockerApi api;
  if (auto st = api.ping(); !st) {
    return "needs a Docker daemon (scripts/dockerd.sh start): " + st.error().describe();
  }
  for (const auto& image : kImages) {
    auto there = api.image_exists(image);
    if (!there || !*there) {
      return "needs the image " + image + " (scripts/test-images.sh)";
    }
  }
  return {};
}

// HAProxy before two nginx from the test images, under a load far longer
// than the test waits.
std::string write_experiment(const std::string& dir) {
  const std::string path = dir + "/experiment.yaml";
  std::ofstream(path) << "version: 1\n"
                         "title: Interrupted on runtime docker\n"
                         "stack:\n"
                         "  runtime: docker\n"
                         "  services:\n"
                         "    lb: { kind: haproxy, image: "
                      << kImages[0]
                      << ", backends: [web1, web2] }\n"
                         "    web1: { kind: nginx, image: "
                      << kImages[1]
                      << " }\n"
                         "    web2: { kind: nginx, image: "
                      << kImages[1]
                      << " }\n"
                         "load: { target: lb, rate: 100/s, connections: 4, timeout: 1s, duration: 60s }\n"
                         "expect: hold\n";
  return path;
}

// The run's containers and networks as the daemon lists them by the run's
// label, one line each.
std::string docker_leftovers(const std::string& run_id) {
  const platform::DockerApi api;
  const std::vector<std::string> label = {"org.faultline.run=" + run_id};
  std::string left;
  if (auto containers = api.list_containers(label)) {
    for (const auto& c : *containers) {
      left += "container " + (c.names.empty() ? c.id : c.names.front()) + " (" + c.state + ")\n";
    }
  } else {
    left += "cannot list containers: " + containers.error().describe() + "\n";
  }
  if (auto networks = api.list_networks(label)) {
    for (const auto& n : *networks) {
      left += "network " + n.name + "\n";
    }
  } else {
    left += "cannot list networks: " + networks.error().describe() + "\n";
  }
  return left;
}

// Everything of the run still on the machine: the netns runtime's list
// (links such as the bridge fld-<id>, processes whose command line names
// the run folder, which the containers' servers do, the registry folder)
// and the daemon's.
std::string all_leftovers(const std::string& run_id) {
  return leftovers(run_id) + docker_leftovers(run_id);
}

struct Started {
  std::string out;
  std::string log;
  std::string run_id;
  pid_t pid = -1;
};

// Starts the run and waits for `text` in its log.
Started start_until(const std::string& name, const std::string& text) {
  Started r;
  r.out = fresh_out_dir("docker_interrupt/" + name);
  r.log = r.out + "/faultline.log";
  r.pid = start_run(write_experiment(r.out), r.out);
  const bool seen = wait_for_text(r.log, text, std::chrono::seconds(60));
  r.run_id = run_id_from_log(r.log);
  if (!seen || r.run_id.empty()) {
    kill(r.pid, SIGKILL);
    wait_for(r.pid, std::chrono::seconds(10));
  }
  INFO("log:\n" << read_file(r.log));
  REQUIRE(seen);
  REQUIRE_FALSE(r.run_id.empty());
  return r;
}

// Stops a run by `sig` and checks it ended as interrupted and left nothing.
void stop_and_check(const Started& r, int sig) {
  kill(r.pid, sig);
  const int code = wait_for(r.pid, std::chrono::seconds(60));
  INFO("log:\n" << read_file(r.log));
  CHECK(code == 130);
  const json j = json::parse(read_file(r.out + "/journal.json"));
  CHECK(j["status"] == "interrupted");
  const std::string left = all_leftovers(r.run_id);
  INFO("left behind:\n" << left);
  CHECK(left.empty());
}

}  // namespace

TEST_CASE("runtime docker stopped by SIGINT or SIGTERM under load leaves no container or network",
          "[integration][signals][docker-runtime]") {
  if (const std::string missing = docker_missing(); !missing.empty()) {
    FAULTLINE_SKIP(missing);
  }
  for (const int sig : {SIGINT, SIGTERM}) {
    INFO("signal " << sig);
    const auto r = start_until("load_" + std::to_string(sig), "stack up in");
    // The load is running; the containers are the run's, found by its label.
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    REQUIRE_FALSE(docker_leftovers(r.run_id).empty());
    stop_and_check(r, sig);
  }
}

TEST_CASE("runtime docker stopped by SIGTERM while its containers start leaves nothing",
          "[integration][signals][docker-runtime]") {
  if (const std::string missing = docker_missing(); !missing.empty()) {
    FAULTLINE_SKIP(missing);
  }
  // The network is made and the containers are on their way: the signal
  // lands in the middle of the bring-up, which ends before the teardown.
  const auto r = start_until("bring_up", "network faultline-");
  stop_and_check(r, SIGTERM);
}

TEST_CASE("after a SIGKILL on runtime docker, faultline cleanup removes its containers and network",
          "[integration][signals][sigkill][docker-runtime]") {
  if (const std::string missing = docker_missing(); !missing.empty()) {
    FAULTLINE_SKIP(missing);
  }
  const auto r = start_until("sigkill", "stack up in");
  kill(r.pid, SIGKILL);
  CHECK(wait_for(r.pid, std::chrono::seconds(30)) == 128 + SIGKILL);
  // The containers outlive their owner: cleanup has work to do.
  const std::string before = docker_leftovers(r.run_id);
  INFO("after the SIGKILL:\n" << before);
  CHECK(before.find("container faultline-" + r.run_id + "-lb") != std::string::npos);
  CHECK(before.find("network faultline-" + r.run_id) != std::string::npos);

  const std::string cleanup_log = r.out + "/cleanup.log";
  const int code = run({FAULTLINE_BINARY, "cleanup"}, cleanup_log, std::chrono::seconds(60));
  const std::string said = read_file(cleanup_log);
  INFO("cleanup:\n" << said);
  CHECK(code == 0);
  CHECK(said.find("run " + r.run_id + ": container faultline-" + r.run_id + "-web1") != std::string::npos);
  CHECK(said.find("run " + r.run_id + ": Docker network faultline-" + r.run_id) != std::string::npos);
  const std::string left = all_leftovers(r.run_id);
  INFO("left behind:\n" << left);
  CHECK(left.empty());
}
