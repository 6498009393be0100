#include "harness/experiment/blast_radius.h"

#include <fmt/format.h>

#include <charconv>

namespace faultline::experiment {

std::optional<AddressRange> parse_address_range(const std::string& text) {
  AddressRange range;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  uint32_t address = 0;
  for (int i = 0; i < 4; ++i) {
    unsigned octet = 0;
    const auto [next, ec] = std::from_chars(p, end, octet);
    // Only the canonical form: servers parse "010" as octal (inet_aton),
    // so 010.0.0.1 would pass here as 10.0.0.1 and reach 8.0.0.1 there.
    if (ec != std::errc() || octet > 255 || next - p > 3 || (*p == '0' && next - p > 1)) {
      return std::nullopt;
    }
    address = (address << 8) | octet;
    p = next;
    if (i < 3) {
      if (p == end || *p != '.') {
        return std::nullopt;
      }
      ++p;
    }
  }
  range.base = address;
  if (p == end) {
    return range;
  }
  if (*p != '/') {
    return std::nullopt;
  }
  ++p;
  int prefix = 0;
  const auto [next, ec] = std::from_chars(p, end, prefix);
  if (ec != std::errc() || next != end || next - p > 2 || prefix < 0 || prefix > 32 ||
      (*p == '0' && next - p > 1)) {
    return std::nullopt;
  }
  range.prefix_len = prefix;
  if ((range.base & ~range.mask()) != 0) {
    return std::nullopt;
  }
  return range;
}

std::string format_address_range(const AddressRange& range) {
  const uint32_t a = range.base;
  const std::string address =
      fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
  return range.prefix_len == 32 ? address : fmt::format("{}/{}", address, range.prefix_len);
}

AddressCheck check_fault_address(const std::string& address, const std::string& run_subnet,
                                 const std::vector<ExternalTarget>& external) {
  const auto ip = parse_address_range(address);
  if (!ip || ip->prefix_len != 32) {
    return {AddressScope::invalid, nullptr};
  }
  const auto net = parse_address_range(run_subnet);
  if ((ip->base >> 24) == 127 || (net && net->contains(ip->base))) {
    return {AddressScope::own_stack, nullptr};
  }
  for (const auto& target : external) {
    const auto range = parse_address_range(target.address);
    if (range && range->contains(ip->base)) {
      return {AddressScope::external, &target};
    }
  }
  return {AddressScope::refused, nullptr};
}

std::string validation_subnet(const Experiment& exp) {
  return exp.stack.subnet.value_or(kAddressPool);
}

std::optional<Diagnostic> fault_address_problem(const Experiment& exp, const std::string& what,
                                                const std::string& address) {
  const std::string subnet = validation_subnet(exp);
  const auto check = check_fault_address(address, subnet, exp.stack.external_targets);
  switch (check.scope) {
    case AddressScope::own_stack:
    case AddressScope::external:
      return std::nullopt;
    case AddressScope::invalid:
      return Diagnostic{
          {},
          fmt::format("'{}' is not an IPv4 address", address),
          "use a dotted quad without leading zeros, e.g. an unused address of the run's subnet"};
    case AddressScope::refused:
      break;
  }
  return Diagnostic{
      {},
      fmt::format("{} {} is outside the run's subnet ({}) and loopback, and not an external target", what,
                  address, subnet),
      "a fault may only send traffic to the experiment's own stack: use an unused address of the run's "
      "subnet; to reach this host on purpose, list it under stack.external_targets and run with "
      "--allow-external"};
}

std::string refused_address_message(const std::string& address, const std::string& run_subnet) {
  return fmt::format(
      "refused: address {} is outside the run's subnet {} and loopback, and not an allowed external "
      "target; a fault may only send traffic to the experiment's own stack (list it under "
      "stack.external_targets and run with --allow-external)",
      address, run_subnet);
}

}  // namespace faultline::experiment
