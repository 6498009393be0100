#include "faults/common/net_target.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "harness/platform/command.h"

namespace faultline::faults {
std::string to_string(Direction d) {
  switch (d) {
    case Direction::egress:
      return "egress";
    case Direction::ingress:
      return "ingress";
    case Direction::both:
      return "both";
  }
  return "egress";
}

std::string NetTarget::describe() const {
  std::string what;
  switch (direction) {
    case Direction::egress:
      what = fmt::format("traffic leaving {}", service);
      break;
    case Direction::ingress:
      what = fmt::format("traffic entering {}", service);
      break;
    case Direction::both:
      what = fmt::format("traffic entering and leaving {}", service);
      break;
  }
  if (!peers.empty()) {
    const char* prep = direction == Direction::egress    ? "towards"
                       : direction == Direction::ingress ? "from"
                                                         : "to and from";
    what += fmt::format(" {} {}", prep, fmt::join(peers, ", "));
  }
  return what;
}

std::string direction_doc(const std::vector<Direction>& directions) {
  return directions.size() == 1
             ? fmt::format("only {}: the fault acts on this direction alone", to_string(directions.front()))
             : "which traffic of the target's interface: leaving it (egress), entering it (ingress) or both";
}

ParamKind<Direction> direction_kind(const std::vector<Direction>& directions) {
  std::vector<std::pair<std::string, Direction>> choices;
  for (auto d : directions) {
    choices.emplace_back(to_string(d), d);
  }
  return kind::choice(std::move(choices));
}

std::optional<NetTarget> check_net_target(ParamReader& params, const NetTargetParams& values,
                                          const experiment::Experiment& exp) {
  const experiment::MethodStep& step = params.step();
  NetTarget target;
  target.service = step.target;
  if (values.direction) {
    target.direction = *values.direction;
  }
  if (values.peer) {
    const std::vector<std::string>& peers = *values.peer;
    if (peers.empty()) {
      params.error_at("peer", "peer is an empty list", "leave 'peer' out to affect all traffic");
    }
    std::vector<std::string> names_in_stack;
    for (const auto& s : exp.stack.services) {
      if (s.name != step.target) {
        names_in_stack.push_back(s.name);
      }
    }
    for (const auto& p : peers) {
      if (p == step.target) {
        params.error_at("peer", fmt::format("peer '{}' is the fault's target itself", p),
                        "a peer is another service whose traffic with the target is affected");
      } else if (exp.stack.find(p) == nullptr) {
        const auto near = experiment::nearest(p, names_in_stack);
        params.error_at("peer", fmt::format("peer '{}' is not a service of the stack", p),
                        near.empty() ? fmt::format("services: {}", fmt::join(names_in_stack, ", "))
                                     : fmt::format("did you mean '{}'?", near));
      } else {
        bool dup = false;
        for (const auto& q : target.peers) {
          dup = dup || q == p;
        }
        if (!dup) {
          target.peers.push_back(p);
        }
      }
    }
  }
  if (!params.ok()) {
    return std::nullopt;
  }
  return target;
}

Result<std::vector<std::string>> peer_addresses(const NetTarget& target, const stack::RunningStack& stack) {
  std::vector<std::string> out;
  for (const auto& p : target.peers) {
    const auto* s = stack.plan().find(p);
    if (s == nullptr || s->address.empty()) {
      return Error{fmt::format("peer {} has no address in the stack", p)};
    }
    out.push_back(s->address);
  }
  return out;
}

std::vector<platform::IptablesRule> rule_matches(const NetTarget& target,
                                                 const std::vector<std::string>& peer_addrs) {
  std::vector<platform::IptablesRule> out;
  auto add = [&](const char* chain, const char* if_flag, const char* addr_flag) {
    if (peer_addrs.empty()) {
      out.push_back(platform::IptablesRule{chain, {if_flag, kServiceInterface}});
      return;
    }
    for (const auto& a : peer_addrs) {
      out.push_back(platform::IptablesRule{chain, {if_flag, kServiceInterface, addr_flag, a}});
    }
  };
  if (target.egress()) {
    add("OUTPUT", "-o", "-d");
  }
  if (target.ingress()) {
    add("INPUT", "-i", "-s");
  }
  return out;
}

std::string rule_comment(const stack::RunningStack& stack) {
  return fmt::format("faultline:{}", stack.identity().run_id);
}

Status run_in_service_netns(stack::RunningStack& stack, const std::string& service,
                            const std::vector<std::string>& argv) {
  return stack.in_netns(service, [&]() -> Status { return platform::run_checked(argv); });
}

platform::InNetns service_netns(stack::RunningStack& stack, const std::string& service) {
  return [&stack, service](const std::function<Status()>& fn) { return stack.in_netns(service, fn); };
}

}  // namespace faultline::faults
