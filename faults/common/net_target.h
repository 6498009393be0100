#pragma once

#include <optional>
#include <string>
#include <vector>

#include "faults/common/param_table.h"
#include "faults/common/params.h"
#include "faults/fault.h"
#include "harness/common/result.h"
#include "harness/stack/stack.h"

// What every network fault shares: which traffic of the target service it
// acts on (`direction`, `peer`), the interface that traffic crosses, and
// running iptables/nft inside the service's namespace. Used by latency,
// loss, duplicate, reorder, bandwidth, partition and reset.
namespace faultline::faults {

// The interface every service has inside its own namespace (its veth end).
inline constexpr const char* kServiceInterface = "eth0";

enum class Direction { egress, ingress, both };

std::string to_string(Direction d);

// The traffic a network fault affects: what leaves (egress) and/or enters
// (ingress) `service`'s eth0, optionally only to/from `peers`.
struct NetTarget {
  std::string service;
  Direction direction = Direction::egress;
  std::vector<std::string> peers;  // service names; empty = all traffic

  bool egress() const { return direction != Direction::ingress; }
  bool ingress() const { return direction != Direction::egress; }

  // "traffic leaving web1 towards lb", "traffic entering and leaving web1".
  std::string describe() const;
};

// The parameters `direction` and `peer` as a fault's params struct holds
// them (a member of it), read by the rows of net_target_params.
struct NetTargetParams {
  std::optional<Direction> direction;
  std::optional<std::vector<std::string>> peer;
};

// The rows of `direction` (default: the first of `directions`, which lists
// the directions the fault supports) and `peer`, read into the member
// `target` of P; they follow a network fault's own rows in its table.
template <class P>
std::vector<Param<P>> net_target_params(NetTargetParams P::*target,
                                        const std::vector<Direction>& directions = {
                                            Direction::egress, Direction::ingress, Direction::both});

// The target the fault step acts on: its service, the direction read and
// the peers, every one of which must be another service of the stack.
// Errors go through `params` with their positions; nullopt when there was
// any (also one found before, by the table).
std::optional<NetTarget> check_net_target(ParamReader& params, const NetTargetParams& values,
                                          const experiment::Experiment& exp);

// The peers' addresses from the running stack's plan (empty when no peer).
Result<std::vector<std::string>> peer_addresses(const NetTarget& target, const stack::RunningStack& stack);

// One iptables rule's chain and match, for one direction and one peer:
// egress -> OUTPUT `-o eth0 [-d peer]`, ingress -> INPUT `-i eth0 [-s peer]`.
// The caller appends its target (`-j DROP`, `-j NFQUEUE ...`).
struct RuleMatch {
  std::string chain;               // "OUTPUT" or "INPUT"
  std::vector<std::string> match;  // e.g. {"-o", "eth0", "-d", "10.213.7.3"}
};
std::vector<RuleMatch> rule_matches(const NetTarget& target, const std::vector<std::string>& peer_addrs);

// The comment every rule a fault adds carries ("faultline:<run id>"), so a
// rule left behind can be traced to its run.
std::string rule_comment(const stack::RunningStack& stack);

// Runs `argv` (argv[0] a program name looked up like find_executable) as a
// child inside `service`'s network namespace and waits for it (bounded by
// 10 s). An error carries the exit status and the child's output.
Status run_in_service_netns(stack::RunningStack& stack, const std::string& service,
                            const std::vector<std::string>& argv);

// iptables rules added inside one service's namespace and removed again by
// remove_all(), which revert() calls (idempotent). The destructor removes
// nothing: the stack may be gone by then, and the rules live in its
// namespace, so tearing the stack down removes them anyway.
class IptablesRules {
 public:
  // `table` as for iptables -t ("filter", "mangle", "raw").
  IptablesRules(std::string service, std::string table = "filter");

  // Inserts every rule at the head of its chain (`-I chain 1 <spec...> -m
  // comment --comment <comment>`, the comment added here) in one
  // iptables-restore transaction: all of them or, on an error, none.
  // Remembered for remove_all. One process instead of one per rule: each
  // iptables run takes a share of the CPU the load generator needs (a
  // quarter of a second apiece in user-mode Linux).
  Status insert_all(stack::RunningStack& stack, const std::vector<RuleMatch>& rules);
  // Deletes every rule inserted, in one transaction; when that fails (a rule
  // removed by someone else, a namespace already gone), rule by rule, in
  // reverse order, keeping on after an error and returning the first one.
  // Rules already gone count as removed.
  Status remove_all(stack::RunningStack& stack);

  bool empty() const { return rules_.empty(); }

 private:
  struct Rule {
    std::string chain;
    std::vector<std::string> spec;  // with the comment match
  };
  Status restore(stack::RunningStack& stack, const std::string& op, const std::vector<Rule>& rules);
  Status remove_one_by_one(stack::RunningStack& stack);

  std::string service_;
  std::string table_;
  std::vector<Rule> rules_;
};

// The words and the kind of `direction` for a fault acting on `directions`.
std::string direction_doc(const std::vector<Direction>& directions);
ParamKind<Direction> direction_kind(const std::vector<Direction>& directions);

template <class P>
std::vector<Param<P>> net_target_params(NetTargetParams P::*target,
                                        const std::vector<Direction>& directions) {
  auto direction = [target](P& values) -> std::optional<Direction>& { return (values.*target).direction; };
  auto peer = [target](P& values) -> std::optional<std::vector<std::string>>& {
    return (values.*target).peer;
  };
  return {
      ParamRow<P, Direction>(direction, "direction", direction_kind(directions))
          .defaults_to(directions.front())
          .doc(direction_doc(directions)),
      ParamRow<P, std::vector<std::string>>(peer, "peer", kind::names("service or list"))
          .absent_means("all")
          .doc("only traffic to/from these services"),
  };
}

}  // namespace faultline::faults
