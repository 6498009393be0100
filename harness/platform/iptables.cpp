#include "harness/platform/iptables.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "harness/platform/command.h"

namespace faultline::platform {

IptablesRules::IptablesRules(std::string comment, std::string table)
    : comment_(std::move(comment)), table_(std::move(table)) {}

Status IptablesRules::restore(const InNetns& in_netns, const std::string& op,
                              const std::vector<IptablesRule>& rules) {
  // iptables-restore's own syntax: one command per line, committed at
  // COMMIT as a whole. Every word here is an address, a flag, a number or
  // the comment ("faultline:<run id>"): none needs quoting.
  std::string input = fmt::format("*{}\n", table_);
  for (const auto& rule : rules) {
    input += fmt::format("{} {}{} {}\n", op, rule.chain, op == "-I" ? " 1" : "", fmt::join(rule.match, " "));
  }
  input += "COMMIT\n";
  // --noflush: the namespace's other rules stay; -w: wait for the xtables
  // lock rather than fail when another iptables (another fault, the host's
  // firewall tooling) holds it.
  const std::vector<std::string> argv{"iptables-restore", "-w", "5", "--noflush"};
  return in_netns([&]() -> Status {
    auto out = run_command(argv, std::chrono::seconds(10), input);
    if (!out) {
      return out.error();
    }
    if (!out->succeeded()) {
      std::string lines = input;
      std::replace(lines.begin(), lines.end(), '\n', ';');
      return Error{describe_failure(argv, *out) + fmt::format(" (input: {})", lines)};
    }
    return {};
  });
}

Status IptablesRules::insert_all(const InNetns& in_netns, const std::vector<IptablesRule>& rules) {
  std::vector<IptablesRule> added;
  for (const auto& r : rules) {
    IptablesRule rule = r;
    rule.match.insert(rule.match.end(), {"-m", "comment", "--comment", comment_});
    added.push_back(std::move(rule));
  }
  if (added.empty()) {
    return {};
  }
  if (auto st = restore(in_netns, "-I", added); !st) {
    return st;
  }
  rules_.insert(rules_.end(), added.begin(), added.end());
  return {};
}

Status IptablesRules::remove_all(const InNetns& in_netns) {
  if (rules_.empty()) {
    return {};
  }
  std::vector<IptablesRule> newest_first(rules_.rbegin(), rules_.rend());
  if (restore(in_netns, "-D", newest_first)) {
    rules_.clear();
    return {};
  }
  return remove_one_by_one(in_netns);
}

Status IptablesRules::remove_one_by_one(const InNetns& in_netns) {
  Status first;
  while (!rules_.empty()) {
    const auto& rule = rules_.back();
    // Is it still there? (`-C` fails when not): a rule removed by someone
    // else, or a namespace already gone, counts as removed.
    std::vector<std::string> check{"iptables", "-w", "5", "-t", table_, "-C", rule.chain};
    check.insert(check.end(), rule.match.begin(), rule.match.end());
    if (in_netns([&] { return run_checked(check); })) {
      std::vector<std::string> del{"iptables", "-w", "5", "-t", table_, "-D", rule.chain};
      del.insert(del.end(), rule.match.begin(), rule.match.end());
      if (auto st = in_netns([&] { return run_checked(del); }); !st && first.ok()) {
        first = st;
      }
    }
    rules_.pop_back();
  }
  return first;
}

}  // namespace faultline::platform
