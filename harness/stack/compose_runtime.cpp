// runtime compose: a run's identity in the run registry (for faultline's
// own files), and a "bring-up" that starts nothing: it finds the project's
// containers by their Compose labels and plans the run on the addresses
// they have.
//
// The load goes from the host to the target's address on the project's
// network. That needs the host to route there, which it does when the
// network is a bridge of this Docker host: dockerd gives the host the
// network's gateway address on the bridge, with or without its own
// iptables rules (this project's CI daemon runs --iptables=false
// --bridge=none, and the host still reaches the containers that way).
// A project whose network the host has no address on (an overlay, a
// macvlan) is refused, naming the network: published ports are not used,
// because a drill through docker-proxy would measure the proxy too.

#include <arpa/inet.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <ifaddrs.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "harness/common/text.h"
#include "harness/platform/container_files.h"
#include "harness/platform/subnet.h"
#include "harness/stack/compose_stack.h"
#include "harness/stack/compose_sweep.h"
#include "harness/stack/compose_undo.h"
#include "harness/stack/haproxy_conf.h"
#include "harness/stack/http_probe.h"
#include "harness/stack/run_registry.h"
#include "harness/stack/runtime.h"

namespace faultline::stack {

namespace {

using namespace compose;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

class ComposeRuntime final : public StackRuntime {
 public:
  Result<RunIdentity> create_run(const std::string& registry_dir) override {
    return stack::create_run(registry_dir);
  }
  Result<std::unique_ptr<RunningStack>> bring_up(const experiment::Experiment& exp, const RunIdentity& id,
                                                 const ProgressFn& progress) override {
    return compose_bring_up(exp, id, progress);
  }
  void release_run(const RunIdentity& id) override { stack::release_run(id); }
};

// Whether an interface of this host has `address`.
bool host_has_address(const std::string& address) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) {
    return false;
  }
  bool found = false;
  for (const ifaddrs* a = list; a != nullptr && !found; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) {
      continue;
    }
    char text[INET_ADDRSTRLEN] = {};
    const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
    found = ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text) != nullptr && address == text;
  }
  ::freeifaddrs(list);
  return found;
}

// The network every attached container is on: the project's default one
// when they all are, else the first (by name) they share.
Result<std::string> shared_network(const std::string& project,
                                   const std::vector<platform::ContainerInfo>& infos) {
  std::set<std::string> common;
  for (size_t i = 0; i < infos.size(); ++i) {
    std::set<std::string> mine;
    for (const auto& [name, endpoint] : infos[i].networks) {
      if (!endpoint.ip.empty()) {
        mine.insert(name);
      }
    }
    if (i == 0) {
      common = mine;
    } else {
      std::set<std::string> both;
      std::set_intersection(common.begin(), common.end(), mine.begin(), mine.end(),
                            std::inserter(both, both.begin()));
      common = both;
    }
  }
  if (common.empty()) {
    return Error{fmt::format(
        "the services of Compose project '{}' share no network with an IPv4 address: faultline sends the "
        "load and places faults on one network of the project",
        project)};
  }
  for (const std::string& name : {project + "_default", project + "-default"}) {
    if (common.count(name) != 0) {
      return name;
    }
  }
  return *common.begin();
}

// The HAProxy backend whose servers the experiment's backends name (the
// rendered-config words faults use: `server: web1` is `<backend>/web1` on
// the runtime API), else the one backend the config has.
std::string haproxy_backend_of(const std::string& config_text, const experiment::Service& svc) {
  auto config = haproxy_conf::parse(config_text, "haproxy.cfg");
  if (!config) {
    return {};
  }
  const auto all = haproxy_conf::backends(*config);
  for (const auto& be : all) {
    for (const auto& s : be.servers) {
      if (std::find(svc.backends.begin(), svc.backends.end(), s.name) != svc.backends.end()) {
        return be.name;
      }
    }
  }
  return all.size() == 1 ? all.front().name : std::string();
}

}  // namespace

Result<std::unique_ptr<RunningStack>> compose_bring_up(const experiment::Experiment& exp,
                                                       const RunIdentity& id, const ProgressFn& progress,
                                                       const std::string& socket) {
  if (exp.stack.runtime != experiment::kRuntimeCompose || exp.stack.project.empty()) {
    return Error{"runtime compose needs stack.runtime: compose and stack.project"};
  }
  const std::string& project = exp.stack.project;
  platform::DockerApi api(socket);
  if (auto st = api.ping(); !st) {
    return Error{
        fmt::format("runtime compose needs the Docker daemon at {}: {}", socket, st.error().describe())};
  }
  auto containers = list_project(api, project);
  if (!containers) {
    return containers.error();
  }
  std::vector<std::string> others;
  if (containers->empty()) {
    if (auto listed = list_projects(api)) {
      others = *listed;
    }
  }
  std::vector<std::string> names;
  for (const auto& s : exp.stack.services) {
    names.push_back(s.name);
  }
  auto attached = attach_services(project, *containers, names, others);
  if (!attached) {
    return attached.error();
  }
  std::vector<platform::ContainerInfo> infos;
  for (const auto& a : *attached) {
    auto info = api.inspect(a.id);
    if (!info) {
      return Error{fmt::format("service {}: {}", a.instance, info.error().describe())};
    }
    if (!info->state.running || info->state.pid <= 0) {
      return Error{fmt::format("service {}: container {} is {}", a.instance, a.name, info->state.status)};
    }
    infos.push_back(std::move(*info));
  }
  auto network = shared_network(project, infos);
  if (!network) {
    return network.error();
  }
  const auto& first = infos.front().networks.at(*network);
  Plan plan;
  plan.bridge_address = first.gateway;
  plan.bridge = "br-" + first.network_id.substr(0, 12);
  if (auto nets = api.list_networks({})) {
    for (const auto& n : *nets) {
      if (n.name == *network && !n.subnets.empty()) {
        plan.subnet = n.subnets.front();
        if (auto cidr = platform::parse_cidr(plan.subnet)) {
          plan.prefix_len = cidr->prefix_len;
        }
      }
    }
  }
  if (first.gateway.empty() || !host_has_address(first.gateway)) {
    return Error{fmt::format(
        "this host has no address on network {} of Compose project '{}' (gateway '{}'), so it cannot send "
        "the load to the services' addresses there: runtime compose needs a bridge network of this "
        "Docker host",
        *network, project, first.gateway)};
  }

  std::vector<ServiceInstance> instances;
  std::vector<Attached> attachments;
  for (size_t i = 0; i < attached->size(); ++i) {
    const auto& a = (*attached)[i];
    const auto& info = infos[i];
    const experiment::Service& svc = *exp.stack.find(a.service);
    ServiceInstance inst;
    inst.planned.name = a.instance;
    inst.planned.kind = svc.kind;
    inst.planned.address = info.networks.at(*network).ip;
    inst.planned.port = svc.port;
    inst.planned.health_paths = {"/health"};
    // The team's server serves TLS when the load says HTTPS to it.
    inst.planned.tls = exp.load.https() && exp.load.target == svc.name;
    inst.pid = info.state.pid;
    inst.log_dir = id.run_dir + "/" + a.instance;
    std::error_code ec;
    fs::create_directories(inst.log_dir, ec);
    Attached at;
    at.container = a;
    at.pid = info.state.pid;
    const std::string root = fmt::format("/proc/{}/root", info.state.pid);
    if (svc.kind == experiment::ServiceKind::haproxy || svc.kind == experiment::ServiceKind::nginx) {
      at.config_file = server_config_file(svc.kind, info.state.pid, root);
      inst.config_path = root + at.config_file;
      // The server runs the team's file itself, not a copy: set, so that
      // a config rewrite goes through reload_files (written in place and
      // checked inside the container), and HAProxy's shares come from its
      // own counters (the team's servers send no backend header).
      inst.team_config = at.config_file;
    }
    if (svc.kind == experiment::ServiceKind::haproxy) {
      const std::string text = platform::read_confined(inst.config_path).value_or("");
      at.admin_socket = admin_socket_of(text);
      if (!at.admin_socket.empty()) {
        inst.runtime_socket = root + at.admin_socket;
      }
      inst.backend_name = haproxy_backend_of(text, svc);
    }
    // Who the container is, and HAProxy's servers as found, before any
    // fault: what `faultline cleanup` finds it and puts it back by after a
    // killed run (compose_undo.h).
    const UndoRecord record(inst.log_dir);
    if (auto st = record.write_container({project, a.service, a.number, a.id, a.name,
                                          experiment::to_string(svc.kind), at.config_file, at.admin_socket});
        !st) {
      return Error{fmt::format("service {}: {}", a.instance, st.error().message)};
    }
    if (!at.admin_socket.empty()) {
      auto servers = read_servers(inst.runtime_socket);
      if (!servers) {
        return Error{fmt::format(
            "service {}: cannot read HAProxy's servers through its runtime API at {} in container {}, which "
            "faultline records before any fault so that `faultline cleanup` can put them back after a killed "
            "run: {}",
            a.instance, at.admin_socket, a.name, servers.error().message)};
      }
      if (auto st = record.write_servers(*servers); !st) {
        return Error{fmt::format("service {}: {}", a.instance, st.error().message)};
      }
    }
    if (progress) {
      progress(fmt::format("attached {}: container {} ({}), {} on {}, pid {}{}", a.instance, a.name,
                           info.image, inst.planned.address, *network, info.state.pid,
                           at.admin_socket.empty() ? "" : ", runtime API " + at.admin_socket));
    }
    plan.services.push_back(inst.planned);
    instances.push_back(std::move(inst));
    attachments.push_back(std::move(at));
  }
  // The load's first request is no place to learn that the host cannot
  // reach the target: asked once here, with a short bound.
  if (const PlannedService* target = plan.find(exp.load.target)) {
    // The first request of the mix (without one: the GET of load.path).
    const std::string& path = exp.load.requests.empty() ? exp.load.path : exp.load.requests.front().path;
    if (auto resp = http_get(target->address, target->port, path, 2s, target->tls); !resp) {
      return Error{fmt::format("the load target {} does not answer at {}:{} from this host: {}", target->name,
                               target->address, target->port, resp.error().message)};
    }
  }
  return std::unique_ptr<RunningStack>(std::make_unique<ComposeStack>(
      std::move(api), id, project, std::move(plan), std::move(instances), std::move(attachments)));
}

StackRuntime& compose_runtime() {
  static ComposeRuntime runtime;
  return runtime;
}

}  // namespace faultline::stack
