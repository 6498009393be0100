#pragma once

#include <cstdint>
#include <optional>
#include <string>

// IPv4 networks as the planner needs them: parse, print, compare.
namespace faultline::platform {

struct Ipv4Net {
  uint32_t base = 0;  // host byte order
  int prefix_len = 0;

  uint32_t mask() const { return prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - prefix_len); }
  uint32_t last() const { return base | ~mask(); }
  bool contains(uint32_t addr) const { return (addr & mask()) == base; }
  bool overlaps(const Ipv4Net& other) const { return base <= other.last() && other.base <= last(); }
};

std::optional<uint32_t> parse_ipv4(const std::string& text);
std::string format_ipv4(uint32_t addr);

// "10.213.7.0/24" (host bits must be zero: a typo there is more likely than
// an intent, and silently masking it would hide the typo).
std::optional<Ipv4Net> parse_cidr(const std::string& text);
std::string format_cidr(const Ipv4Net& net);

// The network an address with a prefix belongs to ("10.0.0.5", 24 -> 10.0.0.0/24).
Ipv4Net network_of(uint32_t addr, int prefix_len);

}  // namespace faultline::platform
