#pragma once

#include <optional>
#include <string>
#include <vector>

#include "faults/common/param_table.h"
#include "faults/common/params.h"
#include "harness/common/result.h"
#include "harness/experiment/model.h"
#include "harness/stack/haproxy_conf.h"
#include "harness/stack/nginx_conf.h"
#include "harness/stack/stack.h"

// The load-balancer faults on a team's own config (docs/EXPERIMENT_FORMAT.md,
// "Your own stack"): a step names servers and sections as the team's file
// writes them, which is checked against the file when the step is parsed;
// at inject the fault edits the copy the run made of the file (never the
// file), read here with the parsers of harness/stack.
//
// HAProxy: `backend` is a backend (or listen) section, `server` a server's
// name in it. nginx: `backend` is an upstream block, `server` a server of
// it by the host written in it (`api1` for `server api1:9000;`), or by its
// whole address when two entries share a host.
namespace faultline::faults {

// A server of a team's config, as the file names it.
struct TeamServer {
  std::string backend;  // HAProxy: backend or listen section; nginx: upstream
  std::string server;   // HAProxy: its name; nginx: its host, or its address as written

  // "be_api/api1": how HAProxy's runtime API and the fault's wording name it.
  std::string label() const { return backend + "/" + server; }
};

// The `backend` row of a fault's parameter table; `absent` says in the
// docs what stands without it.
template <class P>
ParamRow<P, std::string> backend_param(std::optional<std::string> P::*member,
                                       std::string absent = "the one holding server") {
  return param(member, "backend", kind::text())
      .absent_means(std::move(absent))
      .doc(
          "on the team's own config only: the backend (nginx: upstream) holding the server, by its name in "
          "the file");
}

// The team's config `lb` runs from; empty when faultline renders it (or
// there is no such service).
std::string team_config_of(const experiment::Service* lb);

// `backend` names a section of a team's config: on a load balancer whose
// config faultline renders (one backend, its servers the stack's services)
// it is an error at its position.
void refuse_backend_param(ParamReader& params, const experiment::Service* lb,
                          const std::optional<std::string>& backend);

// The servers a step names on `lb`, which runs from the team's config:
// `server` (in `backend` when given, else in whichever backend holds it);
// without `server`, every server of `backend`, or of every backend. Each
// problem is an error at the parameter's position that lists what the file
// has; nullopt when there was one.
std::optional<std::vector<TeamServer>> team_servers(ParamReader& params, const experiment::Experiment& exp,
                                                    const experiment::Service& lb,
                                                    const std::optional<std::string>& backend,
                                                    const std::optional<std::string>& server);

// The servers a step names on load balancer `lb`, whichever config it
// runs. Rendered: `server`, which must be a backend service of `lb`, or
// without it every backend service (TeamServer::backend empty); `backend`
// is refused. The team's config: team_servers. nullopt after an error.
std::optional<std::vector<TeamServer>> named_servers(ParamReader& params, const experiment::Experiment& exp,
                                                     const experiment::Service* lb,
                                                     const std::optional<std::string>& backend,
                                                     const std::optional<std::string>& server);

// The backend (nginx: upstream) names of `lb`'s team config that a step
// with `backend` addresses: that one, after checking it exists (an error
// at its position otherwise), or all of them. nullopt after an error.
std::optional<std::vector<std::string>> team_backends(ParamReader& params, const experiment::Experiment& exp,
                                                      const experiment::Service& lb,
                                                      const std::optional<std::string>& backend);

// The section (HAProxy) or block (nginx) of `lb`'s team config that an
// lb_config step's `section` names, as the parsers' selectors write it
// ("frontend fe_main", "location /api"). The rendered stack's words mean
// the same here when the file leaves no doubt: `backend` the one backend
// section (nginx: upstream block), `frontend` the one frontend (nginx:
// server block); nginx also reads `global` as its main context and
// `defaults` as its http block. An error at `section` listing what exists;
// nullopt after it.
std::optional<std::string> team_section(ParamReader& params, const experiment::Experiment& exp,
                                        const experiment::Service& lb, const std::string& section);

// The copy of a team's config a load balancer runs, read for an edit.
// Edits go through the parsers' own edit functions, so each changes only
// the bytes it must; changed_files() is what RunningStack::reload_files
// then writes.
class TeamConfig {
 public:
  // The copy `lb` runs (its config_path and, for nginx, the copies of the
  // files it includes).
  static Result<TeamConfig> load(const stack::ServiceInstance& lb);
  // A copy read from `path` (for tests and parse-time checks).
  static Result<TeamConfig> load(experiment::ServiceKind kind, const std::string& path);

  experiment::ServiceKind kind() const { return kind_; }
  bool is_haproxy() const { return kind_ == experiment::ServiceKind::haproxy; }
  stack::haproxy_conf::Config& haproxy() { return haproxy_; }
  const stack::haproxy_conf::Config& haproxy() const { return haproxy_; }
  stack::nginx_conf::Config& nginx() { return nginx_; }
  const stack::nginx_conf::Config& nginx() const { return nginx_; }

  // The files the edits changed, with their text now.
  std::vector<stack::ConfigFileText> changed_files() const;

 private:
  experiment::ServiceKind kind_ = experiment::ServiceKind::haproxy;
  std::string path_;
  std::string original_;  // HAProxy: the file as read
  stack::haproxy_conf::Config haproxy_;
  stack::nginx_conf::Config nginx_;
};

// The team's file `lb` runs from, read as `kind` reads it, with its paths
// shown relative to the experiment file's folder (as messages name them).
Result<TeamConfig> read_team_config(const experiment::Experiment& exp, const experiment::Service& lb);

// A path as the experiment's author reads it (harness/experiment/model.h).
using experiment::shown_path;

}  // namespace faultline::faults
