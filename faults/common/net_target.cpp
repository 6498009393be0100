#include "faults/common/net_target.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "harness/platform/command.h"
#include "harness/platform/process.h"

namespace faultline::faults {
namespace {

// Runs argv from the calling thread (so the child starts in the thread's
// network namespace); an error names the command and what it said.
Status spawn_and_wait(const std::vector<std::string>& argv) {
  auto out = platform::run_command(argv);
  if (!out) {
    return out.error();
  }
  if (!out->succeeded()) {
    return Error{platform::describe_failure(argv, *out)};
  }
  return {};
}

}  // namespace

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

std::vector<RuleMatch> rule_matches(const NetTarget& target, const std::vector<std::string>& peer_addrs) {
  std::vector<RuleMatch> out;
  auto add = [&](const char* chain, const char* if_flag, const char* addr_flag) {
    if (peer_addrs.empty()) {
      out.push_back(RuleMatch{chain, {if_flag, kServiceInterface}});
      return;
    }
    for (const auto& a : peer_addrs) {
      out.push_back(RuleMatch{chain, {if_flag, kServiceInterface, addr_flag, a}});
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
  return stack.in_netns(service, [&]() -> Status { return spawn_and_wait(argv); });
}

IptablesRules::IptablesRules(std::string service, std::string table)
    : service_(std::move(service)), table_(std::move(table)) {}

Status IptablesRules::restore(stack::RunningStack& stack, const std::string& op,
                              const std::vector<Rule>& rules) {
  // iptables-restore's own syntax: one command per line, committed at
  // COMMIT as a whole. Every word here is an address, a flag, a number or
  // "faultline:<run id>": none needs quoting.
  std::string input = fmt::format("*{}\n", table_);
  for (const auto& rule : rules) {
    input += fmt::format("{} {}{} {}\n", op, rule.chain, op == "-I" ? " 1" : "", fmt::join(rule.spec, " "));
  }
  input += "COMMIT\n";
  // --noflush: the namespace's other rules stay; -w: wait for the xtables
  // lock rather than fail when another iptables (another fault, the host's
  // firewall tooling) holds it.
  const std::vector<std::string> argv{"iptables-restore", "-w", "5", "--noflush"};
  return stack.in_netns(service_, [&]() -> Status {
    auto out = platform::run_command(argv, std::chrono::seconds(10), input);
    if (!out) {
      return out.error();
    }
    if (!out->succeeded()) {
      std::string lines = input;
      std::replace(lines.begin(), lines.end(), '\n', ';');
      return Error{platform::describe_failure(argv, *out) + fmt::format(" (input: {})", lines)};
    }
    return {};
  });
}

Status IptablesRules::insert_all(stack::RunningStack& stack, const std::vector<RuleMatch>& rules) {
  std::vector<Rule> added;
  for (const auto& r : rules) {
    Rule rule{r.chain, r.match};
    rule.spec.insert(rule.spec.end(), {"-m", "comment", "--comment", rule_comment(stack)});
    added.push_back(std::move(rule));
  }
  if (added.empty()) {
    return {};
  }
  if (auto st = restore(stack, "-I", added); !st) {
    return st;
  }
  rules_.insert(rules_.end(), added.begin(), added.end());
  return {};
}

Status IptablesRules::remove_all(stack::RunningStack& stack) {
  if (rules_.empty()) {
    return {};
  }
  std::vector<Rule> newest_first(rules_.rbegin(), rules_.rend());
  if (restore(stack, "-D", newest_first)) {
    rules_.clear();
    return {};
  }
  return remove_one_by_one(stack);
}

Status IptablesRules::remove_one_by_one(stack::RunningStack& stack) {
  Status first;
  while (!rules_.empty()) {
    const auto& rule = rules_.back();
    // Is it still there? (`-C` fails when not): a rule removed by someone
    // else, or a namespace already gone, counts as removed.
    std::vector<std::string> check{"iptables", "-w", "5", "-t", table_, "-C", rule.chain};
    check.insert(check.end(), rule.spec.begin(), rule.spec.end());
    if (run_in_service_netns(stack, service_, check)) {
      std::vector<std::string> del{"iptables", "-w", "5", "-t", table_, "-D", rule.chain};
      del.insert(del.end(), rule.spec.begin(), rule.spec.end());
      if (auto st = run_in_service_netns(stack, service_, del); !st && first.ok()) {
        first = st;
      }
    }
    rules_.pop_back();
  }
  return first;
}

}  // namespace faultline::faults
