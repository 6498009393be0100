#include "faults/common/lb_team_config.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "faults/common/lb_reconfig.h"
#include "harness/common/text.h"
#include "harness/platform/container_files.h"

namespace faultline::faults {

namespace haproxy_conf = stack::haproxy_conf;
namespace nginx_conf = stack::nginx_conf;

namespace {

// "a", "a and b", "a, b and c".
std::string listing(const std::vector<std::string>& items) {
  if (items.size() <= 1) {
    return items.empty() ? std::string() : items.front();
  }
  return fmt::format("{} and {}", fmt::join(items.begin(), items.end() - 1, ", "), items.back());
}

const char* const kServerHint =
    "name a server as the team's file does: HAProxy by the name of its `server` line, nginx by the host "
    "of its `server` entry in an upstream; 'backend' names its backend (nginx: upstream) when the "
    "server's name is not unique";

// The HAProxy servers a step names; errors at `backend` or `server`.
std::optional<std::vector<TeamServer>> haproxy_servers(ParamReader& params,
                                                       const haproxy_conf::Config& config,
                                                       const std::optional<std::string>& backend,
                                                       const std::optional<std::string>& server) {
  const auto all = haproxy_conf::backends(config);
  const auto named = std::find_if(
      all.begin(), all.end(), [&](const haproxy_conf::Backend& b) { return backend && b.name == *backend; });
  if (backend && named == all.end()) {
    // find_server words it, listing the sections there are.
    auto found = haproxy_conf::find_server(config, {backend, server.value_or("")});
    params.error_at("backend", found ? "no such backend" : found.error().message, kServerHint);
    return std::nullopt;
  }
  if (server) {
    auto found = haproxy_conf::find_server(config, {backend, *server});
    if (!found) {
      params.error_at("server", found.error().message, kServerHint);
      return std::nullopt;
    }
    return std::vector<TeamServer>{{found->backend, found->name}};
  }
  std::vector<TeamServer> out;
  for (const auto& be : all) {
    if (backend && be.name != *backend) {
      continue;
    }
    for (const auto& s : be.servers) {
      out.push_back({be.name, s.name});
    }
  }
  if (out.empty()) {
    params.error_at(backend ? "backend" : "server",
                    fmt::format("{}: {} has no server lines", config.file_name,
                                backend ? fmt::format("{} {}", named->keyword, named->name) : "the file"),
                    kServerHint);
    return std::nullopt;
  }
  return out;
}

// How a step names an nginx server entry: its host when no other entry of
// its upstream has that host, else its whole address.
std::string entry_name(const nginx_conf::Upstream& u, const nginx_conf::ServerEntry& e) {
  const auto same_host = std::count_if(u.servers.begin(), u.servers.end(),
                                       [&](const nginx_conf::ServerEntry& o) { return o.host == e.host; });
  return same_host == 1 ? e.host : e.address;
}

// The entries of `u` that `server` names: the one with that address, else
// those with that host.
std::vector<const nginx_conf::ServerEntry*> entries_named(const nginx_conf::Upstream& u,
                                                          const std::string& server) {
  std::vector<const nginx_conf::ServerEntry*> by_host;
  for (const auto& e : u.servers) {
    if (e.address == server) {
      return {&e};
    }
    if (e.host == server) {
      by_host.push_back(&e);
    }
  }
  return by_host;
}

std::optional<std::vector<TeamServer>> nginx_servers(ParamReader& params, const nginx_conf::Config& config,
                                                     const std::string& file,
                                                     const std::optional<std::string>& backend,
                                                     const std::optional<std::string>& server) {
  std::vector<nginx_conf::Upstream> ups = nginx_conf::upstreams(config);
  std::vector<std::string> names;
  for (const auto& u : ups) {
    names.push_back(u.name);
  }
  if (backend) {
    const auto named = std::find_if(ups.begin(), ups.end(),
                                    [&](const nginx_conf::Upstream& u) { return u.name == *backend; });
    if (named == ups.end()) {
      params.error_at(
          "backend",
          fmt::format("{}: no upstream '{}'; {}", file, *backend,
                      names.empty() ? "the file has none" : "its upstreams are " + listing(names)),
          kServerHint);
      return std::nullopt;
    }
    ups = {*named};
  }
  std::vector<TeamServer> out;
  std::vector<std::string> every;
  std::vector<std::string> holders;
  for (const auto& u : ups) {
    if (!server) {
      for (const auto& e : u.servers) {
        out.push_back({u.name, entry_name(u, e)});
      }
      continue;
    }
    const auto found = entries_named(u, *server);
    for (const auto& e : u.servers) {
      every.push_back(backend ? e.address : u.name + "/" + e.address);
    }
    if (found.size() > 1) {
      std::vector<std::string> addresses;
      for (const auto* e : found) {
        addresses.push_back(e->address);
      }
      params.error_at(
          "server",
          fmt::format("{}: upstream {} has {} servers with host '{}' ({}); name one by its address", file,
                      u.name, found.size(), *server, listing(addresses)),
          kServerHint);
      return std::nullopt;
    }
    if (found.size() == 1) {
      out.push_back({u.name, *server});
      holders.push_back(u.name);
    }
  }
  if (server && holders.size() > 1) {
    params.error_at("server",
                    fmt::format("{}: server '{}' is in {} upstreams ({}); name the backend as well", file,
                                *server, holders.size(), listing(holders)),
                    kServerHint);
    return std::nullopt;
  }
  if (out.empty()) {
    const std::string where = backend ? fmt::format("upstream {}", *backend) : "the file";
    if (server) {
      params.error_at(
          "server",
          fmt::format("{}: {} has no server '{}'; {}", file, where, *server,
                      every.empty() ? "it has no server entries" : "the servers are " + listing(every)),
          kServerHint);
    } else {
      params.error_at(backend ? "backend" : "server",
                      fmt::format("{}: {} has no server entries", file, where), kServerHint);
    }
    return std::nullopt;
  }
  return out;
}

}  // namespace

std::string team_config_of(const experiment::Service* lb) {
  return lb != nullptr && lb->has_own_config() ? lb->own.config : std::string();
}

void refuse_backend_param(ParamReader& params, const experiment::Service* lb,
                          const std::optional<std::string>& backend) {
  if (!backend || lb == nullptr || lb->has_own_config()) {
    return;
  }
  params.error_at(
      "backend",
      fmt::format("'backend' names a backend of a team's own config, and {}'s config is rendered by "
                  "faultline (one backend, whose servers are the stack's services)",
                  lb->name),
      "leave 'backend' out: 'server' alone names the backend service");
}

Result<TeamConfig> TeamConfig::load(experiment::ServiceKind kind, const std::string& path) {
  TeamConfig out;
  out.kind_ = kind;
  out.path_ = path;
  // An attached container's file is read in its own root (its links stay
  // there), as the server reads it.
  if (!platform::is_regular_file_confined(path)) {
    return Error{fmt::format("no such config file: {}", path)};
  }
  if (kind == experiment::ServiceKind::haproxy) {
    out.original_ = platform::read_confined(path).value_or("");
    auto parsed = haproxy_conf::parse(out.original_, path);
    if (!parsed) {
      return parsed.error();
    }
    out.haproxy_ = std::move(*parsed);
    return out;
  }
  if (kind == experiment::ServiceKind::nginx) {
    auto loaded = nginx_conf::load(path);
    if (!loaded) {
      return loaded.error();
    }
    out.nginx_ = std::move(*loaded);
    return out;
  }
  return Error{fmt::format("{} is not an HAProxy or nginx config", path)};
}

Result<TeamConfig> TeamConfig::load(const stack::ServiceInstance& lb) {
  if (lb.team_config.empty() || lb.config_path.empty()) {
    return Error{fmt::format("{} does not run from a copy of a team's config", lb.planned.name)};
  }
  return load(lb.planned.kind, lb.config_path);
}

std::vector<stack::ConfigFileText> TeamConfig::changed_files() const {
  std::vector<stack::ConfigFileText> out;
  if (is_haproxy()) {
    std::string text = haproxy_conf::to_text(haproxy_);
    if (text != original_) {
      out.push_back({path_, std::move(text)});
    }
    return out;
  }
  for (const auto& f : nginx_.files) {
    if (f.edited()) {
      out.push_back({f.path, f.text});
    }
  }
  return out;
}

Result<TeamConfig> read_team_config(const experiment::Experiment& exp, const experiment::Service& lb) {
  auto config = TeamConfig::load(lb.kind, lb.own.config);
  if (config && config->is_haproxy()) {
    // Messages name the file as the experiment's author reads its path.
    config->haproxy().file_name = shown_path(exp, lb.own.config);
  }
  return config;
}

std::optional<std::vector<TeamServer>> team_servers(ParamReader& params, const experiment::Experiment& exp,
                                                    const experiment::Service& lb,
                                                    const std::optional<std::string>& backend,
                                                    const std::optional<std::string>& server) {
  auto config = read_team_config(exp, lb);
  if (!config) {
    params.error_at(server || !backend ? "server" : "backend",
                    fmt::format("the servers named cannot be checked against {}'s config: {}", lb.name,
                                config.error().message),
                    "faultline validate reports what is wrong with the file");
    return std::nullopt;
  }
  if (config->is_haproxy()) {
    return haproxy_servers(params, config->haproxy(), backend, server);
  }
  return nginx_servers(params, config->nginx(), shown_path(exp, lb.own.config), backend, server);
}

std::optional<std::vector<TeamServer>> named_servers(ParamReader& params, const experiment::Experiment& exp,
                                                     const experiment::Service* lb,
                                                     const std::optional<std::string>& backend,
                                                     const std::optional<std::string>& server) {
  if (lb != nullptr && lb->has_own_config()) {
    return team_servers(params, exp, *lb, backend, server);
  }
  check_backend(params, "server", lb, server);
  refuse_backend_param(params, lb, backend);
  if (!params.ok() || lb == nullptr) {
    return std::nullopt;
  }
  std::vector<TeamServer> out;
  for (const auto& name : server ? std::vector<std::string>{*server} : lb->backends) {
    out.push_back({{}, name});
  }
  return out;
}

namespace {

const char* const kSectionHint =
    "on the team's own config, 'section' names a section or block as the file has it: \"frontend fe_main\", "
    "\"backend be_api\", \"global\" (HAProxy); \"http\", \"upstream be_api\", \"server :8080\", "
    "\"location /api\" (nginx)";

// The one of `candidates` (each a `what`) that the bare section keyword
// `word` means; an error at `section` when there is not exactly one.
std::optional<std::string> the_only(ParamReader& params, const std::string& file, const std::string& word,
                                    const std::string& what, const std::vector<std::string>& candidates) {
  if (candidates.size() == 1) {
    return candidates.front();
  }
  params.error_at("section",
                  candidates.empty()
                      ? fmt::format("{}: the file has no {} for '{}' to name", file, what, word)
                      : fmt::format("{}: '{}' could be any of {}; name one", file, word, listing(candidates)),
                  kSectionHint);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> team_section(ParamReader& params, const experiment::Experiment& exp,
                                        const experiment::Service& lb, const std::string& section) {
  auto config = read_team_config(exp, lb);
  if (!config) {
    params.error_at(
        "section",
        fmt::format("the section cannot be checked against {}'s config: {}", lb.name, config.error().message),
        "faultline validate reports what is wrong with the file");
    return std::nullopt;
  }
  const std::string file = shown_path(exp, lb.own.config);
  const auto words = split_words(section);
  const std::string selector = fmt::format("{}", fmt::join(words, " "));
  if (config->is_haproxy()) {
    const auto& c = config->haproxy();
    if (words.size() == 1 && words[0] != "global" && words[0] != "defaults") {
      std::vector<std::string> candidates;
      for (const auto& s : c.sections) {
        if (s.keyword == words[0]) {
          candidates.push_back(s.selector());
        }
      }
      return the_only(params, file, words[0], words[0] + " section", candidates);
    }
    if (auto found = haproxy_conf::find_section(c, selector); !found) {
      params.error_at("section", found.error().message, kSectionHint);
      return std::nullopt;
    }
    return selector;
  }
  const auto& c = config->nginx();
  if (selector == "global") {
    return std::string("main");
  }
  if (selector == "defaults") {
    return std::string("http");
  }
  if (selector == "frontend" || selector == "backend") {
    std::vector<std::string> candidates;
    if (selector == "backend") {
      for (const auto& u : nginx_conf::upstreams(c)) {
        candidates.push_back("upstream " + u.name);
      }
    } else {
      for (const auto& b : nginx_conf::server_blocks(c)) {
        candidates.push_back(b.listens.empty() || !b.listens.front().port
                                 ? std::string("server")
                                 : fmt::format("server :{}", *b.listens.front().port));
      }
    }
    // `server` alone is the first server block, which is the only one here.
    if (candidates.size() == 1 && selector == "frontend") {
      return std::string("server");
    }
    return the_only(params, file, selector, selector == "backend" ? "upstream block" : "server block",
                    candidates);
  }
  const auto all = nginx_conf::selectors(c);
  if (std::find(all.begin(), all.end(), selector) == all.end()) {
    params.error_at("section", fmt::format("{}: no block \"{}\"; it has {}", file, selector, listing(all)),
                    kSectionHint);
    return std::nullopt;
  }
  return selector;
}

std::optional<std::vector<std::string>> team_backends(ParamReader& params, const experiment::Experiment& exp,
                                                      const experiment::Service& lb,
                                                      const std::optional<std::string>& backend) {
  auto config = read_team_config(exp, lb);
  if (!config) {
    params.error_at("backend",
                    fmt::format("the backends cannot be checked against {}'s config: {}", lb.name,
                                config.error().message),
                    "faultline validate reports what is wrong with the file");
    return std::nullopt;
  }
  std::vector<std::string> names;
  std::vector<std::string> shown;
  if (config->is_haproxy()) {
    for (const auto& be : haproxy_conf::backends(config->haproxy())) {
      names.push_back(be.name);
      shown.push_back(be.keyword + " " + be.name);
    }
  } else {
    for (const auto& u : nginx_conf::upstreams(config->nginx())) {
      names.push_back(u.name);
      shown.push_back("upstream " + u.name);
    }
  }
  const std::string file = shown_path(exp, lb.own.config);
  if (names.empty()) {
    params.error_at("backend",
                    fmt::format("{}: the file has no {}", file,
                                config->is_haproxy() ? "backend or listen section" : "upstream block"));
    return std::nullopt;
  }
  if (!backend) {
    return names;
  }
  if (std::find(names.begin(), names.end(), *backend) == names.end()) {
    params.error_at("backend", fmt::format("{}: no {} '{}'; it has {}", file,
                                           config->is_haproxy() ? "backend or listen section" : "upstream",
                                           *backend, listing(shown)));
    return std::nullopt;
  }
  return std::vector<std::string>{*backend};
}

}  // namespace faultline::faults
