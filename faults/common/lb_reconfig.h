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
#include "harness/stack/stack.h"

// Changing a load balancer by rewriting its configuration: for nginx (which
// has no runtime API) and for HAProxy settings its runtime API cannot change
// (balance algorithm, timeouts, limits, arbitrary fragments).
//
// Faults edit the LIVE config text (as rendered by harness/stack/render.h,
// plus whatever faults already in force changed), not a fresh rendering, so
// two overlapping faults on one load balancer compose (health checks off
// AND a wrong backend address); each restores the text it found. The new
// text is checked by the server's own check mode before anything is
// applied, then reloaded without dropping traffic (RunningStack::reload).
namespace faultline::faults {

// The lines of a config text or a server's output, without their newlines.
std::vector<std::string> split_lines(const std::string& text);

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

// What a server's check mode said about a config.
struct ConfigCheck {
  std::string checker;    // "haproxy -c" or "nginx -t"
  std::string candidate;  // the file it read (removed once the check is done)
  bool passed = false;
  // What it complained about, one line each: HAProxy's [ALERT] lines,
  // nginx's [emerg] lines (their notices and warnings would only bury
  // them), else every line it printed.
  std::vector<std::string> complaints;
};

// Runs `nginx -t` / `haproxy -c` on `text`, written to a candidate file in
// `dir`. An error only when the check cannot run at all (the server is not
// installed, `dir` is not writable). nginx -t binds the listen addresses,
// so call it inside the load balancer's namespace.
Result<ConfigCheck> run_config_check(experiment::ServiceKind kind, const std::string& text,
                                     const std::string& dir);

// run_config_check as a Status: the error carries the server's complaint.
Status check_config_text(experiment::ServiceKind kind, const std::string& text, const std::string& dir);

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

// Inserts `fragment` into a section of a config. HAProxy: global, defaults,
// frontend, backend (at the section's end, where it overrides). nginx:
// global (main context), defaults (http block), frontend (server block),
// backend (upstream block), at the block's start.
Result<std::string> add_to_section(experiment::ServiceKind kind, const std::string& text,
                                   const std::string& section, const std::string& fragment);

// add_to_section, also saying where the fragment went: its line k (1-based)
// is line first_line + k of the new text (1-based), so a checker's
// complaint about a line of the config can be traced to the fragment.
struct SectionInsert {
  std::string text;
  size_t first_line = 0;  // lines of the config before the fragment's first
  size_t line_count = 0;  // the fragment's lines
};
Result<SectionInsert> insert_in_section(experiment::ServiceKind kind, const std::string& text,
                                        const std::string& section, const std::string& fragment);

// Replaces every line whose first word is `key` (HAProxy: inside `section`
// only; nginx: anywhere) with `line`, or adds `line` to the section when
// there is none. `key` may hold two words ("timeout connect").
Result<std::string> set_directive(experiment::ServiceKind kind, const std::string& text,
                                  const std::string& section, const std::string& key,
                                  const std::string& line);

// Removes every line whose first word is one of `keys` (nginx balancing
// directives before another is set).
std::string remove_directives(const std::string& text, const std::vector<std::string>& keys);

// nginx: puts `head_lines` at the start of the `location <path>` block and
// adds, after that block, `location <named>` holding a copy of what the
// block held before, so that a rule in the head (an `if` that sleeps, then
// jumps) can hand the request on to exactly the proxying it would have had.
Result<std::string> nginx_fork_location(const std::string& text, const std::string& path,
                                        const std::vector<std::string>& head_lines, const std::string& named);

// The directory holding the load balancer's files (config, pid, logs), for
// files a fault adds beside its config (HAProxy Lua scripts).
Result<std::string> lb_dir(const stack::RunningStack& stack, const std::string& lb);

// Applies a config to a load balancer and puts the one it found back on
// restore. apply() checks the text first and, if the reload fails anyway,
// reloads the previous config before returning the error.
class LbReconfig {
 public:
  explicit LbReconfig(std::string lb) : lb_(std::move(lb)) {}

  Status apply(stack::RunningStack& stack, const std::string& text);
  // Idempotent: does nothing when nothing was applied.
  Status restore(stack::RunningStack& stack);
  bool applied() const { return original_.has_value(); }

 private:
  std::string lb_;
  std::optional<std::string> original_;
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

 protected:
  // `fault_type` prefixes the error when the load balancer is missing;
  // `site` is the load balancer's (the step's target).
  ReconfigFault(std::string fault_type, FaultSite site)
      : fault_type_(std::move(fault_type)), site_(std::move(site)), lb_(site_.target), reconfig_(lb_) {}

  // The live config `text` of the load balancer (of `kind`) with the fault's
  // change made; an error leaves the load balancer untouched.
  virtual Result<std::string> edit(const stack::RunningStack& stack, experiment::ServiceKind kind,
                                   const std::string& text) const = 0;

  const std::string& lb() const { return lb_; }
  // The load balancer as its measures name it (its kind's settings).
  Balancer balancer() const { return site_.itself(); }

 private:
  std::string fault_type_;
  FaultSite site_;
  std::string lb_;
  LbReconfig reconfig_;
};

// What every fault on a load balancer needs: root and an HAProxy or nginx
// target.
Needs lb_needs();

}  // namespace faultline::faults
