#pragma once

#include <string>
#include <vector>

#include "harness/common/result.h"
#include "harness/platform/iptables.h"

// nftables tables installed inside a network namespace. Being inside the
// namespace, a table disappears with it, so removing the namespace removes
// the table by construction even when remove() never ran (SIGKILL).
//
// Why the `nft` binary and not libnftables: libnftables-dev exists in
// Debian 12, but it is not among the project's build dependencies, and one
// `nft -f` per change costs a few milliseconds, far below what a fault's
// timing can notice. Scripts are applied with `nft -f`, which commits the
// whole file as one transaction: a table is in place entirely or not at all.
namespace faultline::platform {

class NftTable {
 public:
  // `name` must be unique among the tables of the namespace; `script_dir`
  // is where the script of each change is written (and left when nft fails,
  // to be read).
  NftTable(std::string name, std::string script_dir);

  // Creates the table (family inet) with `body` as its contents (chains and
  // rules in nft syntax), replacing an older table of the same name.
  Status install(const InNetns& in_netns, const std::string& body);

  // Deletes the table; safe when it was never installed or is gone.
  Status remove(const InNetns& in_netns);

  const std::string& name() const { return name_; }

 private:
  Status run_script(const InNetns& in_netns, const std::string& script);

  std::string name_;
  std::string script_dir_;
  bool installed_ = false;
};

// A base chain of family inet hooked at `hook` ("input", "output") with the
// given rules, one per line, ahead of the namespace's own filtering
// (priority filter - 10) and accepting what no rule matches.
std::string nft_chain(const std::string& name, const std::string& hook,
                      const std::vector<std::string>& rules);

// A comma-separated nft set of addresses, "{ 10.0.0.2, 10.0.0.3 }".
std::string nft_address_set(const std::vector<std::string>& addresses);

}  // namespace faultline::platform
