#include "faults/common/blast_radius.h"

#include <regex>

namespace faultline::faults {

bool check_address_param(ParamReader& params, const std::string& name, const std::string& what,
                         const experiment::Experiment& exp, const std::string& address) {
  if (auto problem = experiment::fault_address_problem(exp, what, address)) {
    params.error_at(name, problem->message, problem->hint);
    return false;
  }
  return true;
}

std::vector<experiment::ExternalTarget> reachable_external(const experiment::Experiment& exp) {
  if (!exp.allow_external) {
    return {};
  }
  return exp.stack.external_targets;
}

Status check_address_at_inject(const stack::RunningStack& stack, const std::string& address,
                               const std::vector<experiment::ExternalTarget>& external) {
  const auto check = experiment::check_fault_address(address, stack.plan().subnet, external);
  if (check.scope == experiment::AddressScope::own_stack ||
      check.scope == experiment::AddressScope::external) {
    return {};
  }
  return Error{experiment::refused_address_message(address, stack.plan().subnet)};
}

std::vector<std::string> addresses_in(const std::string& text) {
  // Digits and dots bounded by anything else, so "10.0.0.1:80" and
  // "server a 10.0.0.1" both match but "1.2.3.4.5" does not.
  static const std::regex quad(R"((^|[^0-9.])(\d{1,3}(\.\d{1,3}){3})(?![0-9.]))");
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), quad); it != std::sregex_iterator(); ++it) {
    const std::string address = (*it)[2].str();
    if (address != "0.0.0.0") {
      out.push_back(address);
    }
  }
  return out;
}

}  // namespace faultline::faults
