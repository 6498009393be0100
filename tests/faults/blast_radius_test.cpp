// The blast-radius check as faults use it (faults/common/blast_radius.h):
// every fault parameter that names an address follows one rule.

#include "faults/common/blast_radius.h"

#include <catch2/catch.hpp>

#include "fault_test_support.h"
#include "tests/test_data.h"

using faultline::faults::addresses_in;
using faultline::faults::reachable_external;
using faultline::faults::testing::expect_errors;

using faultline::testing::experiment_data;

TEST_CASE("the addresses of a config fragment are found, the listening wildcard is not",
          "[faults][blast_radius]") {
  CHECK(addresses_in("server web9 192.0.2.1:80 check\nserver x 10.213.0.9\n") ==
        std::vector<std::string>{"192.0.2.1", "10.213.0.9"});
  CHECK(addresses_in("bind 0.0.0.0:8080\ntimeout queue 5ms\nversion 1.2.3.4.5\n").empty());
}

TEST_CASE("lb_config refuses a fragment that sends traffic outside the stack",
          "[faults][lb_config][blast_radius][bad-config]") {
  expect_errors(
      "  - { at: 1s, fault: lb_config, target: lb, params: { fragment: \"server web9 8.8.8.8:80\" } }\n",
      {"t.yaml:12:65: error: the fragment's address 8.8.8.8 is outside the run's subnet (10.213.0.0/16)",
       "--allow-external"});
}

TEST_CASE("lb_config refuses an address with a leading zero, which servers would read as octal",
          "[faults][lb_config][blast_radius][bad-config]") {
  expect_errors(
      "  - { at: 1s, fault: lb_config, target: lb, params: { fragment: \"server web9 010.213.0.9:80\" } }\n",
      {"t.yaml:12:65: error: '010.213.0.9' is not an IPv4 address", "without leading zeros"});
}

TEST_CASE("a listed external target binds, and is reachable only when the run allows it",
          "[faults][lb_wrong_backend][blast_radius]") {
  for (const bool allow : {false, true}) {
    faultline::experiment::Diagnostics diags;
    auto exp = faultline::experiment::load_file(experiment_data("external_target.yaml"), {}, diags);
    exp.allow_external = allow;
    const auto bound = faultline::faults::bind_method(exp, diags);
    INFO(diags.format());
    CHECK_FALSE(diags.has_errors());
    CHECK(bound.size() == 1);
    CHECK(reachable_external(exp).size() == (allow ? 1u : 0u));
  }
}
