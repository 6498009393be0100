// The one iptables rule a run adds on a host whose FORWARD chain would drop
// traffic across its bridge (Docker's host): when it is needed, its exact
// shape, that nothing but that shape is ever taken for one, and (as root,
// in a scratch namespace set up like Docker's host) that it is inserted,
// found by its comment, deleted, and removed by cleanup for a dead owner
// only.

#include "harness/stack/host_firewall.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "harness/platform/command.h"
#include "harness/platform/netns.h"
#include "harness/stack/cleanup.h"
#include "harness/stack/names.h"
#include "harness/stack/run_registry.h"
#include "tests/skip.h"
#include "tests/stack/stack_fixtures.h"

namespace faultline::stack {
namespace {

// How dockerd leaves FORWARD (Docker 28: DOCKER-USER first, then its own).
constexpr const char* kDockerForward =
    "-P FORWARD DROP\n"
    "-A FORWARD -j DOCKER-USER\n"
    "-A FORWARD -j DOCKER-FORWARD\n";

BridgeFiltering with_sysctl(std::optional<bool> call_iptables, const std::string& listing) {
  BridgeFiltering f;
  f.call_iptables = call_iptables;
  f.iptables_found = true;
  read_forward_listing(listing, f);
  return f;
}

TEST_CASE("the bridge rule is needed only when bridged traffic reaches a FORWARD that may drop it",
          "[stack][firewall]") {
  const auto docker = with_sysctl(true, kDockerForward);
  CHECK(docker.forward_policy == "DROP");
  CHECK(docker.forward_rules == 2);
  CHECK(docker.docker_user);
  CHECK(docker.needs_accept_rule());
  CHECK(docker.rule_chain() == "DOCKER-USER");

  // Policy DROP without Docker's chain: the top of FORWARD.
  const auto plain_drop = with_sysctl(true, "-P FORWARD DROP\n");
  CHECK(plain_drop.needs_accept_rule());
  CHECK(plain_drop.rule_chain() == "FORWARD");

  // A jump to DOCKER-USER that is not first, or not unconditional, may be
  // preceded or bypassed by a drop: then the top of FORWARD.
  CHECK(with_sysctl(true, "-P FORWARD DROP\n-A FORWARD -i eth0 -j DROP\n-A FORWARD -j DOCKER-USER\n")
            .rule_chain() == "FORWARD");
  CHECK(with_sysctl(true, "-P FORWARD DROP\n-A FORWARD -i eth0 -j DOCKER-USER\n").rule_chain() == "FORWARD");

  // Policy ACCEPT: needed only when some rule could drop.
  CHECK_FALSE(with_sysctl(true, "-P FORWARD ACCEPT\n").needs_accept_rule());
  CHECK(with_sysctl(true, "-P FORWARD ACCEPT\n-A FORWARD -j REJECT\n").needs_accept_rule());

  // Bridged frames never reach iptables: whatever FORWARD says, nothing.
  CHECK_FALSE(with_sysctl(false, kDockerForward).needs_accept_rule());
  CHECK_FALSE(with_sysctl(std::nullopt, kDockerForward).needs_accept_rule());
  // FORWARD unread: no rule (and no guess).
  BridgeFiltering unread;
  unread.call_iptables = true;
  unread.iptables_found = true;
  unread.problem = "iptables failed";
  CHECK_FALSE(unread.needs_accept_rule());
}

TEST_CASE("doctor's line names what was found and what a run will do", "[stack][firewall]") {
  CHECK(describe(with_sysctl(true, kDockerForward)) ==
        "FORWARD policy DROP (2 rules) and bridge-nf-call-iptables=1 (Docker): faultline will add one ACCEPT "
        "rule for its own bridge to DOCKER-USER for the run, removed at the end");
  CHECK_THAT(describe(with_sysctl(true, "-P FORWARD DROP\n")),
             Catch::StartsWith("FORWARD policy DROP and bridge-nf-call-iptables=1:") &&
                 Catch::Contains("at the top of FORWARD"));
  CHECK_THAT(describe(with_sysctl(false, kDockerForward)), Catch::StartsWith("bridge-nf-call-iptables=0"));
  CHECK_THAT(describe(with_sysctl(std::nullopt, "")), Catch::Contains("br_netfilter is not loaded"));
  CHECK_THAT(describe(with_sysctl(true, "-P FORWARD ACCEPT\n")), Catch::Contains("nothing to add"));
  BridgeFiltering no_iptables;
  no_iptables.call_iptables = true;
  CHECK_THAT(describe(no_iptables), Catch::Contains("iptables is not installed"));
}

TEST_CASE("iptables -S lines are split with their quoted comments", "[stack][firewall]") {
  CHECK(split_rule_line(R"(-A FORWARD -m comment --comment "a b \"c\" \\d" -j ACCEPT)") ==
        std::vector<std::string>{"-A", "FORWARD", "-m", "comment", "--comment", R"(a b "c" \d)", "-j",
                                 "ACCEPT"});
  CHECK(split_rule_line("  -P   FORWARD DROP  ") == std::vector<std::string>{"-P", "FORWARD", "DROP"});
  CHECK(split_rule_line(R"(--comment "")") == std::vector<std::string>{"--comment", ""});
}

TEST_CASE("only a run's exact bridge rule is taken for one", "[stack][firewall]") {
  const HostRule made = bridge_accept_rule("DOCKER-USER", "abc123", bridge_name("abc123"), "4242:1000");
  CHECK(made.spec == std::vector<std::string>{"-i", "flbr-abc123", "-o", "flbr-abc123", "-m", "comment",
                                              "--comment", "faultline:abc123 owner=4242:1000", "-j",
                                              "ACCEPT"});
  // As iptables -S prints it.
  const std::string line =
      R"(-A DOCKER-USER -i flbr-abc123 -o flbr-abc123 -m comment --comment "faultline:abc123 owner=4242:1000" -j ACCEPT)";
  auto parsed = parse_bridge_rule(line);
  REQUIRE(parsed);
  CHECK(parsed->chain == "DOCKER-USER");
  CHECK(parsed->run_id == "abc123");
  CHECK(parsed->owner_token == "4242:1000");
  CHECK(parsed->spec == made.spec);

  // Anything else is never ours: a fault's rule (no owner), another
  // bridge than the comment's run, another target, an extra match, a bad
  // run id, a policy line.
  for (
      const char* other : {
          R"(-A INPUT -i eth0 -m comment --comment "faultline:abc123" -j DROP)",
          R"(-A FORWARD -i flbr-abc124 -o flbr-abc124 -m comment --comment "faultline:abc123 owner=1:2" -j ACCEPT)",
          R"(-A FORWARD -i flbr-abc123 -o flbr-abc123 -m comment --comment "faultline:abc123 owner=1:2" -j DROP)",
          R"(-A FORWARD -s 10.0.0.1/32 -i flbr-abc123 -o flbr-abc123 -m comment --comment "faultline:abc123 owner=1:2" -j ACCEPT)",
          R"(-A FORWARD -i flbr-ABC123 -o flbr-ABC123 -m comment --comment "faultline:ABC123 owner=1:2" -j ACCEPT)",
          R"(-A FORWARD -i flbr-abc123 -o flbr-abc123 -m comment --comment "faultline:abc123 owner=" -j ACCEPT)",
          "-P FORWARD DROP",
          "-A FORWARD -j DOCKER-USER",
      }) {
    INFO(other);
    CHECK_FALSE(parse_bridge_rule(other));
  }
}

// ---- As root, in a scratch network namespace set up like Docker's host ----

bool skip_unless_root() {
  if (::geteuid() != 0) {
    ::faultline::testing::skip_test(
        "needs root for a scratch network namespace and iptables; CI runs these as root");
    return true;
  }
  return false;
}

// A namespace of the test's own, where iptables and the bridge sysctl are
// the namespace's, not the host's: FORWARD DROP, bridge-nf-call-iptables=1
// (each new namespace starts with it at 1), DOCKER-USER first in FORWARD.
struct DockerLikeNetns {
  std::string name = "fltest-fw-" + std::to_string(::getpid());
  platform::UniqueFd fd;

  DockerLikeNetns() {
    REQUIRE(platform::create_named_netns(name).ok());
    auto opened = platform::open_named_netns(name);
    REQUIRE(opened.ok());
    fd = std::move(*opened);
    for (const auto& argv :
         std::vector<std::vector<std::string>>{{"iptables", "-N", "DOCKER-USER"},
                                               {"iptables", "-A", "DOCKER-USER", "-j", "RETURN"},
                                               {"iptables", "-A", "FORWARD", "-j", "DOCKER-USER"},
                                               {"iptables", "-P", "FORWARD", "DROP"}}) {
      REQUIRE(in([&]() -> Status {
                auto out = platform::run_command(argv);
                if (!out) {
                  return out.error();
                }
                return out->succeeded() ? Status{} : Status{Error{platform::describe_failure(argv, *out)}};
              }).ok());
    }
  }
  DockerLikeNetns(const DockerLikeNetns&) = delete;
  DockerLikeNetns& operator=(const DockerLikeNetns&) = delete;
  ~DockerLikeNetns() {
    fd.reset();
    platform::delete_named_netns(name);
  }

  Status in(const std::function<Status()>& fn) const { return platform::run_in_netns(fd.get(), fn); }

  std::string ruleset() const {
    std::string text;
    in([&]() -> Status {
      auto out = platform::run_command({"iptables", "-S"});
      text = out ? out->out : out.error().message;
      return {};
    });
    return text;
  }
};

std::string read_sysctl_in(const DockerLikeNetns& ns) {
  std::string value;
  ns.in([&]() -> Status {
    std::ifstream in("/proc/sys/net/bridge/bridge-nf-call-iptables");
    std::getline(in, value);
    return {};
  });
  return value;
}

TEST_CASE("in a Docker-like namespace the probe finds DOCKER-USER and the rule goes in and out exactly",
          "[root][stack][firewall]") {
  if (skip_unless_root()) {
    return;
  }
  DockerLikeNetns ns;
  if (read_sysctl_in(ns) != "1") {
    FAULTLINE_SKIP_KERNEL("br_netfilter is not active in a new namespace on this kernel");
  }
  const std::string before = ns.ruleset();
  BridgeFiltering found;
  REQUIRE(ns.in([&] {
              found = probe_bridge_filtering();
              return Status{};
            }).ok());
  INFO(describe(found));
  CHECK(found.call_iptables == true);
  CHECK(found.forward_policy == "DROP");
  CHECK(found.docker_user);
  REQUIRE(found.needs_accept_rule());
  // Probing changed nothing.
  CHECK(ns.ruleset() == before);

  const HostRule rule =
      bridge_accept_rule(found.rule_chain(), "abc123", bridge_name("abc123"), owner_token());
  REQUIRE(ns.in([&] { return insert_rule(rule); }).ok());
  const std::string with_rule = ns.ruleset();
  INFO(with_rule);
  // First in DOCKER-USER, ahead of its RETURN.
  CHECK(with_rule.find("-A DOCKER-USER -i flbr-abc123") < with_rule.find("-A DOCKER-USER -j RETURN"));
  Result<std::vector<HostRule>> listed = std::vector<HostRule>{};
  REQUIRE(ns.in([&] {
              listed = list_bridge_rules();
              return Status{};
            }).ok());
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  CHECK(listed->front().spec == rule.spec);
  CHECK(listed->front().owner_token == owner_token());

  REQUIRE(ns.in([&] { return delete_rule(rule); }).ok());
  CHECK(ns.ruleset() == before);
  // Deleting what is gone is not an error.
  CHECK(ns.in([&] { return delete_rule(rule); }).ok());
}

TEST_CASE("cleanup removes a dead run's bridge rule by its comment and never a live run's",
          "[root][stack][firewall][cleanup]") {
  if (skip_unless_root()) {
    return;
  }
  DockerLikeNetns ns;
  const std::string before = ns.ruleset();
  testing::ScratchDir registry;

  // A run whose owner is dead, registered with its rule in the manifest...
  auto dead = create_run(registry.path());
  REQUIRE(dead.ok());
  const pid_t gone = ::fork();
  if (gone == 0) {
    ::_exit(0);
  }
  ::waitpid(gone, nullptr, 0);
  {
    std::ofstream(dead->run_dir + "/owner.pid") << gone << "\n";
    std::ofstream(dead->run_dir + "/owner.start") << "1\n";
  }
  const HostRule dead_rule =
      bridge_accept_rule("DOCKER-USER", dead->run_id, bridge_name(dead->run_id), std::to_string(gone) + ":1");
  REQUIRE(record_resource(*dead, "iptables", "DOCKER-USER/" + bridge_name(dead->run_id)).ok());
  // ...one in no registry at all, its owner (in the comment) dead too...
  const std::string orphan_id = dead->run_id == "fff001" ? "fff002" : "fff001";
  const HostRule orphan_rule =
      bridge_accept_rule("FORWARD", orphan_id, bridge_name(orphan_id), std::to_string(gone) + ":1");
  // ...and one whose owner, this process, is alive.
  auto live = create_run(registry.path());
  REQUIRE(live.ok());
  const HostRule live_rule =
      bridge_accept_rule("DOCKER-USER", live->run_id, bridge_name(live->run_id), owner_token());
  for (const auto* r : {&dead_rule, &orphan_rule, &live_rule}) {
    REQUIRE(ns.in([&] { return insert_rule(*r); }).ok());
  }

  CleanupReport report;
  REQUIRE(ns.in([&] {
              report =
                  cleanup_stale_runs(registry.path(), CleanupFilter{{dead->run_id, orphan_id, live->run_id}});
              return Status{};
            }).ok());
  for (const auto& e : report.errors) {
    FAIL_CHECK(e);
  }
  const std::string after = ns.ruleset();
  INFO(after);
  CHECK(after.find(dead->run_id + " owner") == std::string::npos);
  CHECK(after.find(orphan_id + " owner") == std::string::npos);
  CHECK(after.find("faultline:" + live->run_id + " owner=" + owner_token()) != std::string::npos);
  CHECK(std::count_if(report.removed.begin(), report.removed.end(), [](const std::string& r) {
          return r.find(": iptables rule accepting flbr-") != std::string::npos;
        }) == 2);

  REQUIRE(ns.in([&] { return delete_rule(live_rule); }).ok());
  CHECK(ns.ruleset() == before);
  release_run(*live);
}

}  // namespace
}  // namespace faultline::stack
