#include "harness/stack/host_firewall.h"

#include <fmt/format.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include "harness/platform/command.h"
#include "harness/platform/process.h"
#include "harness/stack/names.h"

namespace faultline::stack {
namespace {

constexpr const char* kSysctl = "/proc/sys/net/bridge/bridge-nf-call-iptables";
constexpr const char* kCommentPrefix = "faultline:";

// -w: wait for the xtables lock (dockerd, firewalld or a fault may hold it)
// rather than fail.
std::vector<std::string> iptables(std::initializer_list<std::string> args) {
  std::vector<std::string> argv{"iptables", "-w", "5"};
  argv.insert(argv.end(), args);
  return argv;
}

std::vector<std::string> with_rule(std::vector<std::string> argv, const HostRule& rule) {
  argv.insert(argv.end(), rule.spec.begin(), rule.spec.end());
  return argv;
}

std::optional<bool> read_call_iptables() {
  std::ifstream in(kSysctl);
  int value = 0;
  if (!(in >> value)) {
    return std::nullopt;
  }
  return value != 0;
}

// The tables legacy iptables has in this namespace, as the kernel names
// them.
bool legacy_filter_table_loaded() {
  // thread-self: /proc/net follows the main thread, whose namespace may
  // not be the calling thread's.
  std::ifstream in("/proc/thread-self/net/ip_tables_names");
  for (std::string name; std::getline(in, name);) {
    if (name == "filter") {
      return true;
    }
  }
  return false;
}

// Whether the filter table may hold anything. Legacy iptables loads a
// table's module when it lists it: an absent table must not be listed.
Result<bool> filter_table_present() {
  const std::vector<std::string> argv{"iptables", "-V"};
  auto version = platform::run_command(argv);
  if (!version) {
    return version.error();
  }
  if (!version->succeeded()) {
    return Error{platform::describe_failure(argv, *version)};
  }
  return version->out.find("legacy") == std::string::npos || legacy_filter_table_loaded();
}

}  // namespace

bool BridgeFiltering::needs_accept_rule() const {
  if (call_iptables != true || forward_policy.empty()) {
    return false;
  }
  return forward_policy != "ACCEPT" || forward_rules > 0;
}

std::string BridgeFiltering::rule_chain() const {
  return docker_user ? "DOCKER-USER" : "FORWARD";
}

void read_forward_listing(const std::string& listing, BridgeFiltering& into) {
  into.forward_policy.clear();
  into.forward_rules = 0;
  into.docker_user = false;
  std::istringstream in(listing);
  for (std::string line; std::getline(in, line);) {
    const auto words = split_rule_line(line);
    if (words.size() == 3 && words[0] == "-P" && words[1] == "FORWARD") {
      into.forward_policy = words[2];
    } else if (words.size() >= 2 && words[0] == "-A" && words[1] == "FORWARD") {
      // Only an unconditional jump that comes first sees all our traffic
      // before anything else in FORWARD can drop it; dockerd keeps its
      // jump to DOCKER-USER exactly so.
      const std::vector<std::string> jump{"-A", "FORWARD", "-j", "DOCKER-USER"};
      if (into.forward_rules == 0 && words == jump) {
        into.docker_user = true;
      }
      ++into.forward_rules;
    }
  }
}

BridgeFiltering probe_bridge_filtering() {
  BridgeFiltering f;
  f.call_iptables = read_call_iptables();
  if (f.call_iptables != true) {
    return f;  // bridged traffic never reaches iptables: nothing to look at
  }
  f.iptables_found = platform::find_executable("iptables").has_value();
  if (!f.iptables_found) {
    return f;
  }
  auto present = filter_table_present();
  if (!present) {
    f.problem = present.error().message;
    return f;
  }
  if (!*present) {
    f.forward_policy = "ACCEPT";  // no filter table: nothing filters FORWARD
    return f;
  }
  const auto argv = iptables({"-S", "FORWARD"});
  auto listing = platform::run_command(argv);
  if (!listing) {
    f.problem = listing.error().message;
  } else if (!listing->succeeded()) {
    f.problem = platform::describe_failure(argv, *listing);
  } else {
    read_forward_listing(listing->out, f);
    if (f.forward_policy.empty()) {
      f.problem = "'iptables -S FORWARD' printed no policy for FORWARD";
    }
  }
  return f;
}

std::string describe(const BridgeFiltering& f) {
  if (!f.call_iptables) {
    return "br_netfilter is not loaded: traffic across a run's bridge does not go through iptables";
  }
  if (!*f.call_iptables) {
    return "bridge-nf-call-iptables=0: traffic across a run's bridge does not go through iptables";
  }
  if (!f.iptables_found) {
    return "bridge-nf-call-iptables=1 and iptables is not installed: faultline cannot read or open the "
           "FORWARD chain; if a firewall drops forwarded traffic, services will not reach each other";
  }
  if (!f.problem.empty()) {
    return "bridge-nf-call-iptables=1 and the FORWARD chain cannot be read (" + f.problem +
           "): faultline adds no rule; if FORWARD drops, services will not reach each other";
  }
  if (!f.needs_accept_rule()) {
    return "bridge-nf-call-iptables=1, FORWARD policy ACCEPT with no rules: nothing to add";
  }
  const std::string rules = fmt::format("{} rule{}", f.forward_rules, f.forward_rules == 1 ? "" : "s");
  const std::string found = f.forward_policy != "ACCEPT"
                                ? fmt::format("FORWARD policy {}{}", f.forward_policy,
                                              f.forward_rules > 0 ? " (" + rules + ")" : "")
                                : "FORWARD has " + rules;
  return fmt::format(
      "{} and bridge-nf-call-iptables=1{}: faultline will add one ACCEPT rule for its own bridge {} for the "
      "run, removed at the end",
      found, f.docker_user ? " (Docker)" : "", f.docker_user ? "to DOCKER-USER" : "at the top of FORWARD");
}

std::string bridge_rule_comment(const std::string& run_id, const std::string& owner_token) {
  return fmt::format("{}{} owner={}", kCommentPrefix, run_id, owner_token);
}

HostRule bridge_accept_rule(const std::string& chain, const std::string& run_id, const std::string& bridge,
                            const std::string& owner_token) {
  HostRule r;
  r.chain = chain;
  r.run_id = run_id;
  r.owner_token = owner_token;
  // Bridged packets enter and leave FORWARD through the bridge device
  // itself (br_netfilter hands iptables the bridge, not its ports): in and
  // out both the run's bridge is traffic between two of its namespaces.
  r.spec = {"-i", bridge,    "-o",        bridge,
            "-m", "comment", "--comment", bridge_rule_comment(run_id, owner_token),
            "-j", "ACCEPT"};
  return r;
}

std::vector<std::string> split_rule_line(const std::string& line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '\\' && i + 1 < line.size()) {
        word += line[++i];
      } else if (c == '"') {
        quoted = false;
      } else {
        word += c;
      }
    } else if (c == '"') {
      quoted = true;
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) {
        words.push_back(std::move(word));
        word.clear();
        in_word = false;
      }
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) {
    words.push_back(std::move(word));
  }
  return words;
}

std::optional<HostRule> parse_bridge_rule(const std::string& line) {
  const auto words = split_rule_line(line);
  if (words.size() < 2 || words[0] != "-A") {
    return std::nullopt;
  }
  const std::vector<std::string> spec(words.begin() + 2, words.end());
  // The comment names the run and owner; the rule must then be exactly the
  // one that run makes, on its own bridge.
  const std::string* comment = nullptr;
  for (size_t i = 0; i + 1 < spec.size(); ++i) {
    if (spec[i] == "--comment") {
      comment = &spec[i + 1];
    }
  }
  if (comment == nullptr || comment->rfind(kCommentPrefix, 0) != 0) {
    return std::nullopt;
  }
  const std::string rest = comment->substr(std::string(kCommentPrefix).size());
  const std::string owner_key = " owner=";
  if (rest.size() <= kRunIdLength + owner_key.size() ||
      rest.compare(kRunIdLength, owner_key.size(), owner_key) != 0) {
    return std::nullopt;
  }
  const std::string run_id = rest.substr(0, kRunIdLength);
  const std::string token = rest.substr(kRunIdLength + owner_key.size());
  if (!is_run_id(run_id)) {
    return std::nullopt;
  }
  HostRule expected = bridge_accept_rule(words[1], run_id, bridge_name(run_id), token);
  if (expected.spec != spec) {
    return std::nullopt;
  }
  return expected;
}

Result<std::vector<HostRule>> list_bridge_rules() {
  std::vector<HostRule> rules;
  if (!platform::find_executable("iptables")) {
    return rules;  // no iptables, so no rule of ours
  }
  auto present = filter_table_present();
  if (!present) {
    return present.error();
  }
  if (!*present) {
    return rules;
  }
  const auto argv = iptables({"-S"});
  auto listing = platform::run_command(argv);
  if (!listing) {
    return listing.error();
  }
  if (!listing->succeeded()) {
    return Error{platform::describe_failure(argv, *listing)};
  }
  std::istringstream in(listing->out);
  for (std::string line; std::getline(in, line);) {
    if (auto rule = parse_bridge_rule(line)) {
      rules.push_back(std::move(*rule));
    }
  }
  return rules;
}

Status insert_rule(const HostRule& rule) {
  const auto argv = with_rule(iptables({"-I", rule.chain, "1"}), rule);
  auto out = platform::run_command(argv);
  if (!out) {
    return out.error();
  }
  if (!out->succeeded()) {
    return Error{platform::describe_failure(argv, *out)};
  }
  return {};
}

Status delete_rule(const HostRule& rule) {
  // -C exits 1 when no such rule exists (removed by someone else, its
  // chain gone, or never made): then there is nothing to delete. Other
  // failures (the lock, a broken iptables) are errors.
  const auto check = with_rule(iptables({"-C", rule.chain}), rule);
  auto present = platform::run_command(check);
  if (!present) {
    return present.error();
  }
  if (WIFEXITED(present->wait_status) && WEXITSTATUS(present->wait_status) == 1) {
    return {};
  }
  if (!present->succeeded()) {
    return Error{platform::describe_failure(check, *present)};
  }
  const auto argv = with_rule(iptables({"-D", rule.chain}), rule);
  auto out = platform::run_command(argv);
  if (!out) {
    return out.error();
  }
  if (!out->succeeded()) {
    return Error{platform::describe_failure(argv, *out)};
  }
  return {};
}

}  // namespace faultline::stack
