// The platform's rule sets (iptables through iptables-restore, nftables
// tables) inside a network namespace of the test's own: installed whole,
// traceable by their comment or name, removed whole, and removal that
// tolerates rules someone else already took away. Needs root; each case
// removes its namespace on every exit (NamespaceGuard).

#include <unistd.h>

#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <vector>

#include "harness/platform/command.h"
#include "harness/platform/iptables.h"
#include "harness/platform/netns.h"
#include "harness/platform/nft.h"
#include "harness/platform/process.h"
#include "tests/skip.h"

namespace platform = faultline::platform;
using faultline::Status;

namespace {

// A named namespace for one case, deleted when the case ends however it ends.
struct NamespaceGuard {
  std::string name;
  explicit NamespaceGuard(std::string n) : name(std::move(n)) { (void)platform::delete_named_netns(name); }
  ~NamespaceGuard() { (void)platform::delete_named_netns(name); }
};

platform::InNetns in_named(const std::string& name) {
  return [name](const std::function<Status()>& fn) -> Status {
    auto fd = platform::open_named_netns(name);
    if (!fd) {
      return fd.error();
    }
    return platform::run_in_netns(fd->get(), fn);
  };
}

// What a tool prints inside the namespace ("" when it fails).
std::string inside(const std::string& ns, const std::vector<std::string>& argv) {
  std::string text;
  (void)in_named(ns)([&]() -> Status {
    auto out = platform::run_command(argv);
    if (out && out->succeeded()) {
      text = out->out;
    }
    return {};
  });
  return text;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("iptables rules go in with their comment as one set and come out again, even half gone",
          "[platform][rules][root]") {
  if (geteuid() != 0) {
    FAULTLINE_SKIP("needs root to make a network namespace (CI runs as root)");
  }
  if (!platform::find_executable("iptables-restore")) {
    FAULTLINE_SKIP("iptables-restore is not installed (scripts/setup.sh installs iptables)");
  }
  NamespaceGuard ns("fltest-rules-ipt");
  REQUIRE(platform::create_named_netns(ns.name));
  const auto enter = in_named(ns.name);

  platform::IptablesRules rules("faultline:test01");
  REQUIRE(rules.insert_all(
      enter, {{"OUTPUT", {"-d", "192.0.2.1", "-j", "DROP"}}, {"INPUT", {"-s", "192.0.2.2", "-j", "DROP"}}}));
  CHECK_FALSE(rules.empty());
  const std::string listed = inside(ns.name, {"iptables", "-w", "5", "-S"});
  INFO(listed);
  CHECK(has(listed, "-A OUTPUT -d 192.0.2.1/32 -m comment --comment \"faultline:test01\" -j DROP"));
  CHECK(has(listed, "-A INPUT -s 192.0.2.2/32 -m comment --comment \"faultline:test01\" -j DROP"));

  // Someone else removes one: removing the set still succeeds and leaves none.
  REQUIRE(inside(ns.name, {"iptables", "-w", "5", "-D", "INPUT", "-s", "192.0.2.2", "-m", "comment",
                           "--comment", "faultline:test01", "-j", "DROP"})
              .empty());
  CHECK(rules.remove_all(enter));
  CHECK(rules.empty());
  CHECK_FALSE(has(inside(ns.name, {"iptables", "-w", "5", "-S"}), "faultline:test01"));
  // Idempotent.
  CHECK(rules.remove_all(enter));

  // A set the kernel refuses goes in not at all.
  platform::IptablesRules bad("faultline:test01");
  CHECK_FALSE(bad.insert_all(enter, {{"OUTPUT", {"-d", "192.0.2.1", "-j", "DROP"}},
                                     {"OUTPUT", {"-d", "not-an-address", "-j", "DROP"}}}));
  CHECK(bad.empty());
  CHECK_FALSE(has(inside(ns.name, {"iptables", "-w", "5", "-S"}), "faultline:test01"));
}

TEST_CASE("an nftables table goes in whole, replaces an older copy and comes out",
          "[platform][rules][root]") {
  if (geteuid() != 0) {
    FAULTLINE_SKIP("needs root to make a network namespace (CI runs as root)");
  }
  if (!platform::find_executable("nft")) {
    FAULTLINE_SKIP("nft is not installed (scripts/setup.sh installs nftables)");
  }
  NamespaceGuard ns("fltest-rules-nft");
  REQUIRE(platform::create_named_netns(ns.name));
  const auto enter = in_named(ns.name);
  char dir_template[] = "/tmp/fltest-nft-XXXXXX";
  REQUIRE(mkdtemp(dir_template) != nullptr);
  const std::string dir = dir_template;

  platform::NftTable table("faultline_test01_partition_1", dir);
  CHECK(table.remove(enter));  // never installed: nothing to do
  const std::string body = platform::nft_chain(
      "output", "output", {"ip daddr " + platform::nft_address_set({"192.0.2.1", "192.0.2.3"}) + " drop"});
  REQUIRE(table.install(enter, body));
  REQUIRE(table.install(enter, body));  // again: replaces, no duplicate
  const std::string listed = inside(ns.name, {"nft", "list", "ruleset"});
  INFO(listed);
  CHECK(has(listed, "table inet faultline_test01_partition_1"));
  CHECK(has(listed, "ip daddr { 192.0.2.1, 192.0.2.3 } drop"));
  CHECK(has(listed, "priority filter - 10; policy accept;"));

  CHECK(table.remove(enter));
  CHECK_FALSE(has(inside(ns.name, {"nft", "list", "ruleset"}), "faultline_test01"));
  // The scripts were applied and removed: nothing is left in the folder.
  CHECK(inside(ns.name, {"ls", "-A", dir}).empty());

  // A body nft refuses: the error says so, and the table is not there.
  platform::NftTable broken("faultline_test01_broken_1", dir);
  const Status st = broken.install(enter, "  chain c { this is not nft }\n");
  CHECK_FALSE(st);
  CHECK(has(st.error().message, "nft"));
  CHECK_FALSE(has(inside(ns.name, {"nft", "list", "ruleset"}), "faultline_test01_broken"));
  (void)platform::run_command({"rm", "-rf", dir});
}
