#include "harness/stack/cleanup.h"

#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "harness/platform/docker_api.h"
#include "harness/platform/netlink.h"
#include "harness/platform/netns.h"
#include "harness/platform/process.h"
#include "harness/stack/compose_sweep.h"
#include "harness/stack/docker_cleanup.h"
#include "harness/stack/host_firewall.h"
#include "harness/stack/names.h"

namespace faultline::stack {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct Leftovers {
  std::set<std::string> links;
  std::set<std::string> netns;
  std::vector<HostRule> rules;            // its bridge's ACCEPT rule in the host's iptables
  bool rule_recorded = false;             // the manifest says it made one
  std::vector<std::string> owner_tokens;  // from link aliases and rule comments
  std::string run_dir;                    // empty when not in the registry
};

// The owner token a namespace's own eth0 carries (set at bring-up), for
// namespaces whose host-side links are already gone.
std::string owner_token_inside(const std::string& netns, const std::string& run_id) {
  auto fd = platform::open_named_netns(netns);
  if (!fd) {
    return {};
  }
  std::string token;
  platform::run_in_netns(fd->get(), [&]() -> Status {
    auto sock = platform::RouteSocket::open();
    if (!sock) {
      return sock.error();
    }
    auto links = sock->links();
    if (!links) {
      return links.error();
    }
    for (const auto& l : *links) {
      if (auto t = owner_token_of_alias(l.alias, run_id); !t.empty()) {
        token = t;
      }
    }
    return {};
  });
  return token;
}

bool any_alive(const std::vector<std::string>& tokens) {
  return std::any_of(tokens.begin(), tokens.end(),
                     [](const std::string& t) { return !t.empty() && owner_token_alive(t); });
}

void kill_processes(const std::string& run_id, const std::set<std::string>& netns, CleanupReport& report) {
  std::vector<platform::NetnsId> ids;
  std::vector<std::string> names;
  for (const auto& n : netns) {
    if (auto id = platform::netns_id_of_path(platform::netns_path(n))) {
      ids.push_back(*id);
      names.push_back(n);
    }
  }
  auto found = platform::pids_in_netns(ids);
  for (const auto& [pid, idx] : found) {
    const std::string name = platform::process_name(pid);
    if (platform::kill_in_netns(pid, ids[idx]).ok()) {
      report.removed.push_back(
          fmt::format("run {}: process {} ({}) in namespace {}", run_id, pid, name, names[idx]));
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (!found.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
    found = platform::pids_in_netns(ids);
  }
  for (const auto& [pid, idx] : found) {
    report.errors.push_back(
        fmt::format("run {}: process {} in namespace {} survived SIGKILL", run_id, pid, names[idx]));
  }
}

// `keep_dir`: the run's folder holds undo records of an attached Compose
// project that could not all be undone; it stays for the next cleanup.
void remove_run(const std::string& run_id, const Leftovers& left, const std::set<std::string>& present_links,
                CleanupReport& report, bool keep_dir = false) {
  kill_processes(run_id, left.netns, report);

  // Before the links, as teardown does: a rule whose bridge is gone would
  // match nothing, but it is still the host's to have back.
  for (const auto& rule : left.rules) {
    if (auto st = delete_rule(rule); st) {
      report.removed.push_back(
          fmt::format("run {}: iptables rule accepting {} in {}", run_id, bridge_name(run_id), rule.chain));
    } else {
      report.errors.push_back(fmt::format("run {}: {}", run_id, st.error().message));
    }
  }

  auto sock = platform::RouteSocket::open();
  if (!sock) {
    report.errors.push_back(fmt::format("run {}: {}", run_id, sock.error().message));
  } else {
    // Veths before the bridge they are enslaved to.
    std::vector<std::string> links(left.links.begin(), left.links.end());
    std::stable_partition(links.begin(), links.end(),
                          [](const std::string& l) { return l.rfind("flv-", 0) == 0; });
    for (const auto& l : links) {
      if (present_links.count(l) == 0) {
        continue;  // recorded, but never made or already gone (with its peer)
      }
      if (auto st = sock->delete_link(l); st) {
        report.removed.push_back(fmt::format("run {}: link {}", run_id, l));
      } else {
        report.errors.push_back(fmt::format("run {}: {}", run_id, st.error().message));
      }
    }
  }
  const auto existing = platform::list_named_netns();
  for (const auto& n : left.netns) {
    if (std::find(existing.begin(), existing.end(), n) == existing.end()) {
      continue;
    }
    if (auto st = platform::delete_named_netns(n); st) {
      report.removed.push_back(fmt::format("run {}: namespace {}", run_id, n));
    } else {
      report.errors.push_back(fmt::format("run {}: {}", run_id, st.error().message));
    }
  }
  if (!left.run_dir.empty() && keep_dir) {
    report.errors.push_back(fmt::format(
        "run {}: {} is kept: it records what is still to be undone on the attached containers; run "
        "`faultline cleanup` again once the errors above are dealt with",
        run_id, left.run_dir));
  } else if (!left.run_dir.empty()) {
    std::error_code ec;
    fs::remove_all(left.run_dir, ec);
    if (ec) {
      report.errors.push_back(
          fmt::format("run {}: cannot remove {}: {}", run_id, left.run_dir, ec.message()));
    } else {
      report.removed.push_back(fmt::format("run {}: directory {}", run_id, left.run_dir));
    }
  }
}

// Half-made registry entries (.new-<pid>-<n>) of processes that died
// between mkdir and rename.
void remove_abandoned_temp_dirs(const std::string& base_dir, CleanupReport& report) {
  std::error_code ec;
  for (fs::directory_iterator it(base_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(".new-", 0) != 0) {
      continue;
    }
    const auto dash = name.find('-', 5);
    const std::string pid = name.substr(5, dash == std::string::npos ? std::string::npos : dash - 5);
    if (owner_token_alive(pid)) {
      continue;
    }
    std::error_code rm;
    fs::remove_all(it->path(), rm);
    if (!rm) {
      report.removed.push_back("unfinished registry entry " + it->path().string());
    }
  }
}

}  // namespace

CleanupReport cleanup_stale_runs(const std::string& base_dir) {
  return cleanup_stale_runs(base_dir, {});
}

CleanupReport cleanup_stale_runs(const std::string& base_dir, const CleanupFilter& filter) {
  return cleanup_stale_runs(base_dir, filter, platform::kDockerSocket);
}

CleanupReport cleanup_stale_runs(const std::string& base_dir, const CleanupFilter& filter,
                                 const std::string& docker_socket) {
  CleanupReport report;
  auto wanted = [&](const std::string& id) {
    return filter.run_ids.empty() ||
           std::find(filter.run_ids.begin(), filter.run_ids.end(), id) != filter.run_ids.end();
  };
  std::map<std::string, Leftovers> by_run;
  std::set<std::string> live_registered;

  for (const auto& run : list_runs(base_dir)) {
    if (!wanted(run.run_id)) {
      continue;
    }
    if (run.owner_alive) {
      live_registered.insert(run.run_id);
      continue;
    }
    auto& left = by_run[run.run_id];
    left.run_dir = run.run_dir;
    // Only names of this run's own pattern: a damaged manifest must not
    // make cleanup delete somebody else's link.
    for (const auto& r : run.resources) {
      if ((r.kind == "link" || r.kind == "bridge") && run_id_of_link(r.name) == run.run_id) {
        left.links.insert(r.name);
      } else if (r.kind == "netns" && run_id_of_netns(r.name) == run.run_id) {
        left.netns.insert(r.name);
      } else if (r.kind == "iptables") {
        left.rule_recorded = true;
      }
    }
  }

  // The docker runtime's containers before the registry directories they
  // have mounted go.
  docker::SweepScope scope{wanted, live_registered, {}};
  for (const auto& [run_id, left] : by_run) {
    scope.stale.insert(run_id);
  }
  docker::sweep_stale_docker_runs(docker_socket, scope, report);

  std::set<std::string> present_links;
  auto sock = platform::RouteSocket::open();
  if (!sock) {
    report.errors.push_back(sock.error().message);
  } else if (auto links = sock->links(); !links) {
    report.errors.push_back(links.error().message);
  } else {
    for (const auto& l : *links) {
      auto id = run_id_of_link(l.name);
      if (!id || !wanted(*id) || live_registered.count(*id) > 0) {
        continue;
      }
      present_links.insert(l.name);
      auto& left = by_run[*id];
      left.links.insert(l.name);
      left.owner_tokens.push_back(owner_token_of_alias(l.alias, *id));
    }
  }
  for (const auto& n : platform::list_named_netns()) {
    auto id = run_id_of_netns(n);
    if (id && wanted(*id) && live_registered.count(*id) == 0) {
      by_run[*id].netns.insert(n);
    }
  }
  // Bridge rules are found by their comment, which names the run and its
  // owner as a link's alias does.
  if (auto rules = list_bridge_rules(); !rules) {
    // A host whose iptables cannot be read never had a rule added by a run
    // either (the run reads FORWARD first); only a run that recorded one
    // makes this an error.
    for (const auto& [run_id, left] : by_run) {
      if (left.rule_recorded) {
        report.errors.push_back(
            fmt::format("run {}: cannot list iptables rules: {}", run_id, rules.error().message));
      }
    }
  } else {
    for (const auto& rule : *rules) {
      if (wanted(rule.run_id) && live_registered.count(rule.run_id) == 0) {
        auto& left = by_run[rule.run_id];
        left.rules.push_back(rule);
        left.owner_tokens.push_back(rule.owner_token);
      }
    }
  }

  // Unregistered leftovers with no owner recorded anywhere yet: a run in
  // another registry may be between creating a link and labelling it.
  std::vector<std::string> unlabelled;
  for (auto& [run_id, left] : by_run) {
    if (!left.run_dir.empty()) {
      // An attached Compose project's containers first, from the records
      // in the folder remove_run then deletes (compose_sweep.h).
      const bool undone = compose::undo_attached_run(run_id, left.run_dir, docker_socket, report);
      remove_run(run_id, left, present_links, report, !undone);
      continue;
    }
    // Not in this registry: maybe a live run using another registry
    // directory. Its links' aliases (or, once those are gone, its
    // namespaces' eth0) name the owner.
    auto tokens = left.owner_tokens;
    for (const auto& n : left.netns) {
      tokens.push_back(owner_token_inside(n, run_id));
    }
    if (any_alive(tokens)) {
      continue;
    }
    if (std::all_of(tokens.begin(), tokens.end(), [](const std::string& t) { return t.empty(); })) {
      unlabelled.push_back(run_id);
      continue;
    }
    remove_run(run_id, left, present_links, report);
  }
  if (!unlabelled.empty()) {
    std::this_thread::sleep_for(200ms);
    std::vector<platform::LinkInfo> now;
    if (auto again = platform::RouteSocket::open()) {
      if (auto links = again->links()) {
        now = *links;
      }
    }
    for (const auto& run_id : unlabelled) {
      std::vector<std::string> tokens;
      for (const auto& l : now) {
        if (run_id_of_link(l.name) == run_id) {
          tokens.push_back(owner_token_of_alias(l.alias, run_id));
        }
      }
      for (const auto& n : by_run[run_id].netns) {
        tokens.push_back(owner_token_inside(n, run_id));
      }
      if (!any_alive(tokens)) {
        remove_run(run_id, by_run[run_id], present_links, report);
      }
    }
  }
  remove_abandoned_temp_dirs(base_dir, report);
  return report;
}

}  // namespace faultline::stack
