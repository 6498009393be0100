// make_plan: names and addresses for every service, decided before anything
// is created.

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <random>
#include <set>

#include "harness/platform/netlink.h"
#include "harness/platform/subnet.h"
#include "harness/stack/names.h"
#include "harness/stack/run_registry.h"
#include "harness/stack/stack.h"

namespace faultline::stack {
namespace {

// Services get .10, .11, ... so the low addresses stay free for the host
// side (.1 is the bridge) and for anything an operator adds by hand.
constexpr uint32_t kFirstServiceHost = 10;

// Service names end up in namespace names, HAProxy server names and file
// names: keep to characters that are safe in all three.
bool valid_service_name(const std::string& name) {
  if (name.empty() || name.size() > 64 || !std::isalnum(static_cast<unsigned char>(name[0]))) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

std::string registry_of(const RunIdentity& id) {
  if (id.run_dir.empty()) {
    return kDefaultRegistryDir;
  }
  return std::filesystem::path(id.run_dir).parent_path().string();
}

// Subnets that live runs in the same registry have claimed; their bridges
// may not exist yet, so the host's interfaces alone would not show them.
std::vector<platform::Ipv4Net> subnets_of_live_runs(const RunIdentity& id) {
  std::vector<platform::Ipv4Net> out;
  for (const auto& run : list_runs(registry_of(id))) {
    if (run.run_id == id.run_id || !run.owner_alive) {
      continue;
    }
    for (const auto& r : run.resources) {
      if (r.kind == "subnet") {
        if (auto net = platform::parse_cidr(r.name)) {
          out.push_back(*net);
        }
      }
    }
  }
  return out;
}

std::string first_overlap(const platform::Ipv4Net& net, const std::vector<platform::Ipv4Net>& used) {
  for (const auto& u : used) {
    if (net.overlaps(u)) {
      return platform::format_cidr(u);
    }
  }
  return {};
}

}  // namespace

Result<platform::Ipv4Net> choose_subnet(const experiment::Experiment& exp, const RunIdentity& id) {
  auto sock = platform::RouteSocket::open();
  if (!sock) {
    return sock.error();
  }
  auto host = sock->ipv4_networks();
  if (!host) {
    return host.error();
  }
  std::vector<platform::Ipv4Net> used = *host;
  if (exp.stack.subnet) {
    auto net = platform::parse_cidr(*exp.stack.subnet);
    if (!net) {
      return Error{fmt::format("stack.subnet '{}' is not an IPv4 network in CIDR form (e.g. 10.213.0.0/24)",
                               *exp.stack.subnet)};
    }
    if (auto clash = first_overlap(*net, used); !clash.empty()) {
      return Error{
          fmt::format("stack.subnet {} overlaps {}, which this host already uses; pick another subnet "
                      "or leave it out to have one chosen",
                      platform::format_cidr(*net), clash)};
    }
    if (auto clash = first_overlap(*net, subnets_of_live_runs(id)); !clash.empty()) {
      return Error{
          fmt::format("stack.subnet {} is in use by another faultline run", platform::format_cidr(*net))};
    }
    return *net;
  }
  for (const auto& n : subnets_of_live_runs(id)) {
    used.push_back(n);
  }
  // A random starting point keeps two runs planned at the same moment from
  // racing for the same first free subnet.
  std::random_device rd;
  const uint32_t start = std::uniform_int_distribution<uint32_t>(0, 255)(rd);
  const uint32_t pool = (10u << 24) | (213u << 16);
  for (uint32_t i = 0; i < 256; ++i) {
    const platform::Ipv4Net candidate{pool | (((start + i) % 256) << 8), 24};
    if (first_overlap(candidate, used).empty()) {
      return candidate;
    }
  }
  return Error{
      "no free /24 left in 10.213.0.0/16 (every one is used by this host or by another run); "
      "set stack.subnet"};
}

Result<Plan> make_plan(const experiment::Experiment& exp, const RunIdentity& id) {
  if (!is_run_id(id.run_id)) {
    return Error{fmt::format("run id '{}' is not 6 lowercase hex digits", id.run_id)};
  }
  const auto& services = exp.stack.services;
  if (services.empty()) {
    return Error{"the stack has no services"};
  }
  std::set<std::string> names;
  for (const auto& s : services) {
    if (!valid_service_name(s.name)) {
      return Error{
          fmt::format("service name '{}' must start with a letter or digit and hold only letters, "
                      "digits, '-', '_' and '.' (at most 64)",
                      s.name)};
    }
    if (!names.insert(s.name).second) {
      return Error{fmt::format("service '{}' is defined twice", s.name)};
    }
    if (s.port <= 0 || s.port > 65535) {
      return Error{fmt::format("service {}: port {} is out of range", s.name, s.port)};
    }
  }
  for (const auto& s : services) {
    for (const auto& b : s.backends) {
      if (names.count(b) == 0) {
        return Error{fmt::format("service {}: backend '{}' is not a service of the stack", s.name, b)};
      }
      if (b == s.name) {
        return Error{fmt::format("service {}: a load balancer cannot be its own backend", s.name)};
      }
    }
  }

  auto subnet = choose_subnet(exp, id);
  if (!subnet) {
    return subnet.error();
  }
  const platform::Ipv4Net net = *subnet;
  // Room for the bridge (.1) and every service from .10 up, below the
  // broadcast address.
  const uint64_t size = uint64_t{1} << (32 - net.prefix_len);
  if (net.prefix_len > 30 || kFirstServiceHost + services.size() >= size) {
    return Error{fmt::format("subnet {} is too small: services are numbered from .{} and the stack has {}",
                             platform::format_cidr(net), kFirstServiceHost, services.size())};
  }

  Plan plan;
  plan.subnet = platform::format_cidr(net);
  plan.prefix_len = net.prefix_len;
  plan.bridge = bridge_name(id.run_id);
  plan.bridge_address = platform::format_ipv4(net.base + 1);
  for (size_t i = 0; i < services.size(); ++i) {
    const auto& s = services[i];
    PlannedService p;
    p.name = s.name;
    p.kind = s.kind;
    p.address = platform::format_ipv4(net.base + kFirstServiceHost + static_cast<uint32_t>(i));
    p.port = s.port;
    p.netns = netns_name(id.run_id, s.name);
    p.host_veth = host_veth_name(id.run_id, i);
    p.health_paths.push_back("/health");
    p.tls = s.tls || (exp.load.https() && exp.load.target == s.name);
    for (const auto& lb : services) {
      const bool probes_me =
          lb.health_check && std::find(lb.backends.begin(), lb.backends.end(), s.name) != lb.backends.end();
      if (probes_me && std::find(p.health_paths.begin(), p.health_paths.end(), lb.health_check->path) ==
                           p.health_paths.end()) {
        p.health_paths.push_back(lb.health_check->path);
      }
    }
    plan.services.push_back(std::move(p));
  }
  return plan;
}

}  // namespace faultline::stack
