// A fault's description is a sentence for the postmortem's root cause: what
// was done to the stack. How it was done (netem or the NFQUEUE delayer, an
// nftables table, a cgroup, a signal and a pid, the runtime API or a reload)
// is the fault's mechanism(), which the journal keeps as its own field.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "fault_samples.h"
#include "faults/registry.h"

using faultline::faults::testing::Bound;
using faultline::faults::testing::is_lb_fault;
using faultline::faults::testing::kSampleParams;
using faultline::faults::testing::stack_with;
using faultline::faults::testing::step_of;

namespace {

// Words of how a fault was carried out, which a description must not hold.
const std::vector<std::string> kMechanismWords = {
    ", by ",       "netem",        "NFQUEUE",  "delayer", "nftables", "nft ",
    "qdisc",       "token bucket", "cgroup",   "pid ",    "SIGSTOP",  "SIGCONT",
    "runtime API", "haproxy -c",   "nginx -t", "reload",  "/sys/fs",  "faultline_"};

}  // namespace

TEST_CASE("no fault's description says how it was done", "[faults][describe]") {
  for (const char* kind : {"haproxy", "nginx"}) {
    for (const auto* type : faultline::faults::Registry::instance().all()) {
      INFO("fault type " << type->name << " behind " << kind);
      REQUIRE(kSampleParams.count(type->name) == 1);
      const Bound bound(stack_with(kind), step_of(type->name, is_lb_fault(*type) ? "lb" : "web1"));
      REQUIRE(bound.faults.size() == 1);
      const std::string text = bound.faults[0].fault->describe();
      INFO(text);
      CHECK_FALSE(text.empty());
      for (const auto& w : kMechanismWords) {
        INFO("must not say: " << w);
        CHECK_THAT(text, !Catch::Contains(w));
      }
    }
  }
}

TEST_CASE("a load balancer fault's mechanism names the runtime API or the checked reload of its kind",
          "[faults][describe]") {
  const Bound haproxy(
      stack_with("haproxy"),
      "  - { at: 1s, fault: lb_drain, target: lb, params: { server: web1 } }\n"
      "  - { at: 1s, fault: lb_weight, target: lb, params: { server: web1, weight: 9 } }\n"
      "  - { at: 1s, fault: lb_timeout, target: lb, params: { timeout: server, value: 1ms } }\n");
  REQUIRE(haproxy.faults.size() == 3);
  CHECK(haproxy.faults[0].fault->mechanism() ==
        "HAProxy's runtime API on lb: `set server be_lb/web1 state drain`, no reload");
  CHECK(haproxy.faults[1].fault->mechanism() == "HAProxy's runtime API on lb: `set weight`, no reload");
  CHECK_THAT(haproxy.faults[2].fault->mechanism(),
             Catch::StartsWith("a rewrite of lb's HAProxy configuration, checked with `haproxy -c`"));

  const Bound nginx(
      stack_with("nginx"),
      "  - { at: 1s, fault: lb_drain, target: lb, params: { server: web1 } }\n"
      "  - { at: 1s, fault: lb_timeout, target: lb, params: { timeout: server, value: 1ms } }\n");
  REQUIRE(nginx.faults.size() == 2);
  CHECK_THAT(nginx.faults[0].fault->mechanism(), Catch::StartsWith("web1 marked `down` in lb's upstream"));
  CHECK_THAT(nginx.faults[1].fault->mechanism(),
             Catch::StartsWith("a rewrite of lb's nginx configuration, checked with `nginx -t`"));
}
