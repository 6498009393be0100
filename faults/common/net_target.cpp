#include "faults/common/net_target.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "harness/stack/process.h"

extern char** environ;

namespace faultline::faults {
namespace {

std::vector<std::string> names_of(const std::vector<Direction>& directions) {
  std::vector<std::string> names;
  for (auto d : directions) {
    names.push_back(to_string(d));
  }
  return names;
}

// Reads the child's output until it closes its end or the deadline passes.
std::string drain(int fd, std::chrono::steady_clock::time_point deadline, bool& timed_out) {
  std::string out;
  char buf[4096];
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
            .count();
    if (left <= 0) {
      timed_out = true;
      return out;
    }
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r <= 0) {
      timed_out = r == 0;
      return out;
    }
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return out;
    }
    // Bounded: a runaway child cannot fill our memory.
    if (out.size() < 64 * 1024) {
      out.append(buf, static_cast<size_t>(n));
    }
  }
}

// Spawns argv from the calling thread (so the child starts in the thread's
// network namespace), returns exit status and output.
Status spawn_and_wait(const std::vector<std::string>& argv) {
  const auto exe = stack::find_executable(argv.at(0));
  if (!exe) {
    return Error{fmt::format("{} not found in PATH or the sbin directories", argv[0])};
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return Error{fmt::format("pipe: {}", std::strerror(errno))};
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, exe->c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return Error{fmt::format("cannot start {}: {}", *exe, std::strerror(rc))};
  }
  bool timed_out = false;
  auto out = drain(fds[0], std::chrono::steady_clock::now() + std::chrono::seconds(10), timed_out);
  ::close(fds[0]);
  if (timed_out) {
    ::kill(pid, SIGKILL);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) {
    out.pop_back();
  }
  if (timed_out) {
    return Error{fmt::format("'{}' did not finish within 10 s", fmt::join(argv, " "))};
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Error{fmt::format("'{}' {}{}{}", fmt::join(argv, " "), stack::describe_exit(status),
                             out.empty() ? "" : ": ", out)};
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

std::vector<ParamSpec> net_target_params(const std::vector<Direction>& directions) {
  const auto names = names_of(directions);
  const std::string what =
      directions.size() == 1
          ? fmt::format("only {}: the fault acts on this direction alone", names.front())
          : "which traffic of the target's interface: leaving it (egress), entering it (ingress) or both";
  return {
      {"direction", fmt::format("{}", fmt::join(names, "|")), names.front(), what},
      {"peer", "service or list", "all", "only traffic to/from these services"},
  };
}

std::vector<ParamSpec> with_net_target_params(std::vector<ParamSpec> params,
                                              const std::vector<Direction>& directions) {
  for (auto& s : net_target_params(directions)) {
    params.push_back(std::move(s));
  }
  return params;
}

std::optional<NetTarget> read_net_target(ParamReader& params, const experiment::MethodStep& step,
                                         const experiment::Experiment& exp,
                                         const std::vector<Direction>& directions) {
  NetTarget target;
  target.service = step.target;
  const auto names = names_of(directions);
  if (auto d = params.choice("direction", names, false)) {
    for (auto dir : directions) {
      if (to_string(dir) == *d) {
        target.direction = dir;
      }
    }
  } else {
    target.direction = directions.front();
  }
  if (auto peers = params.text_list("peer", false)) {
    if (peers->empty()) {
      params.error_at("peer", "peer is an empty list", "leave 'peer' out to affect all traffic");
    }
    std::vector<std::string> names_in_stack;
    for (const auto& s : exp.stack.services) {
      if (s.name != step.target) {
        names_in_stack.push_back(s.name);
      }
    }
    for (const auto& p : *peers) {
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

Status IptablesRules::apply(stack::RunningStack& stack, const std::string& op, const Rule& rule,
                            bool at_head) {
  // -w: wait for the xtables lock rather than fail when another iptables
  // (another fault, the host's firewall tooling) holds it.
  std::vector<std::string> argv{"iptables", "-w", "5", "-t", table_, op, rule.chain};
  if (at_head) {
    argv.emplace_back("1");
  }
  argv.insert(argv.end(), rule.spec.begin(), rule.spec.end());
  return run_in_service_netns(stack, service_, argv);
}

Status IptablesRules::add(stack::RunningStack& stack, const std::string& chain,
                          const std::vector<std::string>& spec) {
  Rule rule{chain, spec};
  rule.spec.insert(rule.spec.end(), {"-m", "comment", "--comment", rule_comment(stack)});
  if (auto st = apply(stack, "-A", rule, false); !st) {
    return st;
  }
  rules_.push_back(std::move(rule));
  return {};
}

Status IptablesRules::insert(stack::RunningStack& stack, const std::string& chain,
                             const std::vector<std::string>& spec) {
  Rule rule{chain, spec};
  rule.spec.insert(rule.spec.end(), {"-m", "comment", "--comment", rule_comment(stack)});
  if (auto st = apply(stack, "-I", rule, true); !st) {
    return st;
  }
  rules_.push_back(std::move(rule));
  return {};
}

Status IptablesRules::remove_all(stack::RunningStack& stack) {
  Status first;
  while (!rules_.empty()) {
    const auto& rule = rules_.back();
    // Is it still there? (`-C` fails when not): a rule removed by someone
    // else, or a namespace already gone, counts as removed.
    std::vector<std::string> check{"iptables", "-w", "5", "-t", table_, "-C", rule.chain};
    check.insert(check.end(), rule.spec.begin(), rule.spec.end());
    if (run_in_service_netns(stack, service_, check)) {
      if (auto st = apply(stack, "-D", rule, false); !st && first.ok()) {
        first = st;
      }
    }
    rules_.pop_back();
  }
  return first;
}

}  // namespace faultline::faults
