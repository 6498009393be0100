#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "harness/experiment/sections.h"
#include "harness/load/connection_limit.h"

namespace faultline::experiment {

namespace {

const std::vector<std::string> kLoadKeys = {"target",          "path",  "rate",    "connections",
                                            "max_connections", "users", "timeout", "duration",
                                            "backend_header",  "ramp"};

// The request mix's keys (request_section.cpp), kept apart from the rest.
const std::vector<std::string> kRequestMixKeys = {"requests", "seed"};
// --- HTTPS (issue 21) --- these keys are read in load_tls_section.cpp
const std::vector<std::string> kLoadTlsKeys = {"scheme", "http", "ca", "insecure", "sni", "resume"};

std::vector<std::string> load_keys() {
  std::vector<std::string> keys = kLoadKeys;
  keys.insert(keys.end(), kRequestMixKeys.begin(), kRequestMixKeys.end());
  keys.insert(keys.end(), kLoadTlsKeys.begin(), kLoadTlsKeys.end());
  return keys;
}
// --- end of HTTPS ---

// For connections and max_connections: stays clear of the 20000 open-files
// limit (preflight counts two files per load connection).
constexpr int kMaxConnections = 10000;

// After connections, rate and timeout: the default depends on all three.
// An explicit limit below `connections` would make the pre-opened pool
// break it, so it is refused rather than raised quietly.
void read_max_connections(const SourceNode& node, FieldReader& r, Load& load, bool connections_known) {
  const int fallback = load::default_max_connections(load.connections, load.rate, load.timeout);
  const SourceNode* limit = node.find("max_connections");
  if (limit == nullptr) {
    load.max_connections = fallback;
    return;
  }
  auto v = r.integer(*limit, "max_connections", 1, kMaxConnections);
  if (!v || !connections_known) {
    return;
  }
  if (*v < load.connections) {
    r.diags().error(
        limit->pos,
        fmt::format("'max_connections' ({}) must be at least 'connections' ({})", *v, load.connections),
        fmt::format("raise it to {} or more, or leave it out for the default ({} here)", load.connections,
                    fallback));
    return;
  }
  load.max_connections = static_cast<int>(*v);
}

}  // namespace

void read_load(const SourceEntry& section, FieldReader& r, const Stack& stack, Load& load,
               SectionContext& ctx) {
  const SourceNode& node = section.value;
  load.pos = section.key_pos;
  if (!r.expect_map(node, "load")) {
    return;
  }
  r.check_keys(node, load_keys(), "load");

  if (const SourceNode* target = node.find("target")) {
    if (auto name = r.text(*target, "target")) {
      if (check_service_ref(r, stack, *target, *name, "load target")) {
        load.target = *name;
      }
    }
  } else {
    r.missing(section.key_pos, "target", "load");
  }
  if (const SourceNode* path = node.find("path")) {
    if (auto p = r.text(*path, "path")) {
      if (p->empty() || p->front() != '/') {
        r.diags().error(path->pos, fmt::format("'path' must start with '/', not '{}'", *p),
                        "e.g. / or /api/items");
      } else if (p->find_first_of(" \t\r\n") != std::string::npos) {
        r.diags().error(path->pos, "'path' must not contain spaces", "write a space as %20");
      } else {
        load.path = *p;
      }
    }
  }
  if (const SourceNode* rate = node.find("rate")) {
    if (auto v = r.rate(*rate, "rate")) {
      load.rate = *v;
    }
  } else {
    r.missing(section.key_pos, "rate", "load");
  }
  bool connections_known = true;  // false when the key was there but wrong
  if (const SourceNode* connections = node.find("connections")) {
    if (auto v = r.integer(*connections, "connections", 1, kMaxConnections)) {
      load.connections = static_cast<int>(*v);
    } else {
      connections_known = false;
    }
  }
  if (const SourceNode* users = node.find("users")) {
    if (auto v = r.integer(*users, "users", 1)) {
      load.users = static_cast<int>(*v);
    }
  }
  if (const SourceNode* timeout = node.find("timeout")) {
    if (auto d = r.duration(*timeout, "timeout", Duration(0), true)) {
      load.timeout = *d;
    }
  }
  read_max_connections(node, r, load, connections_known);
  if (const SourceNode* duration = node.find("duration")) {
    load.duration_pos = duration->pos;
    if (auto d = r.duration(*duration, "duration", Duration(0), true)) {
      load.duration = *d;
      ctx.load_duration = *d;
    }
  } else {
    r.missing(section.key_pos, "duration", "load");
  }
  if (const SourceNode* ramp = node.find("ramp")) {
    if (auto d = r.duration(*ramp, "ramp")) {
      if (ctx.load_duration && *d > *ctx.load_duration) {
        r.diags().error(
            ramp->pos, fmt::format("'ramp' ({}) is longer than the load", format_duration(*d)),
            fmt::format("the ramp is part of load.duration ({})", format_duration(*ctx.load_duration)));
      } else {
        load.ramp = *d;
      }
    }
  }
  read_request_mix(node, r, ctx.source_file, load);
  if (const SourceNode* header = node.find("backend_header")) {
    if (auto h = r.text(*header, "backend_header")) {
      if (!is_header_name(*h)) {
        r.diags().error(header->pos,
                        fmt::format("'backend_header' must be an HTTP header name, not '{}'", *h),
                        "letters, digits and '-', e.g. X-Backend");
      } else {
        load.backend_header = *h;
      }
    }
  }
}

}  // namespace faultline::experiment
