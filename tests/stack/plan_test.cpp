#include <unistd.h>

#include <catch2/catch.hpp>

#include "harness/platform/netlink.h"
#include "harness/platform/subnet.h"
#include "harness/stack/names.h"
#include "harness/stack/run_registry.h"
#include "harness/stack/stack.h"
#include "tests/stack/stack_fixtures.h"

namespace faultline::stack {
namespace {

using experiment::ServiceKind;
using testing::lb_experiment;

const RunIdentity kId{"abc123", ""};

std::vector<platform::Ipv4Net> host_networks() {
  auto sock = platform::RouteSocket::open();
  REQUIRE(sock.ok());
  auto nets = sock->ipv4_networks();
  REQUIRE(nets.ok());
  return *nets;
}

// A /24 in 10.213.0.0/16 this host does not use, for tests that name one.
std::string unused_subnet() {
  const auto used = host_networks();
  for (uint32_t k = 255; k > 0; --k) {
    platform::Ipv4Net net{(10u << 24) | (213u << 16) | (k << 8), 24};
    bool clash = false;
    for (const auto& u : used) {
      clash = clash || net.overlaps(u);
    }
    if (!clash) {
      return platform::format_cidr(net);
    }
  }
  FAIL("no unused /24 in 10.213.0.0/16");
  return {};
}

TEST_CASE("plan uses the experiment's subnet: bridge on .1, services from .10 in file order",
          "[stack][plan]") {
  auto exp = lb_experiment(ServiceKind::haproxy);
  const std::string subnet = unused_subnet();
  exp.stack.subnet = subnet;
  auto plan = make_plan(exp, kId);
  REQUIRE(plan.ok());
  const auto base = platform::parse_cidr(subnet)->base;
  CHECK(plan->subnet == subnet);
  CHECK(plan->prefix_len == 24);
  CHECK(plan->bridge_address == platform::format_ipv4(base + 1));
  REQUIRE(plan->services.size() == 3);
  CHECK(plan->services[0].name == "lb");
  CHECK(plan->services[0].address == platform::format_ipv4(base + 10));
  CHECK(plan->services[1].address == platform::format_ipv4(base + 11));
  CHECK(plan->services[2].address == platform::format_ipv4(base + 12));
  CHECK(plan->services[0].port == 80);
  CHECK(plan->services[0].kind == ServiceKind::haproxy);
  CHECK(plan->find("web2") == &plan->services[2]);
  CHECK(plan->find("nope") == nullptr);
}

TEST_CASE("plan names carry the run id and link names fit IFNAMSIZ", "[stack][plan]") {
  auto exp = lb_experiment(ServiceKind::haproxy);
  exp.stack.subnet = unused_subnet();
  // Long service names and many services: the link names must still fit.
  for (int i = 3; i < 40; ++i) {
    exp.stack.services.push_back(testing::backend("backend-with-a-long-name-" + std::to_string(i)));
  }
  auto plan = make_plan(exp, kId);
  REQUIRE(plan.ok());
  CHECK(plan->bridge == "flbr-abc123");
  CHECK(plan->bridge.size() <= kMaxLinkName);
  for (size_t i = 0; i < plan->services.size(); ++i) {
    const auto& s = plan->services[i];
    CHECK(s.host_veth == "flv-abc123-" + std::to_string(i));
    CHECK(s.host_veth.size() <= kMaxLinkName);
    CHECK(s.netns == "fl-abc123-" + s.name);
    CHECK(run_id_of_link(s.host_veth) == "abc123");
    CHECK(run_id_of_netns(s.netns) == "abc123");
  }
}

TEST_CASE("plan picks a /24 in 10.213.0.0/16 that no host interface or route uses", "[stack][plan]") {
  const auto exp = lb_experiment(ServiceKind::haproxy);
  auto plan = make_plan(exp, kId);
  REQUIRE(plan.ok());
  auto net = platform::parse_cidr(plan->subnet);
  REQUIRE(net);
  CHECK(net->prefix_len == 24);
  CHECK(platform::Ipv4Net{(10u << 24) | (213u << 16), 16}.contains(net->base));
  for (const auto& used : host_networks()) {
    INFO("host uses " << platform::format_cidr(used));
    CHECK_FALSE(net->overlaps(used));
  }
}

TEST_CASE("plan avoids subnets that live runs of the same registry have claimed", "[stack][plan]") {
  testing::ScratchDir registry;
  auto other = create_run(registry.path());  // owned by this (live) process
  REQUIRE(other.ok());
  // Claim every free /24 but one: the planner must find exactly that one.
  const auto used = host_networks();
  std::string left_free;
  for (uint32_t k = 0; k < 256; ++k) {
    platform::Ipv4Net net{(10u << 24) | (213u << 16) | (k << 8), 24};
    bool clash = false;
    for (const auto& u : used) {
      clash = clash || net.overlaps(u);
    }
    if (clash) {
      continue;
    }
    if (left_free.empty()) {
      left_free = platform::format_cidr(net);
      continue;
    }
    REQUIRE(record_resource(*other, "subnet", platform::format_cidr(net)).ok());
  }
  REQUIRE_FALSE(left_free.empty());
  const RunIdentity me{"def456", registry.path() + "/def456"};
  auto plan = make_plan(lb_experiment(ServiceKind::haproxy), me);
  REQUIRE(plan.ok());
  CHECK(plan->subnet == left_free);

  // Claimed by a live run, an explicit subnet is refused too.
  auto exp = lb_experiment(ServiceKind::haproxy);
  const auto claimed = read_manifest(other->run_dir).front().name;
  exp.stack.subnet = claimed;
  auto refused = make_plan(exp, me);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().message, Catch::Contains("another faultline run"));
}

TEST_CASE("plan refuses a subnet the host already uses", "[stack][plan]") {
  auto exp = lb_experiment(ServiceKind::haproxy);
  exp.stack.subnet = "127.0.0.0/24";
  auto plan = make_plan(exp, kId);
  REQUIRE_FALSE(plan.ok());
  CHECK_THAT(plan.error().message, Catch::Contains("overlaps"));
}

TEST_CASE("plan refuses malformed and too small subnets", "[stack][plan][bad-config]") {
  auto exp = lb_experiment(ServiceKind::haproxy);
  for (const char* bad : {"10.213.0.0", "10.213.0.5/24", "10.213.0.0/33", "10.213.0/24", "banana"}) {
    INFO(bad);
    exp.stack.subnet = bad;
    auto plan = make_plan(exp, kId);
    REQUIRE_FALSE(plan.ok());
    CHECK_THAT(plan.error().message, Catch::Contains("CIDR"));
  }
  // A /29 has 8 addresses: .10 and up do not fit.
  const auto base = platform::parse_cidr(unused_subnet())->base;
  exp.stack.subnet = platform::format_cidr(platform::Ipv4Net{base, 29});
  auto plan = make_plan(exp, kId);
  REQUIRE_FALSE(plan.ok());
  CHECK_THAT(plan.error().message, Catch::Contains("too small"));
}

TEST_CASE("plan refuses unknown backends, duplicate names and a bad run id", "[stack][plan][bad-config]") {
  auto exp = lb_experiment(ServiceKind::haproxy);
  exp.stack.subnet = unused_subnet();
  SECTION("unknown backend") {
    exp.stack.services[0].backends.push_back("web9");
    auto plan = make_plan(exp, kId);
    REQUIRE_FALSE(plan.ok());
    CHECK_THAT(plan.error().message, Catch::Contains("web9"));
  }
  SECTION("duplicate name") {
    exp.stack.services.push_back(testing::backend("web1"));
    auto plan = make_plan(exp, kId);
    REQUIRE_FALSE(plan.ok());
    CHECK_THAT(plan.error().message, Catch::Contains("twice"));
  }
  SECTION("unsafe name") {
    exp.stack.services[2].name = "web 2";
    CHECK_FALSE(make_plan(exp, kId).ok());
  }
  SECTION("bad run id") {
    CHECK_FALSE(make_plan(exp, RunIdentity{"ABC123", ""}).ok());
    CHECK_FALSE(make_plan(exp, RunIdentity{"abc12", ""}).ok());
  }
}

TEST_CASE("plan gives backends the health paths their load balancers probe", "[stack][plan]") {
  auto exp = lb_experiment(ServiceKind::haproxy);
  exp.stack.subnet = unused_subnet();
  exp.stack.services[0].health_check = experiment::HealthCheck{"/healthz", std::chrono::seconds(1), 3, 2};
  auto plan = make_plan(exp, kId);
  REQUIRE(plan.ok());
  CHECK(plan->find("web1")->health_paths == std::vector<std::string>{"/health", "/healthz"});
  CHECK(plan->find("lb")->health_paths == std::vector<std::string>{"/health"});
}

TEST_CASE("resource names are recognised only in their exact patterns", "[stack][plan][names]") {
  CHECK(run_id_of_link("flbr-0a1b2c") == "0a1b2c");
  CHECK(run_id_of_link("flv-0a1b2c-12") == "0a1b2c");
  CHECK_FALSE(run_id_of_link("flbr-0a1b2c1").has_value());
  CHECK_FALSE(run_id_of_link("flbr-0A1B2C").has_value());
  CHECK_FALSE(run_id_of_link("flv-0a1b2c-x").has_value());
  CHECK_FALSE(run_id_of_link("flv-0a1b2c-").has_value());
  CHECK_FALSE(run_id_of_link("eth0").has_value());
  CHECK_FALSE(run_id_of_link("flannel.1").has_value());
  CHECK(run_id_of_netns("fl-0a1b2c-web1") == "0a1b2c");
  CHECK_FALSE(run_id_of_netns("fl-0a1b2c-").has_value());
  CHECK_FALSE(run_id_of_netns("fl-0a1b2cweb1").has_value());
  CHECK_FALSE(run_id_of_netns("flx-0a1b2c-web1").has_value());
}

}  // namespace
}  // namespace faultline::stack
