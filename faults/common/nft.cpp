#include "faults/common/nft.h"

#include <fmt/format.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "faults/common/net_target.h"

namespace faultline::faults {
namespace {

std::atomic<int> next_table{1};

}  // namespace

std::string nft_table_prefix(const std::string& run_id) {
  return "faultline_" + run_id;
}

std::string nft_address_set(const std::vector<std::string>& addresses) {
  return fmt::format("{{ {} }}", fmt::join(addresses, ", "));
}

std::string nft_chain(const std::string& name, const std::string& hook,
                      const std::vector<std::string>& rules) {
  std::string text = fmt::format(
      "  chain {} {{\n    type filter hook {} priority filter - 10; policy accept;\n", name, hook);
  for (const auto& r : rules) {
    text += "    " + r + "\n";
  }
  text += "  }\n";
  return text;
}

std::string nft_match(bool ingress, const std::vector<std::string>& peer_addresses) {
  // Only eth0: loopback traffic inside the namespace is never part of a
  // network fault.
  std::string m = fmt::format("{} \"{}\"", ingress ? "iifname" : "oifname", kServiceInterface);
  if (!peer_addresses.empty()) {
    m += fmt::format(" ip {} {}", ingress ? "saddr" : "daddr", nft_address_set(peer_addresses));
  }
  return m;
}

NftTable::NftTable(const stack::RunningStack& stack, std::string service, const std::string& what)
    : service_(std::move(service)),
      name_(fmt::format("{}_{}_{}", nft_table_prefix(stack.identity().run_id), what, next_table++)) {}

Status NftTable::run_script(stack::RunningStack& stack, const std::string& script) {
  // The script lives in the run dir, so a failed run leaves it there to be
  // read, and the run dir's removal takes it away.
  const std::string path = fmt::format("{}/{}-{}.nft", stack.identity().run_dir, name_, service_);
  {
    std::ofstream out(path, std::ios::trunc);
    out << script;
    if (!out) {
      return Error{fmt::format("nft: cannot write {}", path)};
    }
  }
  auto st = run_in_service_netns(stack, service_, {"nft", "-f", path});
  if (st) {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
  return st;
}

Status NftTable::install(stack::RunningStack& stack, const std::string& body) {
  // Declaring the table before deleting it makes the delete succeed whether
  // or not an older copy exists; all of it is one transaction.
  const std::string script =
      fmt::format("table inet {0}\ndelete table inet {0}\ntable inet {0} {{\n{1}}}\n", name_, body);
  installed_ = true;  // from here on revert must try, even if nft failed halfway
  return run_script(stack, script);
}

Status NftTable::remove(stack::RunningStack& stack) {
  if (!installed_) {
    return {};
  }
  auto st = run_script(stack, fmt::format("table inet {0}\ndelete table inet {0}\n", name_));
  if (st) {
    installed_ = false;
  }
  return st;
}

Status NftTargetTable::install(stack::RunningStack& stack, const NetTarget& target, const std::string& what,
                               const Rules& rules) {
  auto peers = peer_addresses(target, stack);
  if (!peers) {
    return peers.error();
  }
  std::string body;
  if (target.ingress()) {
    body += nft_chain("input", "input", rules(true, *peers));
  }
  if (target.egress()) {
    body += nft_chain("output", "output", rules(false, *peers));
  }
  table_.emplace(stack, target.service, what);
  name_ = table_->name();
  return table_->install(stack, body);
}

Status NftTargetTable::remove(stack::RunningStack& stack) {
  if (!table_) {
    return {};
  }
  auto st = table_->remove(stack);
  if (st) {
    table_.reset();
  }
  return st;
}

}  // namespace faultline::faults
