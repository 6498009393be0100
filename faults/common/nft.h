#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "faults/common/net_target.h"
#include "harness/common/result.h"
#include "harness/stack/stack.h"

// nftables tables that network faults install inside a service's network
// namespace. Being inside the namespace, a table disappears with it, so
// tearing the stack down removes it by construction even when revert never
// ran (SIGKILL); revert removes it explicitly.
//
// Why the `nft` binary and not libnftables: libnftables-dev exists in
// Debian 12, but it is not among the project's build dependencies, and one
// `nft -f` per inject/revert costs a few milliseconds, far below what a
// fault's timing can notice. Scripts are applied with `nft -f`, which
// commits the whole file as one transaction: a fault is in place entirely or
// not at all.
namespace faultline::faults {

class NftTable {
 public:
  // `what` names the fault kind ("partition"); the table is called
  // faultline_<run id>_<what>_<n>, unique within this process, so that two
  // faults on one service never share a table and anything left can be
  // traced to its run.
  NftTable(const stack::RunningStack& stack, std::string service, const std::string& what);

  // Creates the table (family inet) with `body` as its contents (chains and
  // rules in nft syntax), replacing an older table of the same name.
  Status install(stack::RunningStack& stack, const std::string& body);

  // Deletes the table; safe when it was never installed or is gone.
  Status remove(stack::RunningStack& stack);

  const std::string& name() const { return name_; }
  const std::string& service() const { return service_; }

 private:
  Status run_script(stack::RunningStack& stack, const std::string& script);

  std::string service_;
  std::string name_;
  bool installed_ = false;
};

// The prefix every table of a run carries (faultline_<run id>), for cleanup
// and for tests that look for leftovers.
std::string nft_table_prefix(const std::string& run_id);

// A base chain of family inet hooked at `hook` ("input", "output") with the
// given rules, one per line, ahead of the stack's own filtering (priority
// filter - 10) and accepting what no rule matches.
std::string nft_chain(const std::string& name, const std::string& hook,
                      const std::vector<std::string>& rules);

// The match of one direction of a NetTarget-like selection, e.g.
// `iifname "eth0" ip saddr { 10.0.0.3 }`: `ingress` picks the input side.
std::string nft_match(bool ingress, const std::vector<std::string>& peer_addresses);

// A comma-separated nft set of addresses, "{ 10.0.0.2, 10.0.0.3 }".
std::string nft_address_set(const std::vector<std::string>& addresses);

// The table of a fault that filters a NetTarget's traffic with nft rules
// (partition, reset): an input chain when the target has an ingress side,
// an output chain when it has an egress side, each holding the rules the
// fault gives for that side and the peers' addresses.
class NftTargetTable {
 public:
  using Rules =
      std::function<std::vector<std::string>(bool ingress, const std::vector<std::string>& peer_addresses)>;

  // `what` names the table as for NftTable.
  Status install(stack::RunningStack& stack, const NetTarget& target, const std::string& what,
                 const Rules& rules);
  // Idempotent; safe without install.
  Status remove(stack::RunningStack& stack);

  // The table's name once install() has been called, "" before (for the
  // journal's mechanism; kept after remove()).
  const std::string& name() const { return name_; }

 private:
  std::optional<NftTable> table_;
  std::string name_;
};

}  // namespace faultline::faults
