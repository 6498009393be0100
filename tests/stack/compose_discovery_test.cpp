// runtime compose: finding a project's containers by their labels, and the
// refusals that list what exists, against a fake daemon.

#include "harness/stack/compose_discovery.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "harness/common/scratch_dir.h"
#include "harness/common/text.h"
#include "harness/stack/compose_stack.h"
#include "harness/stack/run_registry.h"
#include "harness/stack/runtime.h"
#include "tests/platform/fake_docker_daemon.h"

namespace faultline::stack::compose {
namespace {

using experiment::ServiceKind;
using faultline::testing::FakeDockerDaemon;
using faultline::testing::http_answer;
using faultline::testing::RecordedRequest;

ProjectContainer container(const std::string& service, int number, const std::string& state = "running") {
  return {"id-" + service + std::to_string(number), "shop_" + service + "_" + std::to_string(number), service,
          number, state};
}

TEST_CASE("compose: a scaled service gives one instance per running container, a single one its name",
          "[stack][compose]") {
  const std::vector<ProjectContainer> all = {container("lb", 1), container("web", 1), container("web", 2),
                                             container("db", 1)};
  auto attached = attach_services("shop", all, {"lb", "web"});
  REQUIRE(attached.ok());
  REQUIRE(attached->size() == 3);
  CHECK((*attached)[0].instance == "lb");
  CHECK((*attached)[1].instance == "web-1");
  CHECK((*attached)[1].id == "id-web1");
  CHECK((*attached)[2].instance == "web-2");
  CHECK((*attached)[2].service == "web");
  CHECK(instance_name("web", 3, 1) == "web");
  CHECK(instance_name("web", 3, 4) == "web-3");
}

TEST_CASE("compose: a stopped replica is left out of a scaled service", "[stack][compose]") {
  auto attached = attach_services("shop", {container("web", 1), container("web", 2, "exited")}, {"web"});
  REQUIRE(attached.ok());
  REQUIRE(attached->size() == 1);
  CHECK(attached->front().instance == "web");
  CHECK(attached->front().number == 1);
}

TEST_CASE("compose: a missing service is refused, listing the project's services", "[stack][compose]") {
  auto attached =
      attach_services("shop", {container("lb", 1), container("api", 1), container("api", 2)}, {"lb", "web"});
  REQUIRE_FALSE(attached.ok());
  CHECK(attached.error().message ==
        "Compose project 'shop' has no service 'web'; its services are api (2 running), lb (1 running)");
}

TEST_CASE("compose: a project that is not running is refused, saying what there is", "[stack][compose]") {
  auto none = attach_services("shop", {}, {"lb"}, {"billing", "search"});
  REQUIRE_FALSE(none.ok());
  CHECK_THAT(none.error().message, Catch::StartsWith("Compose project 'shop' is not running"));
  CHECK_THAT(none.error().message, Catch::Contains("projects with containers here: billing, search"));

  auto stopped = attach_services("shop", {container("lb", 1, "exited")}, {"lb"});
  REQUIRE_FALSE(stopped.ok());
  CHECK(stopped.error().message ==
        "Compose project 'shop' is not running: none of its containers runs (services: lb (shop_lb_1 "
        "exited))");

  auto one_down = attach_services("shop", {container("lb", 1), container("web", 1, "exited")}, {"lb", "web"});
  REQUIRE_FALSE(one_down.ok());
  CHECK_THAT(one_down.error().message,
             Catch::StartsWith("service 'web' of Compose project 'shop' is not running"));
  CHECK_THAT(one_down.error().message, Catch::Contains("web (shop_web_1 exited)"));
}

std::string summary(const std::string& id, const std::string& service, int number, const std::string& oneoff,
                    const std::string& project = "shop") {
  return R"({"Id":")" + id + R"(","Names":["/)" + project + "_" + service + "_" + std::to_string(number) +
         R"("],"State":"running","Labels":{"com.docker.compose.project":")" + project + R"(",)" +
         R"("com.docker.compose.service":")" + service + R"(","com.docker.compose.container-number":")" +
         std::to_string(number) + R"(","com.docker.compose.oneoff":")" + oneoff + R"("}})";
}

TEST_CASE("compose: the project's containers are listed by its label, one-off ones left out",
          "[stack][compose]") {
  FakeDockerDaemon fake([](const RecordedRequest& /*r*/) -> std::optional<std::string> {
    return http_answer(200, "[" + summary("w2", "web", 2, "False") + "," + summary("run1", "web", 3, "True") +
                                "," + summary("w1", "web", 1, "False") + "]");
  });
  platform::DockerApi api(fake.socket_path());
  auto listed = list_project(api, "shop");
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 2);
  CHECK((*listed)[0].id == "w1");
  CHECK((*listed)[0].name == "shop_web_1");
  CHECK((*listed)[1].id == "w2");
  CHECK((*listed)[1].number == 2);
  const auto reqs = fake.requests();
  REQUIRE(reqs.size() == 1);
  // {"label":["com.docker.compose.project=shop"]}, URL-encoded.
  CHECK_THAT(reqs[0].target, Catch::Contains("com.docker.compose.project%3Dshop"));
}

experiment::Experiment compose_experiment() {
  experiment::Experiment exp;
  exp.stack.runtime = experiment::kRuntimeCompose;
  exp.stack.project = "shop";
  experiment::Service lb;
  lb.name = "lb";
  lb.kind = ServiceKind::haproxy;
  lb.backends_from_config = true;
  experiment::Service web;
  web.name = "web";
  web.kind = ServiceKind::nginx;
  exp.stack.services = {lb, web};
  exp.load.target = "lb";
  return exp;
}

TEST_CASE("compose bring-up: a project that is not running is refused before anything is touched",
          "[stack][compose]") {
  FakeDockerDaemon fake([](const RecordedRequest& r) -> std::optional<std::string> {
    if (r.target == "/v1.41/_ping") {
      return http_answer(200, "OK", "text/plain");
    }
    if (r.method == "GET" && r.target.find("com.docker.compose.project%3Dshop") != std::string::npos) {
      return http_answer(200, "[]");
    }
    if (r.method == "GET" && starts_with(r.target, "/v1.41/containers/json")) {
      return http_answer(200, "[" + summary("x1", "api", 1, "False", "billing") + "]");
    }
    return http_answer(500, R"({"message":"the fake has no answer for this"})");
  });
  ScratchDir registry("faultline-compose-test");
  auto id = create_run(registry.path());
  REQUIRE(id.ok());
  auto up = compose_bring_up(compose_experiment(), *id, {}, fake.socket_path());
  REQUIRE_FALSE(up.ok());
  CHECK_THAT(up.error().message, Catch::StartsWith("Compose project 'shop' is not running"));
  CHECK_THAT(up.error().message, Catch::Contains("projects with containers here: billing"));
  // It read and changed nothing: every request was a GET.
  for (const auto& r : fake.requests()) {
    CHECK(r.method == "GET");
  }
  release_run(*id);
}

TEST_CASE("compose bring-up: a missing service is refused, listing the services", "[stack][compose]") {
  FakeDockerDaemon fake([](const RecordedRequest& r) -> std::optional<std::string> {
    if (r.target == "/v1.41/_ping") {
      return http_answer(200, "OK", "text/plain");
    }
    if (r.method == "GET" && starts_with(r.target, "/v1.41/containers/json")) {
      return http_answer(
          200, "[" + summary("l1", "lb", 1, "False") + "," + summary("a1", "api", 1, "False") + "]");
    }
    return http_answer(500, R"({"message":"the fake has no answer for this"})");
  });
  ScratchDir registry("faultline-compose-test");
  auto id = create_run(registry.path());
  REQUIRE(id.ok());
  auto up = compose_bring_up(compose_experiment(), *id, {}, fake.socket_path());
  REQUIRE_FALSE(up.ok());
  CHECK(up.error().message ==
        "Compose project 'shop' has no service 'web'; its services are api (1 running), lb (1 running)");
  release_run(*id);
}

TEST_CASE("compose: the config file a server's command line names", "[stack][compose]") {
  CHECK(config_file_in_command(ServiceKind::haproxy, {"/sbin/docker-init", "--", "haproxy", "-W", "-db", "-f",
                                                      "/etc/haproxy/haproxy.cfg"}) ==
        "/etc/haproxy/haproxy.cfg");
  CHECK(config_file_in_command(ServiceKind::haproxy, {"haproxy", "-f/usr/local/etc/haproxy/haproxy.cfg"}) ==
        "/usr/local/etc/haproxy/haproxy.cfg");
  CHECK(config_file_in_command(ServiceKind::nginx, {"/usr/sbin/nginx", "-g", "daemon off;", "-c",
                                                    "/etc/nginx/lb.conf"}) == "/etc/nginx/lb.conf");
  // nginx: master process's own title, and a -c before the server's name
  // (another program's flag) are not the server's.
  CHECK_FALSE(
      config_file_in_command(ServiceKind::nginx, {"nginx: master process nginx", "-g", "daemon off;"}));
  CHECK_FALSE(config_file_in_command(ServiceKind::nginx, {"sh", "-c", "/etc/x", "nginx"}));
}

TEST_CASE("compose: HAProxy's admin socket is the first stats socket with level admin", "[stack][compose]") {
  CHECK(admin_socket_of("global\n  stats socket /run/haproxy/user.sock level user\n"
                        "  stats socket /run/haproxy/admin.sock mode 660 level admin\n") ==
        "/run/haproxy/admin.sock");
  CHECK(admin_socket_of("global\n  stats socket /run/haproxy/op.sock\n").empty());
  CHECK(admin_socket_of("global\n  stats socket ipv4@127.0.0.1:9999 level admin\n").empty());
  CHECK(admin_socket_of("global\n  daemon\n").empty());
}

}  // namespace
}  // namespace faultline::stack::compose
