#pragma once

#include <map>
#include <set>
#include <sstream>
#include <string>

#include "process.h"

// Everything faultline could have left on the machine, by kind, whichever
// run made it: the kill-storm and concurrency tests compare two snapshots,
// so they also see what a run left before its id was known to the test.
namespace faultline::testing {

using MachineState = std::map<std::string, std::set<std::string>>;

inline std::set<std::string> lines_of(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) {
      out.insert(line);
    }
  }
  return out;
}

// One set of lines per kind of resource. Names follow harness/stack/names.h
// (fl-<id>-<service>, flbr-<id>, flv-<id>-<n>), faults' nft tables and
// iptables comments carry faultline_<id> / faultline:<id>, control groups
// faultline-<id>-<service>, and every server's command line its run folder.
inline MachineState machine_state() {
  MachineState s;
  s["namespaces"] = lines_of(shell("ip netns list 2>/dev/null | grep -E '^fl-' | cut -d' ' -f1"));
  s["links"] = lines_of(shell("ip -o link 2>/dev/null | grep -oE ' fl(br|v)-[0-9a-f]{6}[^:@]*' | tr -d ' '"));
  s["qdiscs"] = lines_of(shell("tc qdisc show 2>/dev/null | grep -E 'dev fl(br|v)-' || true"));
  s["nft tables"] = lines_of(shell("nft list tables 2>/dev/null | grep faultline || true"));
  s["iptables rules"] = lines_of(shell(
      "{ iptables-save; iptables-legacy-save; ip6tables-save; } 2>/dev/null | grep 'faultline' || true"));
  // NFQUEUE queues bound in the host's namespace; queues inside a run's
  // namespaces go with the namespace, which is counted above.
  // Only the queue number and the bound socket's port id: the other fields
  // are counters that move while a queue someone else bound is in use.
  s["queues"] =
      lines_of(shell("awk '{print $1, $2}' /proc/net/netfilter/nfnetlink_queue 2>/dev/null || true"));
  s["cgroups"] = lines_of(shell("find /sys/fs/cgroup -maxdepth 6 -type d -name 'faultline-*' 2>/dev/null"));
  // Servers by their command line (masters name their run folder) and, for
  // those whose command line does not (nginx's workers), any nginx, haproxy
  // or faultline app living outside the host's network namespace; zombies
  // are already dead. A process in a Docker container's control group is
  // left out of the second list: a container's servers live outside the
  // host's namespace too, so the container tests (or a team's containers on
  // the same machine) would otherwise count as faultline's leftovers; what
  // a container run leaves is Docker's to list, by the run's label. Docker
  // names that group /docker/<id> (cgroupfs driver) or docker-<id>.scope
  // (systemd driver). A process in the test's own container group (tests
  // run inside a container) is still counted, and so is one in a group of
  // its own below a container's (a run's faultline-<id>-<service>).
  s["processes"] = lines_of(shell("pgrep -af -- '/run/faultline/' | grep -v pgrep || true"));
  for (const auto& line :
       lines_of(shell("host=$(readlink /proc/self/ns/net); "
                      "dk='/docker/[0-9a-f]{64}$|/docker-[0-9a-f]{64}[.]scope$'; "
                      "own=$(grep -soE \"$dk\" /proc/self/cgroup | head -n 1); "
                      "for p in $(pgrep -x nginx; pgrep -x haproxy; pgrep -x faultline); do "
                      "ns=$(readlink /proc/$p/ns/net 2>/dev/null) || continue; "
                      "[ \"$ns\" = \"$host\" ] && continue; "
                      "cg=$(grep -soE \"$dk\" /proc/$p/cgroup | head -n 1); "
                      "[ -n \"$cg\" ] && [ \"$cg\" != \"$own\" ] && continue; "
                      "[ \"$(ps -o stat= -p $p | cut -c1)\" = Z ] && continue; "
                      "echo \"$p $(cat /proc/$p/cmdline 2>/dev/null | tr '\\0' ' ') in $ns\"; done"))) {
    s["processes"].insert(line);
  }
  s["registry entries"] = lines_of(shell("ls -d /run/faultline/*/ 2>/dev/null || true"));
  return s;
}

// What `after` has that `before` had not, by kind; empty kinds omitted.
inline MachineState added_since(const MachineState& before, const MachineState& after) {
  MachineState added;
  for (const auto& [kind, items] : after) {
    const auto it = before.find(kind);
    for (const auto& item : items) {
      if (it == before.end() || it->second.count(item) == 0) {
        added[kind].insert(item);
      }
    }
  }
  return added;
}

inline size_t total(const MachineState& s) {
  size_t n = 0;
  for (const auto& [kind, items] : s) {
    n += items.size();
  }
  return n;
}

inline std::string describe(const MachineState& s) {
  std::string out;
  for (const auto& [kind, items] : s) {
    for (const auto& item : items) {
      out += kind + ": " + item + "\n";
    }
  }
  return out;
}

}  // namespace faultline::testing
