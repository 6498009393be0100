#pragma once

#include <optional>
#include <string>
#include <vector>

#include "faults/common/lb_reconfig.h"
#include "harness/common/result.h"
#include "harness/experiment/model.h"
#include "harness/stack/stack.h"

// Checking a change to a load balancer's config before any run, on this
// host and without namespaces: the config the run would start the load
// balancer with (the stack's own renderer, the plan's addresses, file paths
// in a scratch directory) goes through the change, then through the
// server's check mode. `faultline validate` uses it, so a change the server
// would refuse is reported before a stack is built for it.
namespace faultline::faults {

// A private directory under the system's temp directory, removed with all
// it holds when the object goes.
class ScratchDir {
 public:
  static Result<ScratchDir> make(const std::string& prefix);
  ScratchDir(ScratchDir&& other) noexcept;
  ScratchDir& operator=(ScratchDir&&) = delete;
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir();

  const std::string& path() const { return path_; }

 private:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// The config the stack would write for load balancer `lb` (render_haproxy
// or render_nginx_lb, as NetnsStack does, with the plan's addresses), with
// its pid file, logs and temp folders under `dir` (HAProxy's stats socket,
// which its check does not create, where a run would have it).
Result<std::string> render_lb_config(const experiment::Experiment& exp, const stack::Plan& plan,
                                     const std::string& lb, const std::string& dir);

// run_config_check for a config written for a run's namespace, made on this
// host. HAProxy's check binds nothing. nginx -t binds every listen address,
// which exists only inside the run's namespace; so each `listen` address is
// replaced, on its own line, by a loopback port this process holds during
// the check: nginx in check mode accepts a port in use, so it never listens
// on the host. Everything else is checked as written.
Result<ConfigCheck> check_on_host(experiment::ServiceKind kind, const std::string& text,
                                  const std::string& dir);

// One complaint of a failed check, with the line of the checked config it
// names and without the checker's prefixes ("[ALERT] (pid) : config :
// parsing [file:N] :", "nginx: [emerg]", "in file:N").
struct Complaint {
  std::optional<size_t> line;  // 1-based, in the checked config
  std::string text;
};

// The complaints of `check`, tidied. The checkers' closing summaries
// ("Fatal errors found in configuration.", "... test failed") are left out
// when anything else was said.
std::vector<Complaint> complaints_of(const ConfigCheck& check);

}  // namespace faultline::faults
