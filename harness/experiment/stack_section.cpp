// The stack section of an experiment: its services (kind, port, backends
// and the load-balancer settings, health checks, timeouts, capacity). The
// addresses (subnet, external targets) are read in stack_addresses.cpp, the
// team's own config files and programs in own_service.cpp, the runtime and
// what the container runtimes add or refuse in container_service.cpp.

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>

#include "harness/experiment/container_service.h"
#include "harness/experiment/own_service.h"
#include "harness/experiment/sections.h"

namespace faultline::experiment {

namespace {

const std::vector<std::string> kStackKeys = {"runtime", "project", "subnet", "services", "external_targets"};
const std::vector<std::string> kServiceKeys = {"kind",
                                               "port",
                                               "balance",
                                               "backends",
                                               "weights",
                                               "health_check",
                                               "retries",
                                               "redispatch",
                                               "retry_on",
                                               "maxconn",
                                               "hash_balance_factor",
                                               "timeouts",
                                               "capacity",
                                               "config",
                                               "command",
                                               "ready",
                                               "env",
                                               "workdir",
                                               "image",
                                               "config_path"};
// --- TLS (issue 21) ---
std::vector<std::string> service_keys() {
  std::vector<std::string> keys = kServiceKeys;
  keys.push_back("tls");
  return keys;
}
// --- end of TLS ---
// Keys that only make sense for a service with backends.
const std::vector<std::string> kBalancerKeys = {"balance",  "weights", "health_check",        "retries",
                                                "retry_on", "maxconn", "hash_balance_factor", "redispatch",
                                                "timeouts"};
const std::vector<std::string> kRetryOn = {"connect-failure", "timeout", "502", "503", "504"};
const std::vector<std::string> kKinds = {"haproxy", "nginx", "app", "process"};
const std::vector<std::string> kBalanceAlgorithms = {"roundrobin", "leastconn", "source",
                                                     "uri",        "random",    "first"};
const std::vector<std::string> kHealthCheckKeys = {"path", "interval", "fall", "rise"};
const std::vector<std::string> kTimeoutKeys = {"connect", "server", "client", "queue"};
const std::vector<std::string> kCapacityKeys = {"rps", "burst"};
const std::vector<std::string> kAppCapacityKeys = {"workers", "service_time", "queue", "on_overflow"};
const std::vector<std::string> kOverflowActions = {"shed", "crash"};

constexpr int kMaxWeight = 256;  // HAProxy's limit

// Service names become parts of interface and namespace names, which the
// kernel limits to 15 characters.
bool valid_service_name(const std::string& name) {
  if (name.empty() || name.size() > 15 || name[0] < 'a' || name[0] > 'z') {
    return false;
  }
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

std::optional<ServiceKind> kind_from(const std::string& s) {
  if (s == "haproxy") {
    return ServiceKind::haproxy;
  }
  if (s == "nginx") {
    return ServiceKind::nginx;
  }
  if (s == "app") {
    return ServiceKind::app;
  }
  if (s == "process") {
    return ServiceKind::process;
  }
  return std::nullopt;
}

// Which services are load balancers, decided by the presence of `backends`
// before any service is checked, so a backend can be told it names another
// load balancer. On compose a haproxy without backends is one too (it
// balances what its own config names).
bool writes_backends(const SourceNode& service, RuntimeRules rules) {
  const SourceNode* backends = service.find("backends");
  if (backends == nullptr && rules == RuntimeRules::compose) {
    const SourceNode* kind = service.find("kind");
    return kind != nullptr && kind->is_scalar() && kind->scalar == "haproxy";
  }
  return backends != nullptr && backends->is_sequence() && !backends->items.empty();
}

class ServiceReader {
 public:
  ServiceReader(FieldReader& r, const SourceNode& services, const Experiment& exp, RuntimeRules rules)
      : r_(r), services_(services), exp_(exp), rules_(rules) {}

  Service read(const SourceEntry& entry) {
    Service s;
    s.name = entry.key;
    s.pos = entry.key_pos;
    const std::string where = fmt::format("service '{}'", s.name);
    const SourceNode& node = entry.value;
    if (node.is_null()) {
      r_.diags().error(entry.key_pos, fmt::format("service '{}' has no settings", s.name),
                       "at least 'kind' is required, e.g. kind: nginx");
      return s;
    }
    if (!r_.expect_map(node, s.name)) {
      return s;
    }
    r_.check_keys(node, service_keys(), where);

    // Unset when the kind is missing or wrong: the checks of one kind's
    // keys are then left out rather than guessed.
    std::optional<ServiceKind> kind;
    if (const SourceNode* kind_node = node.find("kind")) {
      if (auto k = r_.choice(*kind_node, "kind", kKinds)) {
        // A kind the runtime cannot run stays unset, like a wrong one.
        s.kind = *kind_from(*k);
        if (kind_runs_on(rules_, s.kind, *kind_node, r_)) {
          kind = s.kind;
        }
      }
    } else {
      r_.missing(entry.key_pos, "kind", where);
    }
    if (const SourceNode* port = node.find("port")) {
      if (auto p = r_.integer(*port, "port", 1, 65535)) {
        s.port = static_cast<int>(*p);
        s.port_written = true;
      }
    }

    const SourceEntry* backends = node.find_entry("backends");
    if (backends != nullptr) {
      read_backends(*backends, s);
    }
    const bool is_server = kind == ServiceKind::haproxy || kind == ServiceKind::nginx;
    const SourceEntry* config = node.find_entry("config");
    const bool own_config = config != nullptr && is_server;
    if (backends != nullptr && (kind == ServiceKind::app || kind == ServiceKind::process)) {
      r_.diags().error(backends->key_pos,
                       fmt::format("service '{}' of kind {} cannot have backends", s.name, to_string(*kind)),
                       "only haproxy and nginx balance load");
    }
    if (backends == nullptr && kind == ServiceKind::haproxy && rules_ == RuntimeRules::compose) {
      s.backends_from_config = true;
    } else if (backends == nullptr && kind == ServiceKind::haproxy) {
      r_.diags().error(entry.key_pos, fmt::format("haproxy service '{}' needs 'backends'", s.name),
                       own_config && config->value.is_scalar()
                           ? fmt::format("list the services {} routes to, e.g. backends: [web1, web2]",
                                         config->value.scalar)
                           : "list the services it balances, e.g. backends: [web1, web2]");
    }
    if (const SourceEntry* tls = node.find_entry("tls")) {
      read_tls(*tls, s, kind, own_config || rules_ == RuntimeRules::compose, backends != nullptr);
    }
    if (rules_ == RuntimeRules::compose) {
      // Nothing else is faultline's to set on a project the team runs.
      refuse_keys_owned_by_compose(node, r_, exp_.stack, s);
      return s;
    }

    if (own_config) {
      read_own_config(*config, r_, exp_, s);
    } else if (config != nullptr && kind) {
      refuse_config(*config, r_, s);
    }
    if (kind == ServiceKind::process) {
      read_process(entry, r_, exp_, s);
    } else if (kind && rules_ == RuntimeRules::docker) {
      refuse_process_keys_on_docker(node, r_, s);
    } else if (kind) {
      refuse_process_keys(node, r_, s);
    }
    if (kind && rules_ == RuntimeRules::docker) {
      read_image_keys(entry, r_, s);
    } else if (kind && rules_ == RuntimeRules::netns) {
      refuse_image_keys(node, r_, s);
    }

    if (own_config) {
      // The team's file holds these settings; the keys are refused, not read.
      refuse_keys_beside_config(node, config->value, r_, s);
    } else if (backends != nullptr) {
      read_balancer_fields(node, s);
      if (const SourceEntry* capacity = node.find_entry("capacity")) {
        r_.diags().error(capacity->key_pos, "'capacity' applies only to backends",
                         fmt::format("'{}' is a load balancer (it has backends)", s.name));
      }
    } else {
      for (const auto& key : kBalancerKeys) {
        if (const SourceEntry* e = node.find_entry(key)) {
          r_.diags().error(e->key_pos, fmt::format("'{}' applies only to load balancers", key),
                           fmt::format("'{}' has no backends", s.name));
        }
      }
      if (const SourceEntry* capacity = node.find_entry("capacity")) {
        if (kind == ServiceKind::process) {
          r_.diags().error(capacity->key_pos, "'capacity' does not apply to kind process",
                           "faultline limits the capacity of nginx and app backends only; a program of "
                           "your own serves what it can (remove it here)");
        } else {
          read_capacity(*capacity, s);
        }
      }
    }
    return s;
  }

 private:
  void read_backends(const SourceEntry& entry, Service& s) {
    const SourceNode& list = entry.value;
    if (!r_.expect_list(list, "backends")) {
      return;
    }
    if (list.items.empty()) {
      r_.diags().error(list.pos, "'backends' must not be empty",
                       fmt::format("list the services '{}' balances, or remove 'backends'", s.name));
      return;
    }
    for (const auto& item : list.items) {
      if (!item.is_scalar()) {
        r_.diags().error(item.pos,
                         fmt::format("each backend must be a service name, not {}", describe(item)));
        continue;
      }
      const std::string& name = item.scalar;
      const SourceNode* target = services_.find(name);
      if (name == s.name) {
        r_.diags().error(item.pos, fmt::format("service '{}' cannot be its own backend", s.name));
      } else if (services_.find_entry(name) == nullptr) {
        r_.diags().error(item.pos, fmt::format("unknown backend '{}' in service '{}'", name, s.name),
                         suggestion(name, other_names(s.name), "services are"));
      } else if (writes_backends(*target, rules_)) {
        r_.diags().error(item.pos, fmt::format("backend '{}' is itself a load balancer", name),
                         "a load balancer's backends must be services without backends");
      } else if (std::find(s.backends.begin(), s.backends.end(), name) != s.backends.end()) {
        r_.diags().error(item.pos, fmt::format("backend '{}' is listed twice", name));
      } else {
        s.backends.push_back(name);
      }
    }
  }

  void read_balancer_fields(const SourceNode& node, Service& s) {
    if (const SourceNode* balance = node.find("balance")) {
      if (auto b = r_.choice(*balance, "balance", kBalanceAlgorithms)) {
        s.balance = *b;
      }
    }
    if (const SourceNode* weights = node.find("weights")) {
      read_weights(*weights, s);
    }
    if (const SourceNode* hc = node.find("health_check")) {
      read_health_check(*hc, s);
    }
    if (const SourceNode* retries = node.find("retries")) {
      if (auto v = r_.integer(*retries, "retries", 0)) {
        s.retries = static_cast<int>(*v);
      }
    }
    if (const SourceNode* redispatch = node.find("redispatch")) {
      if (auto v = r_.boolean(*redispatch, "redispatch")) {
        s.redispatch = *v;
      }
    }
    if (const SourceEntry* retry_on = node.find_entry("retry_on")) {
      read_retry_on(retry_on->value, s);
      if (s.retries == 0 && !s.retry_on.empty()) {
        r_.diags().error(retry_on->key_pos, "'retry_on' without retries does nothing",
                         "add retries: 1 (or more) to this load balancer");
      }
    }
    if (const SourceNode* maxconn = node.find("maxconn")) {
      if (auto v = r_.integer(*maxconn, "maxconn", 1, 100000)) {
        s.maxconn = static_cast<int>(*v);
      }
    }
    const bool is_nginx = s.kind == ServiceKind::nginx;
    if (const SourceEntry* factor = node.find_entry("hash_balance_factor")) {
      if (is_nginx) {
        r_.diags().error(factor->key_pos, "'hash_balance_factor' is HAProxy's (hash-balance-factor)",
                         "nginx has no bounded-load hashing; use kind: haproxy, or remove it");
      } else if (auto v = r_.integer(factor->value, "hash_balance_factor", 101, 10000)) {
        s.hash_balance_factor = static_cast<int>(*v);
      }
    }
    if (const SourceNode* timeouts = node.find("timeouts")) {
      read_timeouts(*timeouts, s);
      if (const SourceEntry* queue = timeouts->find_entry("queue"); queue != nullptr && is_nginx) {
        r_.diags().error(queue->key_pos, "'timeouts.queue' is HAProxy's: nginx has no request queue",
                         "with nginx, maxconn sends the excess to another server (or answers 502)");
      }
    }
  }

  // --- TLS (issue 21) ---
  // Only a load balancer faultline renders: it is what the load talks to,
  // and faultline can only hand a certificate to a config it writes.
  void read_tls(const SourceEntry& entry, Service& s, std::optional<ServiceKind> kind, bool teams_config,
                bool balancer) {
    auto v = r_.boolean(entry.value, "tls");
    if (!v || !*v) {
      return;
    }
    if (teams_config) {
      r_.diags().error(
          entry.key_pos,
          fmt::format("'tls' is for a load balancer faultline renders; '{}' runs your own config", s.name),
          "serve TLS from your config with your own certificate, remove 'tls', and write "
          "load.scheme: https with load.ca: <your CA's PEM file> (or load.insecure: true)");
      return;
    }
    if (!balancer || (kind != ServiceKind::haproxy && kind != ServiceKind::nginx)) {
      r_.diags().error(entry.key_pos, "'tls' applies only to a haproxy or nginx load balancer",
                       fmt::format("'{}' has no backends: the load reaches backends through the load "
                                   "balancer, which speaks plain HTTP to them; remove 'tls' here",
                                   s.name));
      return;
    }
    s.tls = true;
  }
  // --- end of TLS ---

  void read_retry_on(const SourceNode& node, Service& s) {
    if (!r_.expect_list(node, "retry_on")) {
      return;
    }
    for (const auto& item : node.items) {
      if (auto v = r_.choice(item, "retry_on", kRetryOn)) {
        if (std::find(s.retry_on.begin(), s.retry_on.end(), *v) == s.retry_on.end()) {
          s.retry_on.push_back(*v);
        }
      }
    }
  }

  void read_weights(const SourceNode& node, Service& s) {
    if (!r_.expect_map(node, "weights")) {
      return;
    }
    // Checked against the backends as written, so a backend that is itself
    // wrong is not reported again for its weight.
    const SourceNode* listed = services_.find(s.name)->find("backends");
    if (!listed->is_sequence()) {
      return;
    }
    std::vector<std::string> names;
    for (const auto& b : listed->items) {
      if (b.is_scalar()) {
        names.push_back(b.scalar);
      }
    }
    for (const auto& e : node.entries) {
      if (std::find(names.begin(), names.end(), e.key) == names.end()) {
        r_.diags().error(e.key_pos, fmt::format("'{}' in weights is not a backend of '{}'", e.key, s.name),
                         suggestion(e.key, names, "backends are"));
        continue;
      }
      if (s.weights.count(e.key) != 0) {
        r_.diags().error(e.key_pos, fmt::format("the weight of '{}' is set twice", e.key));
        continue;
      }
      if (auto w = r_.integer(e.value, "weight", 0, kMaxWeight)) {
        s.weights[e.key] = static_cast<int>(*w);
      }
    }
  }

  void read_health_check(const SourceNode& node, Service& s) {
    if (node.is_scalar()) {
      if (auto enabled = r_.boolean(node, "health_check")) {
        s.health_check = *enabled ? std::optional<HealthCheck>(HealthCheck{}) : std::nullopt;
      }
      return;
    }
    if (node.is_null()) {
      r_.diags().error(node.pos, "'health_check' has no value",
                       "write true, false, or a map of path, interval, fall, rise");
      return;
    }
    if (!r_.expect_map(node, "health_check")) {
      return;
    }
    r_.check_keys(node, kHealthCheckKeys, fmt::format("health_check of '{}'", s.name));
    HealthCheck hc;
    if (const SourceNode* path = node.find("path")) {
      if (auto p = r_.text(*path, "path")) {
        if (p->empty() || p->front() != '/') {
          r_.diags().error(path->pos, fmt::format("'path' must start with '/', not '{}'", *p),
                           "e.g. /health");
        } else {
          hc.path = *p;
        }
      }
    }
    if (const SourceNode* interval = node.find("interval")) {
      if (auto d = r_.duration(*interval, "interval", Duration(0), true)) {
        hc.interval = *d;
      }
    }
    if (const SourceNode* fall = node.find("fall")) {
      if (auto v = r_.integer(*fall, "fall", 1)) {
        hc.fall = static_cast<int>(*v);
      }
    }
    if (const SourceNode* rise = node.find("rise")) {
      if (auto v = r_.integer(*rise, "rise", 1)) {
        hc.rise = static_cast<int>(*v);
      }
    }
    s.health_check = hc;
  }

  void read_timeouts(const SourceNode& node, Service& s) {
    if (!r_.expect_map(node, "timeouts")) {
      return;
    }
    r_.check_keys(node, kTimeoutKeys, fmt::format("timeouts of '{}'", s.name));
    const std::array<std::pair<const char*, Duration*>, 3> fields = {{
        {"connect", &s.timeouts.connect},
        {"server", &s.timeouts.server},
        {"client", &s.timeouts.client},
    }};
    for (const auto& [key, target] : fields) {
      if (const SourceNode* value = node.find(key)) {
        if (auto d = r_.duration(*value, key, Duration(0), true)) {
          *target = *d;
        }
      }
    }
    if (const SourceNode* value = node.find("queue")) {
      if (auto d = r_.duration(*value, "queue", Duration(0), true)) {
        s.timeouts.queue = *d;
      }
    }
  }

  void read_capacity(const SourceEntry& entry, Service& s) {
    const SourceNode& node = entry.value;
    if (!r_.expect_map(node, "capacity")) {
      return;
    }
    if (s.kind == ServiceKind::app) {
      read_app_capacity(node, s);
      return;
    }
    r_.check_keys(node, kCapacityKeys, fmt::format("capacity of '{}'", s.name));
    Capacity capacity;
    if (const SourceNode* rps = node.find("rps")) {
      if (auto text = r_.text(*rps, "rps")) {
        // A bare number reads as requests per second: `rps` names the unit.
        auto rate = parse_rate(*text);
        if (!rate) {
          rate = parse_rate(*text + "/s");
        }
        if (!rate) {
          r_.diags().error(rps->pos, fmt::format("'rps' must be a number or a rate, not '{}'", *text),
                           "e.g. 300 or 300/s");
        } else if (*rate <= 0) {
          r_.diags().error(rps->pos, "'rps' must be more than 0",
                           "leave out 'capacity' for a backend without a limit");
        } else {
          capacity.rps = *rate;
        }
      }
    } else {
      r_.missing(entry.key_pos, "rps", fmt::format("capacity of '{}'", s.name));
    }
    if (const SourceNode* burst = node.find("burst")) {
      if (auto v = r_.integer(*burst, "burst", 0)) {
        capacity.burst = static_cast<int>(*v);
      }
    }
    s.capacity = capacity;
  }

  // An app's capacity is its worker pool: how long a request takes, how
  // many at once, how many may wait, and what a full queue does.
  void read_app_capacity(const SourceNode& node, Service& s) {
    r_.check_keys(node, kAppCapacityKeys, fmt::format("capacity of app '{}'", s.name));
    Capacity capacity;
    if (const SourceNode* workers = node.find("workers")) {
      if (auto v = r_.integer(*workers, "workers", 1, 100000)) {
        capacity.workers = static_cast<int>(*v);
      }
    }
    if (const SourceNode* st = node.find("service_time")) {
      if (auto d = r_.duration(*st, "service_time")) {
        capacity.service_time = *d;
      }
    }
    if (const SourceNode* queue = node.find("queue")) {
      if (auto v = r_.integer(*queue, "queue", 0, 1000000)) {
        capacity.queue = static_cast<int>(*v);
      }
    }
    if (const SourceNode* overflow = node.find("on_overflow")) {
      if (auto a = r_.choice(*overflow, "on_overflow", kOverflowActions)) {
        capacity.crash_on_overflow = *a == "crash";
      }
    }
    s.capacity = capacity;
  }

  std::vector<std::string> other_names(const std::string& self) const {
    std::vector<std::string> names;
    for (const auto& e : services_.entries) {
      if (e.key != self) {
        names.push_back(e.key);
      }
    }
    return names;
  }

  FieldReader& r_;
  const SourceNode& services_;
  const Experiment& exp_;  // for the folder its paths are relative to, and the stack's project
  RuntimeRules rules_;
};

void read_services(const SourceEntry& entry, FieldReader& r, Experiment& exp, RuntimeRules rules) {
  Stack& stack = exp.stack;
  const SourceNode& node = entry.value;
  if (!r.expect_map(node, "services")) {
    return;
  }
  if (node.entries.empty()) {
    r.diags().error(node.is_null() ? entry.key_pos : node.pos, "the stack needs at least one service",
                    "e.g. services: { web: { kind: nginx } }");
    return;
  }
  for (size_t i = 0; i < node.entries.size(); ++i) {
    const SourceEntry& e = node.entries[i];
    // On compose the names are the team's, from its Compose file; the
    // other runtimes make interface and container names of them.
    if (rules == RuntimeRules::compose && !valid_compose_service_name(e.key)) {
      r.diags().error(e.key_pos, fmt::format("invalid service name '{}'", e.key),
                      "a Compose service name is 1 to 63 characters: a letter or digit, then letters, "
                      "digits, '.', '_' or '-'");
    } else if (rules != RuntimeRules::compose && !valid_service_name(e.key)) {
      r.diags().error(
          e.key_pos, fmt::format("invalid service name '{}'", e.key),
          "a name is 1 to 15 characters: a lowercase letter, then lowercase letters, digits or '-'");
    }
    bool duplicate = false;
    for (size_t j = 0; j < i; ++j) {
      if (node.entries[j].key == e.key) {
        r.diags().error(e.key_pos, fmt::format("service '{}' is defined twice", e.key),
                        fmt::format("it is already defined on line {}", node.entries[j].key_pos.line));
        duplicate = true;
        break;
      }
    }
    if (duplicate) {
      continue;
    }
    // Every service goes into the model, even one with problems: references
    // to it (load.target, fault targets) are then not reported a second time.
    ServiceReader reader(r, node, exp, rules);
    stack.services.push_back(reader.read(e));
  }
}

}  // namespace

std::vector<std::string> service_names(const Stack& stack) {
  std::vector<std::string> names;
  for (const auto& s : stack.services) {
    names.push_back(s.name);
  }
  return names;
}

bool check_service_ref(FieldReader& r, const Stack& stack, const SourceNode& node, const std::string& name,
                       const std::string& what) {
  // Without services every reference would be reported as unknown; the
  // missing services are reported once instead.
  if (stack.services.empty() || stack.find(name) != nullptr) {
    return true;
  }
  r.diags().error(node.pos, fmt::format("{} '{}' is not a service of the stack", what, name),
                  suggestion(name, service_names(stack), "services are"));
  return false;
}

void read_stack(const SourceEntry& section, FieldReader& r, Experiment& exp) {
  Stack& stack = exp.stack;
  const SourceNode& node = section.value;
  if (!r.expect_map(node, "stack")) {
    return;
  }
  r.check_keys(node, kStackKeys, "stack");
  const SourceNode* runtime = node.find("runtime");
  const RuntimeRules rules = runtime != nullptr ? read_runtime(*runtime, r, stack) : RuntimeRules::netns;
  read_project(node, runtime, rules, r, stack);
  if (const SourceEntry* subnet = node.find_entry("subnet")) {
    if (rules == RuntimeRules::compose) {
      r.diags().error(subnet->key_pos, "'subnet' cannot be set on runtime compose",
                      "the project's network has the addresses Compose gave it: faultline attaches to it and "
                      "creates no network (remove 'subnet')");
    } else {
      read_subnet(subnet->value, r, stack);
    }
  }
  if (const SourceNode* external = node.find("external_targets")) {
    read_external_targets(*external, r, stack);
  }
  if (const SourceEntry* services = node.find_entry("services")) {
    read_services(*services, r, exp, rules);
  } else {
    r.missing(section.key_pos, "services", "stack");
  }
}

}  // namespace faultline::experiment
