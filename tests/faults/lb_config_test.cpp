// lb_config's registration and parameter checks, and the config edits and check-mode
// validation behind every reload-based load-balancer fault (their effect on
// real load balancers is covered by tests/integration/faults_lb_test.cpp).

#include <catch2/catch.hpp>
#include <filesystem>

#include "fault_test_support.h"
#include "faults/common/lb_reconfig.h"
#include "faults/registry.h"
#include "harness/platform/process.h"
#include "harness/stack/render.h"
#include "tests/skip.h"
#include "tests/stack/stack_fixtures.h"

using faultline::faults::testing::BoundMethod;
using faultline::faults::testing::expect_errors;

namespace {

namespace fs = std::filesystem;
using faultline::experiment::ServiceKind;

// A load balancer's config as the stack renders it, for the edit and
// check functions, which need no running stack.
std::string rendered(ServiceKind kind, const std::string& dir) {
  faultline::experiment::Service lb;
  lb.name = "lb";
  lb.kind = kind;
  lb.port = 18080;
  lb.backends = {"web1", "web2"};
  faultline::stack::Plan plan;
  for (const auto& [name, address] :
       {std::pair{"lb", "127.0.0.1"}, {"web1", "127.0.0.2"}, {"web2", "127.0.0.3"}}) {
    faultline::stack::PlannedService ps;
    ps.name = name;
    ps.address = address;
    plan.services.push_back(ps);
  }
  faultline::stack::RenderPaths paths;
  paths.dir = dir;
  paths.runtime_socket = dir + "/admin.sock";
  return kind == ServiceKind::haproxy ? faultline::stack::render_haproxy(lb, plan, paths)
                                      : faultline::stack::render_nginx_lb(lb, plan, paths);
}

}  // namespace

TEST_CASE("lb_config binds an inline fragment and a file", "[faults][lb_config]") {
  const BoundMethod bound(
      "  - { at: 1s, fault: lb_config, target: lb, params: { fragment: \"timeout queue 5ms\" } }\n");
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 1);
  CHECK(bound.faults[0].fault->describe() ==
        "a configuration change (inline fragment) was applied to the backend section of load balancer lb: "
        "'timeout queue 5ms'");
}

TEST_CASE("lb_config needs exactly one of fragment and file, and a readable file",
          "[faults][lb_config][bad-config]") {
  expect_errors(
      "  - { at: 1s, fault: lb_config, target: lb }\n"
      "  - { at: 1s, fault: lb_config, target: lb, params: { file: no-such-fragment.cfg, section: backend } "
      "}\n"
      "  - { at: 1s, fault: lb_config, target: lb, params: { fragment: x, file: y, section: backnd } }\n",
      {"fault 'lb_config' needs parameter 'fragment' or 'file'", "t.yaml:13:61: error: cannot read",
       "give either 'fragment' or 'file', not both", "did you mean 'backend'?"});
}

TEST_CASE("config edits land in the right section", "[faults][lb_config]") {
  const faultline::stack::testing::ScratchDir scratch;
  const std::string dir = scratch.path();
  const std::string haproxy = rendered(ServiceKind::haproxy, dir);
  auto added =
      faultline::faults::add_to_section(ServiceKind::haproxy, haproxy, "defaults", "timeout queue 5ms");
  REQUIRE(added);
  // At the end of defaults, before the frontend.
  CHECK(added->find("  timeout queue 5ms\n\nfrontend fe_lb") != std::string::npos);
  auto balance =
      faultline::faults::set_directive(ServiceKind::haproxy, haproxy, "backend", "balance", "balance source");
  REQUIRE(balance);
  CHECK(balance->find("  balance source\n") != std::string::npos);
  CHECK(balance->find("balance roundrobin") == std::string::npos);

  const std::string nginx = rendered(ServiceKind::nginx, dir);
  auto hashed = faultline::faults::add_to_section(ServiceKind::nginx, nginx, "backend", "ip_hash;");
  REQUIRE(hashed);
  CHECK(hashed->find("upstream be_lb {\n    ip_hash;\n") != std::string::npos);
  auto timeout = faultline::faults::set_directive(ServiceKind::nginx, nginx, "frontend", "proxy_read_timeout",
                                                  "proxy_read_timeout 1ms;");
  REQUIRE(timeout);
  CHECK(timeout->find("      proxy_read_timeout 1ms;\n") != std::string::npos);
  CHECK_FALSE(faultline::faults::add_to_section(ServiceKind::haproxy, haproxy, "listen", "x"));
}

TEST_CASE("a fragment the server rejects is refused before it is applied, with the server's complaint",
          "[faults][lb_config][bad-config]") {
  if (!faultline::platform::find_executable("haproxy")) {
    FAULTLINE_SKIP("haproxy is not installed");
  }
  // Under TMPDIR: the build directory may be read-only to whoever runs the unit tests.
  const faultline::stack::testing::ScratchDir scratch;
  const std::string dir = scratch.path();
  const std::string haproxy = rendered(ServiceKind::haproxy, dir);
  // The rendered config itself passes the check.
  CHECK(faultline::faults::check_config_text(ServiceKind::haproxy, haproxy, dir));
  auto good =
      faultline::faults::add_to_section(ServiceKind::haproxy, haproxy, "backend", "timeout queue 5ms");
  REQUIRE(good);
  CHECK(faultline::faults::check_config_text(ServiceKind::haproxy, *good, dir));
  auto bad =
      faultline::faults::add_to_section(ServiceKind::haproxy, haproxy, "backend", "balance nosuchalgo");
  REQUIRE(bad);
  auto st = faultline::faults::check_config_text(ServiceKind::haproxy, *bad, dir);
  REQUIRE_FALSE(st);
  INFO(st.error().message);
  CHECK(st.error().message.find("haproxy -c rejected the configuration") != std::string::npos);
  CHECK(st.error().message.find("balance only supports") != std::string::npos);
  CHECK(st.error().message.find("[NOTICE]") == std::string::npos);
  // The candidate file is gone, the check leaves nothing behind.
  CHECK_FALSE(fs::exists(dir + "/candidate.cfg"));
}
