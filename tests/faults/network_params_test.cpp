// The parameters every network fault shares (direction, peer), read by
// faults/common/net_target, and the delayer's correlated random numbers.

#include <catch2/catch.hpp>

#include "fault_test_support.h"
#include "faults/common/net_target.h"
#include "faults/registry.h"
#include "harness/platform/nfqueue_delayer.h"

using faultline::faults::testing::BoundMethod;
using faultline::faults::testing::expect_errors;

TEST_CASE("network faults take direction and peer", "[faults][network]") {
  for (const char* name : {"latency", "loss", "duplicate", "reorder"}) {
    const auto* t = faultline::faults::Registry::instance().find(name);
    INFO(name);
    REQUIRE(t != nullptr);
    bool direction = false;
    bool peer = false;
    for (const auto& p : t->params) {
      direction = direction || p.name == "direction";
      peer = peer || p.name == "peer";
    }
    CHECK(direction);
    CHECK(peer);
    CHECK(t->needs.root);
    CHECK_FALSE(t->needs.kernel_feature.empty());
  }
}

TEST_CASE("direction and peer are described in words", "[faults][network]") {
  const BoundMethod bound(
      "  - { at: 1s, fault: latency, target: lb, params: { delay: 50ms, direction: both, peer: [web1, web2] "
      "} }\n"
      "  - { at: 1s, fault: latency, target: web1, params: { delay: 50ms, direction: ingress, peer: lb } }\n"
      "  - { at: 1s, fault: latency, target: web2, params: { delay: 50ms } }\n");
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 3);
  CHECK(bound.faults[0].fault->describe() ==
        "traffic entering and leaving lb to and from web1, web2 was delayed by 50ms");
  CHECK(bound.faults[1].fault->describe() == "traffic entering web1 from lb was delayed by 50ms");
  CHECK(bound.faults[2].fault->describe() == "traffic leaving web2 was delayed by 50ms");
}

TEST_CASE("rule matches follow direction and peers", "[faults][network]") {
  faultline::faults::NetTarget t;
  t.service = "lb";
  t.direction = faultline::faults::Direction::both;
  const auto m = faultline::faults::rule_matches(t, {"10.0.0.11", "10.0.0.12"});
  REQUIRE(m.size() == 4);
  CHECK(m[0].chain == "OUTPUT");
  CHECK(m[0].match == std::vector<std::string>{"-o", "eth0", "-d", "10.0.0.11"});
  CHECK(m[3].chain == "INPUT");
  CHECK(m[3].match == std::vector<std::string>{"-i", "eth0", "-s", "10.0.0.12"});
  t.direction = faultline::faults::Direction::egress;
  const auto all = faultline::faults::rule_matches(t, {});
  REQUIRE(all.size() == 1);
  CHECK(all[0].match == std::vector<std::string>{"-o", "eth0"});
}

TEST_CASE("bad direction and peers are reported with positions", "[faults][network][bad-config]") {
  expect_errors(
      "  - { at: 1s, fault: latency, target: lb, params: { delay: 50ms, direction: egres, peer: [web3] } }\n"
      "  - { at: 1s, fault: loss, target: web1, params: { percent: 5%, peer: web1 } }\n"
      "  - { at: 1s, fault: duplicate, target: web1, params: { percent: 5%, direction: ingress } }\n",
      {"t.yaml:12:77: error: parameter 'direction' cannot be 'egres'", "did you mean 'egress'?",
       "t.yaml:12:90: error: peer 'web3' is not a service of the stack",
       "t.yaml:13:71: error: peer 'web1' is the fault's target itself",
       "t.yaml:14:81: error: parameter 'direction' cannot be 'ingress'"});
}

TEST_CASE("correlated random numbers keep their mean and lean on the last draw", "[faults][network]") {
  faultline::platform::CorrelatedRandom plain(0, 42);
  faultline::platform::CorrelatedRandom sticky(0.9, 42);
  double sum = 0;
  double plain_step = 0;
  double sticky_step = 0;
  double last_plain = plain.next();
  double last_sticky = sticky.next();
  const int n = 20000;
  int below = 0;
  for (int i = 0; i < n; ++i) {
    const double a = plain.next();
    const double b = sticky.next();
    REQUIRE(a >= 0);
    REQUIRE(a < 1);
    sum += a;
    below += a < 0.2 ? 1 : 0;
    plain_step += std::abs(a - last_plain);
    sticky_step += std::abs(b - last_sticky);
    last_plain = a;
    last_sticky = b;
  }
  CHECK(sum / n == Approx(0.5).margin(0.02));
  CHECK(static_cast<double>(below) / n == Approx(0.2).margin(0.02));
  // Successive correlated draws are much closer to each other.
  CHECK(sticky_step < plain_step / 4);
}
