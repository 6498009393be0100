#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/experiment/model.h"

// The blast radius of a fault: the one check every fault parameter that
// names an address goes through, when the experiment is validated and again
// when the fault is injected. A fault may send traffic only to the run's own
// subnet or to loopback, or to an external target the experiment lists
// (stack.external_targets) and the user allowed (--allow-external).
namespace faultline::experiment {

// faultline's address pool: each run gets a /24 of it unless stack.subnet
// names one.
inline constexpr const char* kAddressPool = "10.213.0.0/16";

// An IPv4 network; a single address is a /32.
struct AddressRange {
  uint32_t base = 0;  // host byte order
  int prefix_len = 32;

  uint32_t mask() const { return prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - prefix_len); }
  bool contains(uint32_t addr) const { return (addr & mask()) == base; }
  bool contains(const AddressRange& other) const {
    return other.prefix_len >= prefix_len && contains(other.base);
  }
  bool overlaps(const AddressRange& other) const { return contains(other) || other.contains(*this); }
};

// "192.0.2.1" (a /32) or "192.0.2.0/24"; nullopt for anything else,
// including a network with host bits set.
std::optional<AddressRange> parse_address_range(const std::string& text);
std::string format_address_range(const AddressRange& range);

enum class AddressScope {
  own_stack,  // the run's subnet or loopback
  external,   // inside one of the allowed external targets
  refused,    // anywhere else
  invalid,    // not an IPv4 address
};

struct AddressCheck {
  AddressScope scope = AddressScope::refused;
  const ExternalTarget* target = nullptr;  // set for `external`
};

// Where `address` lies for a run on `run_subnet` (a CIDR: the run's /24, or
// at validation stack.subnet or kAddressPool), with `external` the external
// targets that may be reached.
AddressCheck check_fault_address(const std::string& address, const std::string& run_subnet,
                                 const std::vector<ExternalTarget>& external);

// The subnet a run of `exp` may use, as far as validation knows it.
std::string validation_subnet(const Experiment& exp);

// Validation-time check of `address`, which a fault parameter names (`what`
// says how, e.g. "address"):
// listed external targets are accepted (the run itself refuses them without
// --allow-external). The problem with a refused or invalid address, with
// the fix as its hint (no position: the caller knows the parameter's), or
// nullopt when the address is acceptable.
std::optional<Diagnostic> fault_address_problem(const Experiment& exp, const std::string& what,
                                                const std::string& address);

// The message of an address refused when a fault is injected.
std::string refused_address_message(const std::string& address, const std::string& run_subnet);

}  // namespace faultline::experiment
