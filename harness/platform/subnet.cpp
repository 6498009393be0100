#include "harness/platform/subnet.h"

#include <arpa/inet.h>

#include <charconv>

namespace faultline::platform {

std::optional<uint32_t> parse_ipv4(const std::string& text) {
  in_addr a{};
  if (inet_pton(AF_INET, text.c_str(), &a) != 1) {
    return std::nullopt;
  }
  return ntohl(a.s_addr);
}

std::string format_ipv4(uint32_t addr) {
  in_addr a{};
  a.s_addr = htonl(addr);
  char buf[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

std::optional<Ipv4Net> parse_cidr(const std::string& text) {
  const auto slash = text.find('/');
  if (slash == std::string::npos) {
    return std::nullopt;
  }
  auto addr = parse_ipv4(text.substr(0, slash));
  if (!addr) {
    return std::nullopt;
  }
  const std::string len_text = text.substr(slash + 1);
  int len = -1;
  auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (ec != std::errc{} || end != len_text.data() + len_text.size() || len < 0 || len > 32) {
    return std::nullopt;
  }
  Ipv4Net net{*addr, len};
  if ((net.base & net.mask()) != net.base) {
    return std::nullopt;
  }
  return net;
}

std::string format_cidr(const Ipv4Net& net) {
  return format_ipv4(net.base) + "/" + std::to_string(net.prefix_len);
}

Ipv4Net network_of(uint32_t addr, int prefix_len) {
  Ipv4Net net{0, prefix_len};
  net.base = addr & net.mask();
  return net;
}

}  // namespace faultline::platform
