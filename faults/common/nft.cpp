#include "faults/common/nft.h"

#include <fmt/format.h>

#include <atomic>

#include "faults/common/net_target.h"

namespace faultline::faults {
namespace {

std::atomic<int> next_table{1};

}  // namespace

std::string nft_table_prefix(const std::string& run_id) {
  return "faultline_" + run_id;
}

std::string nft_match(bool ingress, const std::vector<std::string>& peer_addresses) {
  // Only eth0: loopback traffic inside the namespace is never part of a
  // network fault.
  std::string m = fmt::format("{} \"{}\"", ingress ? "iifname" : "oifname", kServiceInterface);
  if (!peer_addresses.empty()) {
    m += fmt::format(" ip {} {}", ingress ? "saddr" : "daddr", platform::nft_address_set(peer_addresses));
  }
  return m;
}

Status NftTargetTable::install(stack::RunningStack& stack, const NetTarget& target, const std::string& what,
                               const Rules& rules) {
  auto peers = peer_addresses(target, stack);
  if (!peers) {
    return peers.error();
  }
  std::string body;
  if (target.ingress()) {
    body += platform::nft_chain("input", "input", rules(true, *peers));
  }
  if (target.egress()) {
    body += platform::nft_chain("output", "output", rules(false, *peers));
  }
  service_ = target.service;
  table_.emplace(fmt::format("{}_{}_{}", nft_table_prefix(stack.identity().run_id), what, next_table++),
                 stack.identity().run_dir);
  name_ = table_->name();
  return table_->install(service_netns(stack, service_), body);
}

Status NftTargetTable::remove(stack::RunningStack& stack) {
  if (!table_) {
    return {};
  }
  auto st = table_->remove(service_netns(stack, service_));
  if (st) {
    table_.reset();
  }
  return st;
}

}  // namespace faultline::faults
