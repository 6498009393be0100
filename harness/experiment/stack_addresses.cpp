// The stack's addresses: `stack.subnet` (the run's own network) and
// `stack.external_targets` (hosts outside the stack a fault may reach).
// Part of the stack section (stack_section.cpp reads the services).

#include <fmt/format.h>

#include <charconv>
#include <cstdint>

#include "harness/experiment/blast_radius.h"
#include "harness/experiment/sections.h"

namespace faultline::experiment {

namespace {

const std::vector<std::string> kExternalTargetKeys = {"name", "address", "reason"};
// A wider external network is more likely a mistake than a target.
constexpr int kMinExternalPrefix = 16;

struct Cidr {
  uint32_t address = 0;
  int prefix = 0;
};

std::optional<Cidr> parse_cidr(const std::string& text) {
  Cidr cidr;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int i = 0; i < 4; ++i) {
    unsigned octet = 0;
    const auto [next, ec] = std::from_chars(p, end, octet);
    if (ec != std::errc() || octet > 255 || next - p > 3) {
      return std::nullopt;
    }
    cidr.address = (cidr.address << 8) | octet;
    p = next;
    if (p == end || *p != (i < 3 ? '.' : '/')) {
      return std::nullopt;
    }
    ++p;
  }
  const auto [next, ec] = std::from_chars(p, end, cidr.prefix);
  if (ec != std::errc() || next != end || next - p > 2) {
    return std::nullopt;
  }
  return cidr;
}

std::string format_address(uint32_t a) {
  return fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

bool is_private(const Cidr& c) {
  // The whole network must lie inside one of the RFC 1918 ranges; with a
  // prefix of at least /16 that holds when its first address does.
  return (c.address >> 24) == 10 || (c.address >> 20) == ((172u << 4) | 1) ||
         (c.address >> 16) == ((192u << 8) | 168);
}

}  // namespace

void read_subnet(const SourceNode& node, FieldReader& r, Stack& stack) {
  const auto text = r.text(node, "subnet");
  if (!text) {
    return;
  }
  const auto cidr = parse_cidr(*text);
  if (!cidr) {
    r.diags().error(node.pos, fmt::format("'subnet' must be an IPv4 network in CIDR form, not '{}'", *text),
                    "e.g. 10.213.0.0/24");
    return;
  }
  if (cidr->prefix < 16 || cidr->prefix > 28) {
    r.diags().error(node.pos, fmt::format("'subnet' must be between /16 and /28, not /{}", cidr->prefix),
                    "a /28 holds 14 addresses, enough for a small stack; /24 is a common choice");
    return;
  }
  if (!is_private(*cidr)) {
    r.diags().error(node.pos, fmt::format("'subnet' {} is not a private network", *text),
                    "use a range inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16");
    return;
  }
  const uint32_t mask = ~uint32_t{0} << (32 - cidr->prefix);
  if ((cidr->address & ~mask) != 0) {
    r.diags().error(node.pos, fmt::format("'subnet' {} has host bits set", *text),
                    fmt::format("did you mean {}/{}?", format_address(cidr->address & mask), cidr->prefix));
    return;
  }
  stack.subnet = *text;
}

namespace {

// stack.external_targets: hosts outside the stack that a fault may send
// traffic to, each named so the journal and the refusal can say which. An
// address that is already the stack's own needs no listing, and listing it
// would hide a typo, so it is refused.
bool check_external_address(const SourceNode& node, const std::string& text, FieldReader& r,
                            const Stack& stack) {
  const auto range = parse_address_range(text);
  if (!range) {
    r.diags().error(node.pos,
                    fmt::format("external target address must be an IPv4 address or network, not '{}'", text),
                    "e.g. 192.0.2.10 or 192.0.2.0/28 (a network without host bits set)");
    return false;
  }
  if (range->prefix_len < kMinExternalPrefix) {
    r.diags().error(node.pos,
                    fmt::format("external target {} is too wide (/{}; at most /{})", text, range->prefix_len,
                                kMinExternalPrefix),
                    "name the hosts a fault must reach, or a narrow network around them");
    return false;
  }
  const AddressRange loopback{127u << 24, 8};
  if (range->overlaps(loopback)) {
    r.diags().error(node.pos, fmt::format("external target {} is loopback", text),
                    "faults may always use loopback: remove this entry");
    return false;
  }
  const std::string own = stack.subnet.value_or(kAddressPool);
  const auto own_range = parse_address_range(own);
  const auto pool = parse_address_range(kAddressPool);
  if ((own_range && range->overlaps(*own_range)) || (pool && range->overlaps(*pool))) {
    r.diags().error(node.pos,
                    fmt::format("external target {} is inside the run's own addresses ({}{})", text, own,
                                own == kAddressPool ? ", faultline's pool" : ""),
                    "faults may always use the run's subnet: remove this entry");
    return false;
  }
  return true;
}

}  // namespace

void read_external_targets(const SourceNode& node, FieldReader& r, Stack& stack) {
  if (!r.expect_list(node, "external_targets")) {
    return;
  }
  for (const auto& item : node.items) {
    if (!r.expect_map(item, "an external target")) {
      continue;
    }
    r.check_keys(item, kExternalTargetKeys, "external target");
    ExternalTarget target;
    bool ok = true;
    if (const SourceNode* name = item.find("name")) {
      if (auto n = r.non_empty_text(*name, "name")) {
        for (const auto& other : stack.external_targets) {
          if (other.name == *n) {
            r.diags().error(name->pos, fmt::format("external target '{}' is listed twice", *n),
                            fmt::format("it is already listed on line {}", other.pos.line));
            ok = false;
          }
        }
        target.name = *n;
      } else {
        ok = false;
      }
    } else {
      r.missing(item.pos, "name", "external target");
      ok = false;
    }
    if (const SourceNode* address = item.find("address")) {
      target.pos = address->pos;
      if (auto a = r.text(*address, "address")) {
        target.address = *a;
        ok = check_external_address(*address, *a, r, stack) && ok;
      } else {
        ok = false;
      }
    } else {
      r.missing(item.pos, "address", "external target");
      ok = false;
    }
    if (const SourceNode* reason = item.find("reason")) {
      if (auto t = r.text(*reason, "reason")) {
        target.reason = *t;
      }
    }
    if (ok) {
      stack.external_targets.push_back(std::move(target));
    }
  }
}

}  // namespace faultline::experiment
