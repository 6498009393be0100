// The corrective measures faults suggest: typed, and worded for the stack
// they hit. An nginx-fronted stack must get nginx's settings and never
// HAProxy's or an nginx Plus feature (active health checks, slow start);
// a HAProxy-fronted one gets HAProxy's. Every registered fault type is bound
// against both, so a new fault type without a sample step (fault_samples.h)
// fails.

#include "faults/common/measures.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "fault_samples.h"
#include "faults/common/fault_site.h"
#include "faults/common/lb_measures.h"
#include "faults/registry.h"
#include "harness/experiment/loader.h"

namespace {

using faultline::experiment::Diagnostics;
using faultline::experiment::ServiceKind;
using faultline::faults::Measure;
using faultline::faults::MeasureType;
using faultline::faults::testing::Bound;
using faultline::faults::testing::is_lb_fault;
using faultline::faults::testing::kSampleParams;
using faultline::faults::testing::stack_with;
using faultline::faults::testing::step_of;

// The measures of one fault step, bound against `stack`.
std::vector<Measure> measures_of(const std::string& stack, const std::string& step) {
  const Bound bound(stack, step);
  REQUIRE(bound.faults.size() == 1);
  return bound.faults[0].fault->suggested_measures();
}

std::string all_text(const std::vector<Measure>& measures) {
  std::string text;
  for (const auto& m : measures) {
    text += m.action + "\n";
  }
  return text;
}

// Settings only HAProxy has (as an nginx stack must never be told to use).
const std::vector<std::string> kHaproxyWords = {
    "HAProxy",     "option redispatch", "retry-on",      "observe layer7",     "on-error",
    "check inter", "slowstart",         "timeout queue", "timeout server",     "timeout connect",
    "maxconn",     "balance leastconn", "timeout check", "hash-balance-factor"};
// nginx Plus features open-source nginx lacks.
const std::vector<std::string> kNginxPlusWords = {"health_check", "slow_start", "`sticky", "`queue"};
// Settings only nginx has (as a HAProxy stack must never be told to use).
const std::vector<std::string> kNginxWords = {
    "max_fails", "fail_timeout",       "proxy_next_upstream",  "least_conn",
    "max_conns", "proxy_read_timeout", "proxy_connect_timeout"};

void check_none_of(const std::string& text, const std::vector<std::string>& words) {
  for (const auto& w : words) {
    INFO("must not name: " << w);
    CHECK_THAT(text, !Catch::Contains(w));
  }
}

void check_all_of(const std::string& text, const std::vector<std::string>& words) {
  for (const auto& w : words) {
    CHECK_THAT(text, Catch::Contains(w));
  }
}

}  // namespace

TEST_CASE("a measure type has the word the journal and the action items use", "[faults][measures]") {
  CHECK(faultline::faults::to_string(MeasureType::prevent) == "prevent");
  CHECK(faultline::faults::to_string(MeasureType::mitigate) == "mitigate");
  CHECK(faultline::faults::to_string(MeasureType::detect) == "detect");
  CHECK(faultline::faults::to_string(MeasureType::process) == "process");
}

TEST_CASE("a fault's site names the load balancers in front of its target and their one kind",
          "[faults][measures][site]") {
  const std::string stack = R"(version: 1
title: t
stack:
  services:
    lb: { kind: haproxy, backends: [web1, web2] }
    lb2: { kind: nginx, backends: [web1] }
    web1: { kind: nginx }
    web2: { kind: nginx }
    web3: { kind: app }
load: { target: lb, rate: 10/s, duration: 10s }
expect: breach
method:
)";
  Diagnostics diags{"t.yaml"};
  const auto exp = faultline::experiment::load_string(stack, "t.yaml", {}, diags);
  REQUIRE_FALSE(diags.has_errors());
  auto site_of = [&](const std::string& target) {
    faultline::experiment::MethodStep step;
    step.target = target;
    return faultline::faults::fault_site(step, exp);
  };

  // web2: only lb (HAProxy) in front.
  const auto web2 = site_of("web2");
  CHECK(web2.target_kind == ServiceKind::nginx);
  CHECK_FALSE(web2.target_is_lb);
  CHECK(web2.front.kind == ServiceKind::haproxy);
  CHECK(web2.front.names == std::vector<std::string>{"lb"});

  // web1: HAProxy and nginx in front: no one kind, both named.
  const auto web1 = site_of("web1");
  CHECK_FALSE(web1.front.kind.has_value());
  CHECK(web1.front.name_text() == "lb and lb2");

  // web3: nothing in front; general words, "a load balancer".
  const auto web3 = site_of("web3");
  CHECK(web3.target_kind == ServiceKind::app);
  CHECK(web3.front.names.empty());
  REQUIRE(faultline::faults::balancer_in_front(web3).has_value());
  CHECK(faultline::faults::balancer_in_front(web3)->name_text() == "a load balancer");

  // lb is the entry point: nothing routes around it, except towards its
  // own backends, where lb itself steers.
  const auto lb = site_of("lb");
  CHECK(lb.target_is_lb);
  CHECK_FALSE(faultline::faults::balancer_in_front(lb).has_value());
  CHECK_FALSE(faultline::faults::balancer_for_traffic(lb, {}).has_value());
  CHECK_FALSE(faultline::faults::balancer_for_traffic(lb, {"web3"}).has_value());
  const auto towards_web1 = faultline::faults::balancer_for_traffic(lb, {"web1"});
  REQUIRE(towards_web1.has_value());
  CHECK(towards_web1->kind == ServiceKind::haproxy);
  CHECK(towards_web1->names == std::vector<std::string>{"lb"});
}

TEST_CASE("slow start is suggested for HAProxy only: nginx's slow_start is nginx Plus",
          "[faults][measures][nginx]") {
  using faultline::faults::Balancer;
  CHECK(faultline::faults::ramp_up_recovered_server(Balancer{ServiceKind::haproxy, {"lb"}}).has_value());
  CHECK_FALSE(faultline::faults::ramp_up_recovered_server(Balancer{ServiceKind::nginx, {"lb"}}).has_value());
  CHECK_FALSE(faultline::faults::ramp_up_recovered_server(Balancer{}).has_value());
}

TEST_CASE("behind nginx, backend and load-balancer faults suggest nginx's settings only",
          "[faults][measures][nginx]") {
  const std::string nginx = stack_with("nginx");
  struct Case {
    std::string step;
    std::vector<std::string> expected;  // nginx settings the measures must name
  };
  const std::vector<Case> cases = {
      {"  - { at: 1s, fault: kill, target: web1 }\n", {"max_fails=", "proxy_next_upstream"}},
      {"  - { at: 1s, fault: pause, target: web1 }\n", {"proxy_read_timeout", "max_fails"}},
      {"  - { at: 1s, fault: latency, target: web1, params: { delay: 100ms } }\n",
       {"least_conn;", "proxy_connect_timeout"}},
      {"  - { at: 1s, fault: lb_weight, target: lb, params: { server: web1, weight: 9 } }\n",
       {"max_conns", "proxy_next_upstream"}},
  };
  for (const auto& c : cases) {
    INFO(c.step);
    const std::string text = all_text(measures_of(nginx, c.step));
    INFO(text);
    check_none_of(text, kHaproxyWords);
    check_none_of(text, kNginxPlusWords);
    check_all_of(text, c.expected);
  }
}

TEST_CASE("behind HAProxy, the same faults suggest HAProxy's settings", "[faults][measures][haproxy]") {
  const std::string haproxy = stack_with("haproxy");
  struct Case {
    std::string step;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"  - { at: 1s, fault: kill, target: web1 }\n",
       {"check inter 1s fall 2 rise 2", "option redispatch", "slowstart"}},
      {"  - { at: 1s, fault: pause, target: web1 }\n", {"timeout check", "timeout server", "retries 2"}},
      {"  - { at: 1s, fault: latency, target: web1, params: { delay: 100ms } }\n",
       {"balance leastconn", "timeout connect"}},
      {"  - { at: 1s, fault: lb_weight, target: lb, params: { server: web1, weight: 9 } }\n",
       {"maxconn", "timeout queue", "option redispatch"}},
      {"  - { at: 1s, fault: lb_wrong_backend, target: lb, params: { server: web1 } }\n",
       {"observe layer7", "on-error mark-down", "check inter"}},
  };
  for (const auto& c : cases) {
    INFO(c.step);
    const std::string text = all_text(measures_of(haproxy, c.step));
    INFO(text);
    check_none_of(text, kNginxWords);
    check_all_of(text, c.expected);
  }
}

TEST_CASE("the measures name the load balancer in front of the target", "[faults][measures]") {
  const std::string text =
      all_text(measures_of(stack_with("haproxy"), "  - { at: 1s, fault: kill, target: web2 }\n"));
  CHECK_THAT(text, Catch::Contains("every server of lb"));
}

TEST_CASE("a fault on the entry load balancer itself suggests running it redundantly, not its own checks",
          "[faults][measures]") {
  const std::string text =
      all_text(measures_of(stack_with("haproxy"), "  - { at: 1s, fault: kill, target: lb }\n"));
  INFO(text);
  CHECK_THAT(text, Catch::Contains("Run lb as a redundant pair"));
  CHECK_THAT(text, !Catch::Contains("check inter"));
}

TEST_CASE("every registered fault type suggests typed measures that fit the stack's load balancer",
          "[faults][measures][registry]") {
  const std::set<std::string> types = {"prevent", "mitigate", "detect", "process"};
  for (const char* kind : {"haproxy", "nginx"}) {
    const std::string stack = stack_with(kind);
    for (const auto* type : faultline::faults::Registry::instance().all()) {
      INFO("fault type " << type->name << " behind " << kind);
      // A new fault type must add its sample step to fault_samples.h.
      REQUIRE(kSampleParams.count(type->name) == 1);
      std::vector<std::string> targets{"lb"};
      if (!is_lb_fault(*type)) {
        targets.push_back("web1");
      }
      for (const auto& target : targets) {
        INFO("target " << target);
        const auto measures = measures_of(stack, step_of(type->name, target));
        CHECK(measures.size() >= 2);
        std::set<std::string> seen;
        for (const auto& m : measures) {
          INFO("measure: " << m.action);
          CHECK_FALSE(m.action.empty());
          CHECK(m.action.back() != '.');
          CHECK(types.count(faultline::faults::to_string(m.type)) == 1);
          CHECK(seen.insert(m.action).second);  // each said once
        }
        const std::string text = all_text(measures);
        INFO(text);
        if (std::string(kind) == "nginx") {
          check_none_of(text, kHaproxyWords);
          check_none_of(text, kNginxPlusWords);
        } else {
          check_none_of(text, kNginxWords);
        }
      }
    }
  }
}
