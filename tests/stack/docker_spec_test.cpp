// The docker runtime's names and the network and containers it asks the
// daemon for, from a plan: no daemon needed.

#include "harness/stack/docker_spec.h"

#include <catch2/catch.hpp>

#include "harness/platform/docker_json.h"
#include "harness/stack/names.h"
#include "harness/stack/run_registry.h"
#include "tests/stack/stack_fixtures.h"

namespace faultline::stack::docker {
namespace {

using experiment::ServiceKind;
using testing::fixed_plan;
using testing::lb_experiment;

const RunIdentity kId{"abc123", "/run/faultline/abc123"};

experiment::Experiment docker_experiment() {
  auto exp = lb_experiment(ServiceKind::haproxy);
  exp.stack.runtime = experiment::kRuntimeDocker;
  for (auto& s : exp.stack.services) {
    s.image =
        s.kind == ServiceKind::haproxy ? "faultline-test/haproxy:bookworm" : "faultline-test/nginx:bookworm";
    s.config_path = experiment::default_config_path(s.kind);
  }
  return exp;
}

TEST_CASE("docker names carry the run id and the bridge name fits a link name", "[stack][docker]") {
  CHECK(network_name("abc123") == "faultline-abc123");
  CHECK(container_name("abc123", "web1") == "faultline-abc123-web1");
  CHECK(docker_bridge_name("abc123") == "fld-abc123");
  CHECK(docker_bridge_name("abc123").size() <= kMaxLinkName);
  // Not the netns runtime's bridge, so the two never claim one name.
  CHECK(docker_bridge_name("abc123") != bridge_name("abc123"));
  // And no pattern of the netns cleanup takes it for its own.
  CHECK_FALSE(run_id_of_link(docker_bridge_name("abc123")).has_value());
}

TEST_CASE("the docker plan keeps the addresses and drops what Docker names", "[stack][docker]") {
  const auto exp = docker_experiment();
  const Plan plan = docker_plan(fixed_plan(exp), "abc123");
  CHECK(plan.bridge == "fld-abc123");
  CHECK(plan.subnet == "10.213.7.0/24");
  REQUIRE(plan.services.size() == 3);
  CHECK(plan.services[1].address == "10.213.7.11");
  for (const auto& s : plan.services) {
    CHECK(s.netns.empty());
    CHECK(s.host_veth.empty());
  }
}

TEST_CASE("the run's network has the plan's subnet, the host as gateway and the run's label",
          "[stack][docker]") {
  const auto exp = docker_experiment();
  const Plan plan = docker_plan(fixed_plan(exp), kId.run_id);
  const auto body = platform::network_create_body(network_spec(plan, kId));
  CHECK(body["Name"] == "faultline-abc123");
  CHECK(body["Labels"]["org.faultline.run"] == "abc123");
  CHECK(body["IPAM"]["Config"][0]["Subnet"] == "10.213.7.0/24");
  CHECK(body["IPAM"]["Config"][0]["Gateway"] == "10.213.7.1");
  CHECK(body["Options"]["com.docker.network.bridge.name"] == "fld-abc123");
}

TEST_CASE("a server's foreground command reads its config where it is mounted", "[stack][docker]") {
  ServerSetup rendered;
  rendered.config = "/etc/haproxy/haproxy.cfg";
  CHECK(server_command(ServiceKind::haproxy, rendered, "") ==
        std::vector<std::string>{"haproxy", "-W", "-db", "-f", "/etc/haproxy/haproxy.cfg"});
  // faultline's own nginx config says `daemon off;` already (so does a
  // team config's copy), and nginx refuses a directive given twice.
  rendered.config = "/etc/nginx/nginx.conf";
  CHECK(server_command(ServiceKind::nginx, rendered, "/run/x/web1") ==
        std::vector<std::string>{"nginx", "-c", "/etc/nginx/nginx.conf", "-e", "/run/x/web1/error.log"});
  // A team config's copy reads relative paths from the folders it would on
  // the netns runtime.
  ServerSetup team;
  team.config = "/run/x/lb/haproxy.cfg";
  team.base_dir = "/srv/team/lb";
  CHECK(
      server_command(ServiceKind::haproxy, team, "") ==
      std::vector<std::string>{"haproxy", "-W", "-db", "-f", "/run/x/lb/haproxy.cfg", "-C", "/srv/team/lb"});
  team.config = "/run/x/lb/config/nginx.conf";
  team.base_dir = "/run/x/lb/config";
  CHECK(server_command(ServiceKind::nginx, team, "/run/x/lb") ==
        std::vector<std::string>{"nginx", "-c", "/run/x/lb/config/nginx.conf", "-p", "/run/x/lb/config/",
                                 "-e", "/run/x/lb/error.log"});
}

TEST_CASE("a team config's container mounts the team's folder read-only, and no file at the image's path",
          "[stack][docker]") {
  const auto exp = docker_experiment();
  const Plan plan = docker_plan(fixed_plan(exp), kId.run_id);
  ServerSetup team;
  team.config = "/run/faultline/abc123/web1/config/nginx.conf";
  team.base_dir = "/run/faultline/abc123/web1/config";
  team.team_dir = "/srv/team/web";
  const auto body = platform::container_create_body(
      container_spec(exp.stack.services[1], plan.services[1], kId, team, "/run/faultline/abc123/web1"));
  CHECK(body["HostConfig"]["Binds"] == nlohmann::json::array({"/run/faultline/abc123:/run/faultline/abc123",
                                                              "/srv/team/web:/srv/team/web:ro"}));
  CHECK(body["Cmd"][2] == "/run/faultline/abc123/web1/config/nginx.conf");
}

TEST_CASE("a service's container: image, config mounted read-only, run folder, init, address, labels",
          "[stack][docker]") {
  auto exp = docker_experiment();
  exp.stack.services[1].config_path = "/srv/web.conf";
  const Plan plan = docker_plan(fixed_plan(exp), kId.run_id);
  const auto spec =
      container_spec(exp.stack.services[1], plan.services[1], kId,
                     rendered_setup(exp.stack.services[1], "/run/faultline/abc123/web1/nginx.conf"),
                     "/run/faultline/abc123/web1");
  const auto body = platform::container_create_body(spec);
  CHECK(spec.name == "faultline-abc123-web1");
  CHECK(body["Image"] == "faultline-test/nginx:bookworm");
  CHECK(body["Cmd"][0] == "nginx");
  CHECK(body["Cmd"][2] == "/srv/web.conf");
  CHECK(body["Labels"]["org.faultline.run"] == "abc123");
  CHECK(body["Labels"]["org.faultline.service"] == "web1");
  REQUIRE(body["HostConfig"]["Binds"].size() == 2);
  CHECK(body["HostConfig"]["Binds"][0] == "/run/faultline/abc123/web1/nginx.conf:/srv/web.conf:ro");
  CHECK(body["HostConfig"]["Binds"][1] == "/run/faultline/abc123:/run/faultline/abc123");
  CHECK(body["HostConfig"]["Init"] == true);
  CHECK(body["HostConfig"]["NetworkMode"] == "faultline-abc123");
  const auto& endpoint = body["NetworkingConfig"]["EndpointsConfig"]["faultline-abc123"];
  CHECK(endpoint["IPAMConfig"]["IPv4Address"] == "10.213.7.11");
  CHECK(endpoint["Aliases"] == nlohmann::json::array({"web1"}));
}

TEST_CASE("the run's network and containers name this process as their owner", "[stack][docker]") {
  const auto exp = docker_experiment();
  const Plan plan = docker_plan(fixed_plan(exp), kId.run_id);
  const auto network = network_spec(plan, kId);
  const auto container =
      container_spec(exp.stack.services[1], plan.services[1], kId,
                     rendered_setup(exp.stack.services[1], "/run/faultline/abc123/web1/nginx.conf"), "");
  for (const auto* labels : {&network.labels, &container.labels}) {
    REQUIRE(labels->count(kOwnerLabel) == 1);
    // The token the netns runtime writes into its links' aliases, so that
    // cleanup judges both runtimes' leftovers alike.
    CHECK(labels->at(kOwnerLabel) == owner_token());
    CHECK(owner_token_alive(labels->at(kOwnerLabel)));
    CHECK(labels->at(kRunLabel) == "abc123");
  }
  CHECK(container.labels.at(kServiceLabel) == "web1");
  CHECK(network.labels.count(kServiceLabel) == 0);
}

TEST_CASE("config_path falls back to the kind's default", "[stack][docker]") {
  auto exp = docker_experiment();
  exp.stack.services[0].config_path.clear();
  CHECK(config_path_in_container(exp.stack.services[0]) ==
        experiment::default_config_path(ServiceKind::haproxy));
  CHECK_FALSE(config_path_in_container(exp.stack.services[0]).empty());
}

}  // namespace
}  // namespace faultline::stack::docker
