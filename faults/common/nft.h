#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "faults/common/net_target.h"
#include "harness/common/result.h"
#include "harness/platform/nft.h"
#include "harness/stack/stack.h"

// nftables tables of network faults (partition, reset), installed inside a
// service's network namespace through platform::NftTable: gone with the
// namespace even when revert never ran (SIGKILL); revert removes them
// explicitly.
namespace faultline::faults {

// The prefix every table of a run carries (faultline_<run id>), for cleanup
// and for tests that look for leftovers.
std::string nft_table_prefix(const std::string& run_id);

// The match of one direction of a NetTarget-like selection, e.g.
// `iifname "eth0" ip saddr { 10.0.0.3 }`: `ingress` picks the input side.
std::string nft_match(bool ingress, const std::vector<std::string>& peer_addresses);

// The table of a fault that filters a NetTarget's traffic with nft rules
// (partition, reset): an input chain when the target has an ingress side,
// an output chain when it has an egress side, each holding the rules the
// fault gives for that side and the peers' addresses.
class NftTargetTable {
 public:
  using Rules =
      std::function<std::vector<std::string>(bool ingress, const std::vector<std::string>& peer_addresses)>;

  // `what` names the fault kind ("partition"); the table is called
  // faultline_<run id>_<what>_<n>, unique within this process, so that two
  // faults on one service never share a table and anything left can be
  // traced to its run.
  Status install(stack::RunningStack& stack, const NetTarget& target, const std::string& what,
                 const Rules& rules);
  // Idempotent; safe without install.
  Status remove(stack::RunningStack& stack);

  // The table's name once install() has been called, "" before (for the
  // journal's mechanism; kept after remove()).
  const std::string& name() const { return name_; }

 private:
  std::optional<platform::NftTable> table_;
  std::string service_;
  std::string name_;
};

}  // namespace faultline::faults
