#pragma once

#include <functional>
#include <string>
#include <vector>

#include "harness/common/result.h"

namespace faultline::platform {

// Runs a function inside one network namespace and returns its status. The
// rule sets below enter a namespace through it, so they need not know what
// made the namespace (a run's stack, a benchmark's own pair).
using InNetns = std::function<Status(const std::function<Status()>&)>;

// One iptables rule: its chain and its match, without the target's comment.
struct IptablesRule {
  std::string chain;               // "OUTPUT", "INPUT"
  std::vector<std::string> match;  // e.g. {"-o", "eth0", "-d", "10.213.7.3", "-j", "DROP"}
};

// iptables rules added inside one network namespace and removed again by
// remove_all(), which a fault's revert calls (idempotent). The destructor
// removes nothing: the namespace may be gone by then, and rules inside a
// namespace go with it.
class IptablesRules {
 public:
  // `comment` is added to every rule (`-m comment --comment <comment>`), so
  // that one left behind can be traced; `table` as for iptables -t.
  explicit IptablesRules(std::string comment, std::string table = "filter");

  // Inserts every rule at the head of its chain in one iptables-restore
  // transaction: all of them or, on an error, none. Remembered for
  // remove_all. One process instead of one per rule: each iptables run takes
  // a share of the CPU the load generator needs (a quarter of a second
  // apiece in user-mode Linux).
  Status insert_all(const InNetns& in_netns, const std::vector<IptablesRule>& rules);
  // Deletes every rule inserted, in one transaction; when that fails (a rule
  // removed by someone else, a namespace already gone), rule by rule, in
  // reverse order, keeping on after an error and returning the first one.
  // Rules already gone count as removed.
  Status remove_all(const InNetns& in_netns);

  bool empty() const { return rules_.empty(); }

 private:
  Status restore(const InNetns& in_netns, const std::string& op, const std::vector<IptablesRule>& rules);
  Status remove_one_by_one(const InNetns& in_netns);

  std::string comment_;
  std::string table_;
  std::vector<IptablesRule> rules_;  // as inserted, with the comment match
};

}  // namespace faultline::platform
