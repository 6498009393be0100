#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/common/units.h"
#include "harness/experiment/diagnostics.h"
#include "harness/experiment/source_tree.h"

// The experiment as plain data: what the loader produces from a YAML file and
// what every later stage (stack, load, faults, verifier, reports) reads.
// Defaults here are the documented defaults of the experiment format.
namespace faultline::experiment {

using namespace std::chrono_literals;

// `process`: the team's own program, started from its `command`.
enum class ServiceKind { haproxy, nginx, app, process };

// When a `kind: process` service counts as up: it answers an HTTP GET of
// `http_path` with any status below 500, or (tcp) it accepts a connection
// on its port.
struct Readiness {
  bool tcp = false;
  std::string http_path = "/";
};

// A service of the team's own: a load balancer or web server run from the
// team's config file, or a program run from its command line. Empty when
// faultline renders the service from the experiment's keys.
struct OwnService {
  // kind haproxy or nginx: the team's config file, absolute (written
  // relative to the experiment file). Never edited: the run works on a copy.
  std::string config;
  SourcePos config_pos;
  // kind process: the program and its arguments, run without a shell (one
  // string is split on blanks, with no quoting rules beyond that).
  std::vector<std::string> command;
  SourcePos command_pos;
  Readiness ready;
  std::map<std::string, std::string> env;  // added to faultline's own environment
  std::string workdir;                     // absolute; empty: the experiment file's folder
};

struct HealthCheck {
  std::string path = "/health";
  Duration interval = 1s;
  int fall = 3;
  int rise = 2;
};

struct Timeouts {
  Duration connect = 1s;
  Duration server = 5s;
  Duration client = 30s;
  // HAProxy only: how long a request may wait in the load balancer's queue
  // for a server under its maxconn; unset, HAProxy uses `connect`.
  std::optional<Duration> queue;
};

// A backend's capacity: beyond `rps` (with `burst` in excess) it sheds load
// with 503. Zero means unlimited.
// A backend's capacity. nginx: a request rate (`rps`, `burst`) beyond which
// it sheds with 503. app: a worker pool, `workers` requests at a time for
// `service_time` each, `queue` more waiting, and what happens when the
// queue is full (`crash` makes the process exit).
struct Capacity {
  double rps = 0;
  int burst = 0;
  int workers = 4;
  Duration service_time = std::chrono::milliseconds(10);
  int queue = 64;
  bool crash_on_overflow = false;
};

struct Service {
  std::string name;
  ServiceKind kind = ServiceKind::nginx;
  int port = 80;

  // Load-balancer fields (kind haproxy or nginx with backends).
  std::string balance = "roundrobin";
  std::vector<std::string> backends;
  std::map<std::string, int> weights;  // backend -> weight; absent = 1
  std::optional<HealthCheck> health_check;
  int retries = 0;
  bool redispatch = false;
  // What a retry is for: connect-failure, timeout, 502, 503, 504. Empty:
  // connection failures only.
  std::vector<std::string> retry_on;
  // Requests each server may have at once (0: no limit); the rest wait in
  // the load balancer's queue (HAProxy) or go to another server (nginx).
  int maxconn = 0;
  // HAProxy only: consistent hashing with bounded load, in percent of the
  // average (hash-balance-factor); 0: off.
  int hash_balance_factor = 0;
  Timeouts timeouts;

  // Backend fields.
  std::optional<Capacity> capacity;

  // --- TLS (issue 21) ---
  // A rendered load balancer terminates TLS (`tls: true`) with a
  // certificate the run's throwaway CA signs; the load trusts that CA.
  // Backends stay plain HTTP behind it.
  bool tls = false;
  // --- end of TLS ---

  // The team's own config or program (`config:`, `command:`).
  OwnService own;

  // runtime docker: the image the container runs (`image:`, required: the
  // server's version is part of what a drill tests, so the file says it
  // rather than faultline picking one) and where that image's server reads
  // its config (`config_path:`), where faultline mounts the rendered or the
  // team's config and points the server's command line. The loader fills
  // config_path with the kind's default when it is not written. Both are
  // empty on the other runtimes.
  std::string image;
  SourcePos image_pos;
  std::string config_path;

  // Whether `port` was written. runtime compose: without it the load
  // target's port is found when the run attaches (the one TCP port its
  // container exposes), so the default 80 above is not to be trusted.
  bool port_written = false;
  // runtime compose: a haproxy service without `backends` balances the
  // servers its own config names, found when the run attaches. It is a load
  // balancer all the same: HAProxy is nothing else in a stack.
  bool backends_from_config = false;

  SourcePos pos;

  // Runs from a config file of the team's rather than one faultline renders.
  bool has_own_config() const { return !own.config.empty(); }

  bool is_load_balancer() const { return !backends.empty() || backends_from_config; }
};

// An address outside the run's own stack that faults may send traffic to:
// listed by the experiment (stack.external_targets) and allowed only by
// `faultline run --allow-external`.
struct ExternalTarget {
  std::string name;
  std::string address;  // as written: an IPv4 address or a CIDR network
  std::string reason;   // optional, for the journal and the reviewer
  SourcePos pos;        // of the address
};

// The runtimes an experiment may name (stack.runtime). A name rather than an
// enum: the journal records it and stack::runtime_named looks it up as
// written, so a runtime is one entry there and one word here.
inline constexpr const char* kRuntimeNetns = "netns";
// faultline creates the containers from images, on a Docker network of the run's own.
inline constexpr const char* kRuntimeDocker = "docker";
// faultline attaches to the containers of a running Compose project and
// creates nothing: it only applies faults and reverts them.
inline constexpr const char* kRuntimeCompose = "compose";

struct Stack {
  std::string runtime = kRuntimeNetns;
  SourcePos runtime_pos;  // of the value; unset when the key is absent
  // runtime compose: the Compose project attached to (the value of its
  // containers' com.docker.compose.project label). Empty on the others.
  std::string project;
  SourcePos project_pos;
  std::optional<std::string> subnet;  // CIDR, e.g. 10.213.0.0/24; picked per run when absent
  std::vector<Service> services;      // in file order
  std::vector<ExternalTarget> external_targets;

  const Service* find(const std::string& name) const {
    for (const auto& s : services) {
      if (s.name == name) {
        return &s;
      }
    }
    return nullptr;
  }
};

// ---- Weighted request mix (load.requests, load.seed) ----
// One kind of request of the load's mix. Without `requests` in the file the
// loader makes the mix one template, named kDefaultRequestName: a GET of
// load.path, exactly the single request of loads written before the mix.
inline constexpr const char* kDefaultRequestName = "default";
// The most templates a mix may have: a Sample names its template in a byte.
inline constexpr int kMaxRequestTemplates = 255;

struct RequestTemplate {
  std::string name;  // unique in the mix, [a-z0-9_-]+
  std::string method = "GET";
  std::string path = "/";
  double weight = 1;  // relative: the share is weight / sum of weights
  // In file order; names as written (HTTP header names are case-insensitive).
  std::vector<std::pair<std::string, std::string>> headers;
  // `body:` as written, or the bytes of `body_file:` (read at load time).
  std::string body;
  std::string body_file;  // absolute; empty when the body was inline or absent
  SourcePos pos;          // of the entry (its first key)
  SourcePos name_pos;     // of the name's value
};
// ---- end of the request mix ----

struct Load {
  std::string target;  // a service name
  std::string path = "/";
  double rate = 100;     // requests per second, open model
  int connections = 16;  // keep-alive connections opened before the first request
  // Most connections the generator may hold at once: it opens more than
  // `connections` when requests are due and every connection is busy. The
  // loader always sets it (load::default_max_connections when the key is
  // absent); 0, as here, means that same default to load::LoadSpec.
  int max_connections = 0;
  int users = 100;
  Duration timeout = 2s;
  Duration duration = 30s;
  std::string backend_header = "X-Backend";
  Duration ramp = 0s;  // the rate grows linearly from 0 over this long; part of `duration`
  // --- HTTPS (issue 21) ---
  // `scheme: https`: every connection does a TLS handshake after connect.
  // The load trusts the run's CA (a target with tls: true), else the PEM
  // file `ca` (absolute path, resolved against the experiment's folder), or
  // verifies nothing with `insecure`. `sni` is the name sent and checked;
  // empty: the target service's name.
  std::string scheme = "http";
  std::string ca;
  bool insecure = false;
  std::string sni;
  // `resume: false`: no session resumption, a full handshake (and a check
  // of the certificate) on every new connection.
  bool resume = true;
  bool https() const { return scheme == "https"; }
  // --- end of HTTPS ---
  SourcePos pos;
  SourcePos duration_pos;  // of the duration's value (validate's recovery-tail warning points there)
  // ---- request mix ----
  // Never empty once loaded: `requests` as written, or the one default
  // template (kDefaultRequestName, GET of `path`). `requests_written` tells
  // the two apart (per-name figures are shown only for a real mix).
  std::vector<RequestTemplate> requests;
  bool requests_written = false;
  // Picks each request's template (with the weights): the same seed gives
  // the same sequence of requests.
  uint64_t seed = 1;

  // The names of the templates, in order (a Sample's request index).
  std::vector<std::string> request_names() const;
  // ---- end of the request mix ----
};

struct Objective {
  std::string name;
  std::string expr;
  SourcePos pos;  // of the expression, so grammar errors point into it
};

// A safety stop such as `error_rate > 50% for 5s`, kept as written: the
// runner parses it with the objective grammar and reports errors at `pos`
// plus the column inside the expression.
struct AbortCondition {
  std::string expr;
  SourcePos pos;
};

struct Slo {
  Duration window = 1s;
  std::vector<Objective> objectives;
  Duration steady_state = 0s;
  std::vector<AbortCondition> abort_when;
  std::optional<double> target;  // the SLO target as a fraction (0.999), for the error budget
};

// One entry of the method timeline: a fault (with its raw parameters, which
// the fault type parses and validates itself) or an operator note.
struct MethodStep {
  Duration at = 0s;
  std::string fault;                 // empty for a note
  std::string target;                // a service name
  YAML::Node params;                 // the fault's own parameters, marks intact (the journal's)
  std::optional<Duration> duration;  // absent: until the end of the load
  std::string note;
  SourcePos pos;         // of the step (its first key)
  SourcePos fault_pos;   // of the fault name, for "unknown fault" errors
  SourcePos target_pos;  // of the target name
  // The same parameters as the loader read them, which the fault type
  // checks: every key and value with its position (an empty value's is its
  // key's), duplicate keys kept.
  SourceNode params_source;

  bool is_note() const { return fault.empty(); }
};

enum class Expectation { breach, hold };

// One of the team's corrective actions: the text alone, or with what the
// postmortem's Action Items table shows beside it (empty: left to the team).
struct CorrectiveAction {
  std::string action;
  std::string type;  // prevent | mitigate | detect | process, or empty
  std::string priority;
  std::string owner;
  bool operator==(const CorrectiveAction&) const = default;
};

struct Postmortem {
  std::string service;
  std::string timezone = "UTC";
  std::string detection;
  std::string root_cause;  // overrides the fault's own description when set
  std::vector<CorrectiveAction> corrective_actions;
};

struct Experiment {
  int version = 1;
  std::string title;
  std::string description;
  std::vector<std::string> tags;
  Stack stack;
  Load load;
  Slo slo;
  std::vector<MethodStep> method;
  Expectation expect = Expectation::hold;
  Postmortem postmortem;

  // Not read from the file: set by `faultline run --allow-external` before
  // the faults are bound, so a fault may send traffic to external_targets.
  bool allow_external = false;

  std::string source_file;  // absolute path of the file it was loaded from
  YAML::Node source;        // the document as loaded, after --set overrides
};

std::string to_string(ServiceKind kind);
std::string to_string(Expectation e);

// runtime docker: where the official image of `kind` (haproxy, nginx) reads
// its config, the default of `config_path`; empty for the other kinds.
std::string default_config_path(ServiceKind kind);

// A path written in an experiment, made absolute: relative paths are relative
// to the experiment file's folder (the working directory when the experiment
// did not come from a file).
std::string resolve_path(const Experiment& exp, const std::string& path);
// The same from the experiment file's path (empty: the working directory).
std::string resolve_path_from(const std::string& source_file, const std::string& path);

// The other way: an absolute path as the experiment's author reads it,
// relative to the experiment file's folder when inside it, else as it is.
std::string shown_path(const Experiment& exp, const std::string& path);

}  // namespace faultline::experiment
