#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/result.h"

// What the host's iptables does to traffic between a run's namespaces, and
// the one rule a run adds when it would be dropped.
//
// A run's services talk to each other across the run's own Linux bridge.
// Bridged frames only reach iptables when br_netfilter is active: the
// kernel's bridge pre-routing hook (br_nf_pre_routing in
// net/bridge/br_netfilter_hooks.c) returns NF_ACCEPT without calling
// iptables when `!brnet->call_iptables && !br_opt_get(br,
// BROPT_NF_CALL_IPTABLES)`, that is it calls iptables when the namespace's
// net.bridge.bridge-nf-call-iptables sysctl OR the bridge's own
// nf_call_iptables option is set. The per-bridge option can only opt a
// bridge in, never out, so with the sysctl at 1 (which dockerd sets) every
// IPv4 packet between two ports of our bridge goes through the FORWARD
// chain, whose policy dockerd sets to DROP. Changing either would change the
// host for everyone else; instead a run inserts one ACCEPT rule matching
// only its own bridge (in and out), in DOCKER-USER when FORWARD jumps there
// (the chain Docker keeps for its users and never rewrites), else at the
// top of FORWARD. The load generator's traffic to the stack is not
// forwarded (the host sends and receives it: OUTPUT and INPUT), so the
// FORWARD policy does not touch it.
//
// The rule's comment carries the run id and its owner, like the links'
// alias, so `faultline cleanup` finds it after a SIGKILL and can tell a
// live run's from a dead one's:  faultline:<id> owner=<pid>:<start time>.
namespace faultline::stack {

struct BridgeFiltering {
  // net.bridge.bridge-nf-call-iptables of this network namespace; nullopt
  // when the sysctl does not exist (br_netfilter not loaded).
  std::optional<bool> call_iptables;
  bool iptables_found = false;
  std::string forward_policy;  // "ACCEPT", "DROP", ...; empty when FORWARD was not read
  size_t forward_rules = 0;    // rules in FORWARD itself
  bool docker_user = false;    // FORWARD jumps to DOCKER-USER (dockerd's layout)
  std::string problem;         // why FORWARD could not be read, if it could not

  // Bridged IPv4 reaches FORWARD and FORWARD may drop it (a policy other
  // than ACCEPT, or any rule: a rule or the chain it jumps to may drop).
  bool needs_accept_rule() const;
  // "DOCKER-USER" when FORWARD jumps there, else "FORWARD".
  std::string rule_chain() const;
};

// Looks at the calling thread's network namespace. Reads only: it never
// creates a table (with legacy iptables, listing a table that is not
// loaded would load it, so an absent filter table is read as empty).
BridgeFiltering probe_bridge_filtering();

// Fills the FORWARD fields from `iptables -S FORWARD` output.
void read_forward_listing(const std::string& listing, BridgeFiltering& into);

// One line for `faultline doctor`: what was found and what a run will do.
std::string describe(const BridgeFiltering& f);

// One iptables rule of the filter table, as `iptables -S` prints it after
// "-A <chain>".
struct HostRule {
  std::string chain;
  std::vector<std::string> spec;
  std::string run_id;       // from the comment
  std::string owner_token;  // from the comment
};

// The rule that lets a run's bridge forward between its own ports.
HostRule bridge_accept_rule(const std::string& chain, const std::string& run_id, const std::string& bridge,
                            const std::string& owner_token);
// "faultline:<id> owner=<token>".
std::string bridge_rule_comment(const std::string& run_id, const std::string& owner_token);

// Splits a line of `iptables -S` into its words, undoing the double quotes
// (and backslash escapes inside them) iptables puts around a comment.
std::vector<std::string> split_rule_line(const std::string& line);
// The rule a line of `iptables -S` holds when it is exactly a run's bridge
// rule (the shape bridge_accept_rule makes, for the run named in its
// comment); nullopt for anything else, which is never ours to touch.
std::optional<HostRule> parse_bridge_rule(const std::string& line);

// Every run's bridge rule in the filter table (empty when iptables is not
// installed).
Result<std::vector<HostRule>> list_bridge_rules();
// Inserts the rule first in its chain.
Status insert_rule(const HostRule& rule);
// Deletes the rule by its full spec (never by position, which another tool
// may shift); a rule already gone counts as deleted.
Status delete_rule(const HostRule& rule);

}  // namespace faultline::stack
