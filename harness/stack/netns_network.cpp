// The netns stack's network: the bridge, a namespace and veth per service,
// routes out, the host's forwarding rule on Docker hosts, reaching the load
// target from the host, and running code inside a service's namespace.

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <utility>

#include "harness/app/app_server.h"
#include "harness/common/units.h"
#include "harness/experiment/blast_radius.h"
#include "harness/platform/haproxy_runtime_api.h"
#include "harness/platform/netlink.h"
#include "harness/platform/netns.h"
#include "harness/platform/process.h"
#include "harness/platform/subnet.h"
#include "harness/stack/host_firewall.h"
#include "harness/stack/http_probe.h"
#include "harness/stack/names.h"
#include "harness/stack/netns_stack.h"
#include "harness/stack/render.h"
#include "harness/stack/run_registry.h"
#include "harness/stack/stack.h"

namespace faultline::stack::netns {

Status NetnsStack::build_network(const ProgressFn& progress,
                                 const std::vector<experiment::AddressRange>& routes_out) {
  const auto t0 = Clock::now();
  auto sock = platform::RouteSocket::open();
  if (!sock) {
    return sock.error();
  }
  const std::string alias = link_alias(id_.run_id);
  const auto bridge_addr = platform::parse_ipv4(plan_.bridge_address);
  if (!bridge_addr) {
    return Error{"bad bridge address " + plan_.bridge_address};
  }
  if (auto st = record_resource(id_, "bridge", plan_.bridge); !st) {
    return st;
  }
  if (auto st = sock->create_bridge(plan_.bridge); !st) {
    return st;
  }
  bridge_made_ = true;
  // The alias names the owner, so `faultline cleanup` can tell a live run's
  // links from a dead one's even without its registry directory.
  auto& s = *sock;
  if (auto st = in_order({[&] { return s.set_alias(plan_.bridge, alias); },
                          [&] { return s.add_address(plan_.bridge, *bridge_addr, plan_.prefix_len); },
                          [&] { return s.set_up(plan_.bridge); }});
      !st) {
    return st;
  }
  auto bridge_index = s.ifindex(plan_.bridge);
  if (!bridge_index) {
    return bridge_index.error();
  }
  if (auto st = open_host_forwarding(progress); !st) {
    return st;
  }

  for (size_t i = 0; i < plan_.services.size(); ++i) {
    const auto& ps = plan_.services[i];
    const auto address = platform::parse_ipv4(ps.address);
    if (!address) {
      return Error{"bad service address " + ps.address};
    }
    if (auto st = record_resource(id_, "netns", ps.netns); !st) {
      return st;
    }
    if (auto st = platform::create_named_netns(ps.netns); !st) {
      return st;
    }
    netns_made_.push_back(ps.netns);
    auto fd = platform::open_named_netns(ps.netns);
    if (!fd) {
      return fd.error();
    }
    netns_fds_.push_back(std::move(*fd));
    const int ns_fd = netns_fds_.back().get();

    if (auto st = record_resource(id_, "link", ps.host_veth); !st) {
      return st;
    }
    if (auto st = s.create_veth(ps.host_veth, kPeerName, ns_fd, *bridge_index); !st) {
      return st;
    }
    veths_made_.push_back(ps.host_veth);
    if (auto st = in_order(
            {[&] { return s.set_alias(ps.host_veth, alias); }, [&] { return s.set_up(ps.host_veth); }});
        !st) {
      return st;
    }
    auto inside = platform::run_in_netns(ns_fd, [&]() -> Status {
      // Opened in here, the socket acts on the service's namespace.
      auto ns_sock = platform::RouteSocket::open();
      if (!ns_sock) {
        return ns_sock.error();
      }
      // eth0 must be up before any route through it: the kernel refuses a
      // gateway on a link that is down.
      auto& n = *ns_sock;
      if (auto st = in_order({[&] { return n.set_up("lo"); }, [&] { return n.set_alias(kPeerName, alias); },
                              [&] { return n.add_address(kPeerName, *address, plan_.prefix_len); },
                              [&] { return n.set_up(kPeerName); }});
          !st) {
        return st;
      }
      // Blast radius, enforced by the kernel: no default route, so a server
      // (or a fault's fragment naming a host) that tries an address outside
      // the subnet and the allowed targets gets "network unreachable" and
      // nothing leaves the namespace, whatever the host's forwarding says.
      for (const auto& net : routes_out) {
        if (auto st = n.add_route(net.base, net.prefix_len, *bridge_addr, kPeerName); !st) {
          return st;
        }
      }
      return Status{};
    });
    if (!inside) {
      return Error{fmt::format("service {}: namespace {}: {}", ps.name, ps.netns, inside.error().message)};
    }
  }
  if (progress) {
    progress(fmt::format("network: bridge {} {}/{}, {} namespaces ({:.0f} ms)", plan_.bridge,
                         plan_.bridge_address, plan_.prefix_len, plan_.services.size(),
                         seconds_since(t0) * 1000));
  }
  return {};
}

Status NetnsStack::open_host_forwarding(const ProgressFn& progress) {
  const BridgeFiltering filtering = probe_bridge_filtering();
  if (!filtering.needs_accept_rule()) {
    if (!filtering.problem.empty()) {
      // Not fatal: on most hosts FORWARD lets bridged traffic through; if
      // it does not, the readiness check says so with this hint.
      spdlog::warn("run {}: {}", id_.run_id, describe(filtering));
    }
    return {};
  }
  HostRule rule = bridge_accept_rule(filtering.rule_chain(), id_.run_id, plan_.bridge, owner_token());
  if (auto st = record_resource(id_, "iptables", rule.chain + "/" + plan_.bridge); !st) {
    return st;
  }
  // From here on teardown must try to delete it, even if the insert
  // failed halfway.
  bridge_rule_ = rule;
  if (auto st = insert_rule(rule); !st) {
    return Error{fmt::format(
        "the host's FORWARD chain drops traffic across bridges ({}), and the ACCEPT rule for {} could not be "
        "added: {}",
        describe(filtering), plan_.bridge, st.error().message)};
  }
  if (progress) {
    progress(
        fmt::format("host firewall: FORWARD policy {}, bridge-nf-call-iptables=1: ACCEPT for {} added to {} "
                    "(removed at the end)",
                    filtering.forward_policy, plan_.bridge, rule.chain));
  }
  return {};
}

Status NetnsStack::check_reachable_from_host(const std::string& target, const ProgressFn& progress) {
  const auto i = index_of(target);
  if (!i) {
    return {};  // no load through the stack (a stack brought up on its own, in tests)
  }
  const auto& ps = services_[*i].planned;
  const auto t0 = Clock::now();
  const auto deadline = t0 + kHostReachTimeout;
  std::string last_error;
  while (true) {
    auto resp = http_get(ps.address, ps.port, probe_path(*i), kHostProbeTimeout, ps.tls);
    if (resp) {
      if (progress) {
        progress(fmt::format("load target {} answers from the host on {}:{} ({:.0f} ms)", ps.name, ps.address,
                             ps.port, seconds_since(t0) * 1000));
      }
      return {};
    }
    last_error = resp.error().message;
    if (Clock::now() >= deadline) {
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  const std::string what = is_balancer(*i) ? "the load balancer" : "the service";
  if (auto inside = probe_inside(*i, kHostProbeTimeout); inside) {
    return Error{fmt::format(
        "{} {} answers inside its namespace but not from the host at {}:{} ({}): the load runs in the "
        "host's namespace and would fail every request; check the host's firewall (nft list ruleset, "
        "iptables -S) for {}",
        what, ps.name, ps.address, ps.port, last_error, plan_.subnet)};
  } else {
    return Error{
        fmt::format("{} {} stopped answering: from the host at {}:{} ({}), and inside its namespace "
                    "({}){}",
                    what, ps.name, ps.address, ps.port, last_error, inside.error().message, logs_of(*i, 10))};
  }
}

Status NetnsStack::in_netns(const std::string& service, const std::function<Status()>& fn) {
  auto i = index_of(service);
  if (!i) {
    return Error{"no service named " + service + " in the stack"};
  }
  if (torn_down_) {
    return Error{"service " + service + ": the stack has been torn down"};
  }
  return platform::run_in_netns(netns_fds_[*i].get(), fn);
}

void NetnsStack::kill_leftovers_in_namespaces(std::vector<std::string>& errors) {
  // Whatever still lives in our namespaces (a worker whose master was
  // killed, something a fault started) is not our child: find it by
  // namespace and kill it, or the namespace would outlive the run.
  std::vector<platform::NetnsId> ids;
  for (const auto& name : netns_made_) {
    if (auto id = platform::netns_id_of_path(platform::netns_path(name))) {
      ids.push_back(*id);
    }
  }
  auto found = platform::pids_in_netns(ids);
  if (found.empty()) {
    return;
  }
  for (const auto& [pid, idx] : found) {
    platform::kill_in_netns(pid, ids[idx]);
  }
  const auto deadline = Clock::now() + 1s;
  while (!found.empty() && Clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
    found = platform::pids_in_netns(ids);
  }
  for (const auto& [pid, idx] : found) {
    errors.push_back(fmt::format("process {} ({}) in namespace {} did not exit", pid,
                                 platform::process_name(pid), netns_made_[idx]));
  }
}

}  // namespace faultline::stack::netns
