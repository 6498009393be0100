// lb_wrong_backend's registration and parameter checks (its effect on real load balancers is
// covered by tests/integration/faults_lb_test.cpp).

#include <catch2/catch.hpp>

#include "fault_test_support.h"
#include "faults/registry.h"

using faultline::faults::testing::BoundMethod;
using faultline::faults::testing::expect_errors;

TEST_CASE("lb_wrong_backend defaults to the refused port 1 and takes an address",
          "[faults][lb_wrong_backend]") {
  const BoundMethod bound(
      "  - { at: 1s, fault: lb_wrong_backend, target: lb, params: { server: web2 } }\n"
      "  - { at: 1s, fault: lb_wrong_backend, target: lb2, params: { server: web1, address: 10.213.0.250, "
      "port: 81 } }\n");
  INFO(bound.diags.format());
  REQUIRE(bound.faults.size() == 2);
  CHECK(bound.faults[0].fault->describe() ==
        "server web2 on load balancer lb was pointed at the wrong port 1 (connection refused)");
  CHECK(bound.faults[1].fault->describe() ==
        "server web1 on load balancer lb2 was pointed at the wrong address 10.213.0.250:81");
}

TEST_CASE("lb_wrong_backend refuses a bad address and port", "[faults][lb_wrong_backend][bad-config]") {
  expect_errors(
      "  - { at: 1s, fault: lb_wrong_backend, target: lb, params: { server: web2, address: 10.0.0.999, port: "
      "0 } }\n",
      {"error: '10.0.0.999' is not an IPv4 address", "error: parameter 'port' is 0, outside 1..65535"});
}

TEST_CASE("lb_wrong_backend refuses an address outside the run's subnet",
          "[faults][lb_wrong_backend][bad-config]") {
  expect_errors(
      "  - { at: 1s, fault: lb_wrong_backend, target: lb, params: { server: web2, address: 8.8.8.8 } }\n",
      {"error: address 8.8.8.8 is outside the run's subnet (10.213.0.0/16)"});
}

TEST_CASE("lb_wrong_backend says how to reach an address outside the stack on purpose",
          "[faults][lb_wrong_backend][bad-config]") {
  expect_errors(
      "  - { at: 1s, fault: lb_wrong_backend, target: lb, params: { server: web2, address: 192.0.2.1 } }\n",
      {"t.yaml:12:85: error: address 192.0.2.1 is outside the run's subnet (10.213.0.0/16) and loopback, and "
       "not "
       "an external target",
       "list it under stack.external_targets and run with --allow-external"});
}
