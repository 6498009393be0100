#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "faults/common/fault_site.h"
#include "faults/common/params.h"
#include "faults/fault.h"
#include "harness/common/result.h"
#include "harness/experiment/model.h"
#include "harness/stack/config_edit.h"
#include "harness/stack/stack.h"

// Changing a load balancer by rewriting its configuration: for nginx (which
// has no runtime API) and for HAProxy settings its runtime API cannot change
// (balance algorithm, timeouts, limits, arbitrary fragments).
//
// Faults edit the LIVE config text (as rendered by harness/stack/render.h,
// plus whatever faults already in force changed), not a fresh rendering, so
// two nested faults on one load balancer compose (health checks off AND a
// wrong backend address); each restores the text it found, which is why
// the runner reverts last in, first out and validate refuses windows that
// cross (Fault::restores). The new
// text is checked by the server's own check mode before anything is
// applied, then reloaded without dropping traffic (RunningStack::reload).
namespace faultline::faults {

// The config-text editing a reconfiguring fault builds on, from
// harness/stack/config_edit.h, under the names the faults use.
using stack::add_to_section;
using stack::check_config_text;
using stack::ConfigCheck;
using stack::insert_in_section;
using stack::nginx_fork_location;
using stack::remove_directives;
using stack::run_config_check;
using stack::SectionInsert;
using stack::set_directive;

// What a fault that rewrites load balancer `lb`'s configuration restores
// (Fault::restores): one name for it, whichever fault rewrites it.
std::string config_state(const std::string& lb);

// The load balancer a fault step targets; null, with an error at the
// target's position, when the target is a plain backend (nginx can be both).
const experiment::Service* lb_target(const experiment::MethodStep& step, const experiment::Experiment& exp,
                                     experiment::Diagnostics& diags);

// Parse-time check that `server` (parameter `param`) names a backend of the
// load balancer `lb`; reports the error at the parameter's position.
void check_backend(ParamReader& params, const std::string& param, const experiment::Service* lb,
                   const std::optional<std::string>& server);

// The config the load balancer runs now.
Result<std::string> current_lb_config(const stack::RunningStack& stack, const std::string& lb);

// Edits one backend's `server` line. nginx: `server <addr>:<port> k=v ...;`
// in the upstream; HAProxy: `server <name> <addr>:<port> k v ...`.
struct ServerEdit {
  std::optional<std::string> address;  // new address (the port stays unless `port` is set)
  std::optional<int> port;
  std::vector<std::pair<std::string, std::string>> set;  // option -> value, replaced or added
  std::vector<std::string> flags;                        // added when absent ("down")
  std::vector<std::string> remove;                       // flags removed ("check")
};
Result<std::string> edit_server_line(const stack::RunningStack& stack, const std::string& lb,
                                     const std::string& text, const std::string& server,
                                     const ServerEdit& edit);

// The directory holding the load balancer's files (config, pid, logs), for
// files a fault adds beside its config (HAProxy Lua scripts).
Result<std::string> lb_dir(const stack::RunningStack& stack, const std::string& lb);

class TeamConfig;  // lb_team_config.h

// Applies a config to a load balancer and puts the one it found back on
// restore. apply() checks the text first and, if the reload fails anyway,
// reloads the previous config before returning the error.
class LbReconfig {
 public:
  explicit LbReconfig(std::string lb) : lb_(std::move(lb)) {}

  Status apply(stack::RunningStack& stack, const std::string& text);
  // apply for a copy of a team's config: the files an edit changed
  // (TeamConfig::changed_files), which RunningStack::reload_files writes,
  // checks where the server runs and reloads. The first text found of each
  // file is what restore puts back, so a fault applied twice, or beside
  // another, restores every file it changed. No files: nothing to do.
  Status apply_files(stack::RunningStack& stack, const std::vector<stack::ConfigFileText>& files);
  // Idempotent: does nothing when nothing was applied.
  Status restore(stack::RunningStack& stack);
  bool applied() const { return original_.has_value() || !original_files_.empty(); }

 private:
  std::string lb_;
  std::optional<std::string> original_;
  std::vector<stack::ConfigFileText> original_files_;  // apply_files: each file as first found
};

// A fault that is one edit of a load balancer's live config: inject reads
// the config the load balancer runs, passes it through edit() and applies
// the result with LbReconfig; revert restores the config found. Subclasses
// say only what the edit is (and their wording and measures).
class ReconfigFault : public Fault {
 public:
  Status inject(stack::RunningStack& stack) override;
  Status revert(stack::RunningStack& stack) override { return reconfig_.restore(stack); }
  // "a rewrite of lb's HAProxy configuration, checked with `haproxy -c`
  // and reloaded ...": the same for every config edit.
  std::string mechanism() const override;
  std::vector<std::string> restores() const override { return {config_state(lb_)}; }

 protected:
  // `fault_type` prefixes the error when the load balancer is missing;
  // `site` is the load balancer's (the step's target); `team_config` the
  // team's file it runs a copy of, empty when faultline renders its config.
  ReconfigFault(std::string fault_type, FaultSite site, std::string team_config = {})
      : fault_type_(std::move(fault_type)),
        site_(std::move(site)),
        lb_(site_.target),
        team_config_(std::move(team_config)),
        reconfig_(lb_) {}

  // The live config `text` of the load balancer (of `kind`) with the fault's
  // change made; an error leaves the load balancer untouched.
  virtual Result<std::string> edit(const stack::RunningStack& stack, experiment::ServiceKind kind,
                                   const std::string& text) const = 0;
  // The same change made to the copy of the team's config the load
  // balancer runs (lb_team_edit.h), for a fault made with `team_config`.
  // A fault that is never made with one keeps this refusal.
  virtual Status edit_team(const stack::RunningStack& stack, TeamConfig& config) const;

  const std::string& lb() const { return lb_; }
  bool on_team_config() const { return !team_config_.empty(); }
  // The load balancer as its measures name it (its kind's settings).
  Balancer balancer() const { return site_.itself(); }

 private:
  std::string fault_type_;
  FaultSite site_;
  std::string lb_;
  std::string team_config_;
  LbReconfig reconfig_;
};

// The mechanism of a rewrite of the copy of a team's config `team_config`
// that load balancer `lb` (of `kind`) runs: what the journal says of every
// reconfiguring fault on such a load balancer.
std::string team_rewrite_mechanism(const std::string& lb, experiment::ServiceKind kind,
                                   const std::string& team_config);

// What every fault on a load balancer needs: root and an HAProxy or nginx
// target.
Needs lb_needs();

}  // namespace faultline::faults
