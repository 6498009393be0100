// stack.external_targets and the blast-radius rule every fault address goes
// through (harness/experiment/blast_radius.h).

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "harness/experiment/blast_radius.h"
#include "harness/experiment/loader.h"

using namespace faultline::experiment;

namespace {

// A valid experiment with `targets` (list items, 4-space indented) under
// stack.external_targets; the first item is on line 4.
std::string with_targets(const std::string& targets, const std::string& subnet = {}) {
  return "title: t\n"
         "stack:\n" +
         (subnet.empty() ? std::string() : "  subnet: " + subnet + "\n") + "  external_targets:\n" + targets +
         "  services:\n"
         "    web: { kind: nginx }\n"
         "load: { target: web, rate: 10/s, duration: 10s }\n"
         "expect: hold\n";
}

}  // namespace

TEST_CASE("external targets are read with their name, address, reason and position",
          "[experiment][external_targets]") {
  Diagnostics diags;
  const Experiment exp =
      load_string(with_targets("    - { name: partner, address: 192.0.2.1, reason: drill }\n"
                               "    - { name: sandbox, address: 198.51.100.0/24 }\n"),
                  "e.yaml", {}, diags);
  INFO(diags.format());
  REQUIRE_FALSE(diags.has_errors());
  REQUIRE(exp.stack.external_targets.size() == 2);
  CHECK(exp.stack.external_targets[0].name == "partner");
  CHECK(exp.stack.external_targets[0].address == "192.0.2.1");
  CHECK(exp.stack.external_targets[0].reason == "drill");
  CHECK(exp.stack.external_targets[0].pos.line == 4);
  CHECK(exp.stack.external_targets[0].pos.col == 33);
  CHECK(exp.stack.external_targets[1].address == "198.51.100.0/24");
  CHECK(exp.stack.external_targets[1].reason.empty());
  CHECK_FALSE(exp.allow_external);
}

TEST_CASE("bad external targets are reported at their position with the fix",
          "[experiment][external_targets][bad-config]") {
  struct Case {
    const char* item;
    int col;
    const char* error;
  };
  const std::vector<Case> cases = {
      {"    - { name: a, address: example.com }\n", 27,
       "must be an IPv4 address or network, not 'example.com'"},
      {"    - { name: a, address: 192.0.2.1/24 }\n", 27, "must be an IPv4 address or network"},
      {"    - { name: a, address: 127.0.0.1 }\n", 27, "external target 127.0.0.1 is loopback"},
      {"    - { name: a, address: 10.213.4.9 }\n", 27, "is inside the run's own addresses (10.213.0.0/16"},
      {"    - { name: a, address: 10.0.0.0/8 }\n", 27, "is too wide"},
      {"    - { name: a, address: 0.0.0.0/0 }\n", 27, "is too wide"},
      {"    - { address: 192.0.2.1 }\n", 7, "missing required key 'name'"},
      {"    - { name: a }\n", 7, "missing required key 'address'"},
      {"    - { name: a, address: 192.0.2.1, why: x }\n", 38, "unknown key 'why'"},
      {"    - 192.0.2.1\n", 7, "an external target"},
  };
  for (const auto& c : cases) {
    INFO(c.item);
    Diagnostics diags;
    const Experiment exp = load_string(with_targets(c.item), "e.yaml", {}, diags);
    INFO(diags.format());
    REQUIRE(diags.items().size() == 1);
    CHECK_THAT(diags.items()[0].message, Catch::Matchers::Contains(c.error));
    CHECK(diags.items()[0].pos.line == 4);
    CHECK(diags.items()[0].pos.col == c.col);
    // An unknown key is reported, but the entry itself is read.
    CHECK(exp.stack.external_targets.empty() ==
          (std::string(c.error).find("unknown key") == std::string::npos));
  }
}

TEST_CASE("an external target inside stack.subnet needs no listing and is refused",
          "[experiment][external_targets][bad-config]") {
  Diagnostics diags;
  load_string(with_targets("    - { name: a, address: 192.168.7.20 }\n", "192.168.7.0/24"), "e.yaml", {},
              diags);
  REQUIRE(diags.items().size() == 1);
  CHECK_THAT(diags.items()[0].message,
             Catch::Matchers::Contains("inside the run's own addresses (192.168.7.0/24)"));
  CHECK_THAT(diags.items()[0].hint, Catch::Matchers::Contains("remove this entry"));
}

TEST_CASE("an external target name used twice is reported at the second",
          "[experiment][external_targets][bad-config]") {
  Diagnostics diags;
  const Experiment exp = load_string(with_targets("    - { name: a, address: 192.0.2.1 }\n"
                                                  "    - { name: a, address: 192.0.2.2 }\n"),
                                     "e.yaml", {}, diags);
  REQUIRE(diags.items().size() == 1);
  CHECK(diags.items()[0].message == "external target 'a' is listed twice");
  CHECK(diags.items()[0].pos.line == 5);
  CHECK(diags.items()[0].pos.col == 15);
  CHECK(diags.items()[0].hint == "it is already listed on line 4");
  CHECK(exp.stack.external_targets.size() == 1);
}

TEST_CASE("a fault address is the stack's own, an external target's or refused",
          "[experiment][blast_radius]") {
  const std::vector<ExternalTarget> external = {{"one", "192.0.2.1", "", {}},
                                                {"net", "198.51.100.0/28", "", {}}};
  struct Case {
    const char* address;
    AddressScope scope;
  };
  const std::vector<Case> cases = {
      {"10.213.7.20", AddressScope::own_stack},
      {"127.0.0.1", AddressScope::own_stack},
      {"10.213.8.20", AddressScope::refused},
      {"192.0.2.1", AddressScope::external},
      {"192.0.2.2", AddressScope::refused},
      {"198.51.100.15", AddressScope::external},
      {"198.51.100.16", AddressScope::refused},
      {"8.8.8.8", AddressScope::refused},
      {"10.0.0.999", AddressScope::invalid},
      {"192.0.2.0/24", AddressScope::invalid},
      // Servers read a leading zero as octal: 010.213.7.20 is 8.213.7.20 to
      // HAProxy, not 10.213.7.20, so only the canonical form is an address.
      {"010.213.7.20", AddressScope::invalid},
      {"10.213.7.020", AddressScope::invalid},
      {"10.213.7.0", AddressScope::own_stack},
  };
  for (const auto& c : cases) {
    INFO(c.address);
    const auto check = check_fault_address(c.address, "10.213.7.0/24", external);
    CHECK(check.scope == c.scope);
    CHECK((check.target != nullptr) == (c.scope == AddressScope::external));
  }
  // Not allowed (no --allow-external): the same address is refused.
  CHECK(check_fault_address("192.0.2.1", "10.213.7.0/24", {}).scope == AddressScope::refused);
}

TEST_CASE("a refused fault address says how to allow it", "[experiment][blast_radius]") {
  Experiment exp;
  const auto problem = fault_address_problem(exp, "address", "8.8.8.8");
  REQUIRE(problem);
  CHECK(
      problem->message ==
      "address 8.8.8.8 is outside the run's subnet (10.213.0.0/16) and loopback, and not an external target");
  CHECK_THAT(problem->hint,
             Catch::Matchers::Contains("list it under stack.external_targets and run with --allow-external"));
  exp.stack.external_targets.push_back({"dns", "8.8.8.8", "", {}});
  CHECK_FALSE(fault_address_problem(exp, "address", "8.8.8.8"));
  CHECK(refused_address_message("8.8.8.8", "10.213.7.0/24").find("--allow-external") != std::string::npos);
}
