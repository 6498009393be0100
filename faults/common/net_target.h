#pragma once

#include <optional>
#include <string>
#include <vector>

#include "faults/common/param_table.h"
#include "faults/common/params.h"
#include "faults/fault.h"
#include "harness/common/result.h"
#include "harness/platform/iptables.h"
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

// One iptables rule's chain and match per direction and peer: egress ->
// OUTPUT `-o eth0 [-d peer]`, ingress -> INPUT `-i eth0 [-s peer]`. The
// caller appends its target (`-j DROP`, `-j NFQUEUE ...`) and adds them
// with platform::IptablesRules.
std::vector<platform::IptablesRule> rule_matches(const NetTarget& target,
                                                 const std::vector<std::string>& peer_addrs);

// The comment every rule a fault adds carries ("faultline:<run id>"), so a
// rule left behind can be traced to its run.
std::string rule_comment(const stack::RunningStack& stack);

// Runs `argv` (argv[0] a program name looked up like find_executable) as a
// child inside `service`'s network namespace and waits for it (bounded by
// 10 s). An error carries the exit status and the child's output.
Status run_in_service_netns(stack::RunningStack& stack, const std::string& service,
                            const std::vector<std::string>& argv);

// The way into `service`'s network namespace, for the platform's rule sets
// (iptables, nftables). It refers to `stack`: made for one call.
platform::InNetns service_netns(stack::RunningStack& stack, const std::string& service);

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
