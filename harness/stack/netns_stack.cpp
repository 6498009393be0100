// The netns stack: finding a service, and tearing down everything the
// stack made (and nothing else).

#include "harness/stack/netns_stack.h"

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
#include "harness/stack/render.h"
#include "harness/stack/run_registry.h"
#include "harness/stack/stack.h"

namespace faultline::stack::netns {

std::optional<size_t> NetnsStack::index_of(const std::string& service) const {
  for (size_t i = 0; i < services_.size(); ++i) {
    if (services_[i].planned.name == service) {
      return i;
    }
  }
  return std::nullopt;
}

Result<size_t> NetnsStack::index_for_change(const std::string& service) const {
  auto i = index_of(service);
  if (!i) {
    return Error{"no service named " + service + " in the stack"};
  }
  if (torn_down_) {
    return Error{"service " + service + ": the stack has been torn down"};
  }
  return *i;
}

std::vector<std::string> NetnsStack::teardown_collect() {
  std::vector<std::string> errors;
  if (torn_down_) {
    return errors;
  }
  torn_down_ = true;
  stop_children();
  kill_leftovers_in_namespaces(errors);

  // Links are deleted from the namespace they were made in, whichever
  // namespace the calling thread is in now. The host side of each veth is
  // deleted explicitly: removing the namespace alone leaves it behind for a
  // while, and a quick next run would trip over it.
  auto remove_links = [&]() -> Status {
    auto sock = platform::RouteSocket::open();
    if (!sock) {
      return sock.error();
    }
    for (const auto& veth : veths_made_) {
      if (auto st = sock->delete_link(veth); !st) {
        errors.push_back(st.error().message);
      }
    }
    if (bridge_made_) {
      if (auto st = sock->delete_link(plan_.bridge); !st) {
        errors.push_back(st.error().message);
      }
    }
    return {};
  };
  // The rule before the links (made after the bridge, removed before it):
  // the servers are stopped, and a rule never outlives the bridge it names.
  auto remove_rule = [&]() -> Status { return delete_rule(*bridge_rule_); };
  if (bridge_rule_) {
    Status st = host_netns_.valid() ? platform::run_in_netns(host_netns_.get(), remove_rule) : remove_rule();
    if (!st) {
      errors.push_back(fmt::format("iptables rule for {} in {}: {}", plan_.bridge, bridge_rule_->chain,
                                   st.error().message));
    }
    bridge_rule_.reset();
  }
  if (veths_made_.size() > 0 || bridge_made_) {
    Status st =
        host_netns_.valid() ? platform::run_in_netns(host_netns_.get(), remove_links) : remove_links();
    if (!st) {
      errors.push_back(st.error().message);
    }
  }
  veths_made_.clear();
  bridge_made_ = false;

  netns_fds_.clear();
  for (const auto& name : netns_made_) {
    if (auto st = platform::delete_named_netns(name); !st) {
      errors.push_back(st.error().message);
    }
  }
  netns_made_.clear();

  for (const auto& dir : dirs_made_) {
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (ec) {
      errors.push_back(fmt::format("cannot remove {}: {}", dir, ec.message()));
    }
  }
  dirs_made_.clear();
  for (const auto& e : errors) {
    spdlog::warn("run {}: teardown: {}", id_.run_id, e);
  }
  return errors;
}

void NetnsStack::teardown() {
  teardown_collect();
}

}  // namespace faultline::stack::netns
