#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "harness/common/result.h"
#include "harness/experiment/diagnostics.h"
#include "harness/experiment/model.h"

// A team's own haproxy.cfg or nginx.conf, made ready for a run. The team's
// files are never written: faultline runs a copy in the service's run
// folder and changes in it only what a server needs to run as faultline's
// child without touching the host (its sockets, pid file and logs in the
// run folder, no daemon mode), plus, for an nginx load balancer, the log
// faultline counts the backends' shares from. Every change is listed with
// its reason, for `faultline validate`, `faultline plan` and the journal.
//
// Relative paths keep resolving from the team's folder: HAProxy runs with
// that folder as its working directory; nginx's copy sits in a folder that
// mirrors the team's (the files it reads are copies, everything else a
// symbolic link to the team's), which is also its prefix.
namespace faultline::stack {

// One change faultline made to the copy.
struct ConfigChange {
  std::string file;  // the team's file (absolute) the changed copy stands for
  size_t line = 0;   // in the copy of that file
  std::string what;  // the line as it is in the copy
  std::string why;
};

struct OwnConfigCopy {
  experiment::ServiceKind kind = experiment::ServiceKind::haproxy;
  std::string service;
  std::string team_file;  // absolute
  std::string folder;     // the team file's folder
  std::string copy_dir;   // the copy's folder, inside the service's run folder
  std::string main_copy;  // the copy's main file
  // What to write: the copy's files (path -> text, the main file first)
  // and, for nginx, the symbolic links to the rest of the team's folder.
  std::vector<std::pair<std::string, std::string>> files;
  std::vector<std::pair<std::string, std::string>> links;  // link -> target
  std::vector<ConfigChange> changes;
  std::string runtime_socket;  // HAProxy's admin socket (the runtime API)
  std::string upstream_log;    // nginx load balancer: one line per proxied request
  std::string pid_file;
  std::string working_dir;  // where the server starts (HAProxy: the team's folder)
  // Copy path -> the team's file it was made from.
  std::map<std::string, std::string> team_path_of;
};

// The copy of `svc`'s config (svc.own.config) for a server whose files go
// in `service_dir`. `is_balancer`: the service balances load (nginx: the
// upstream log is added).
Result<OwnConfigCopy> prepare_own_config(const experiment::Service& svc, const std::string& service_dir);

// Writes the copy's files and links; the folders they need are made.
Status write_own_config(const OwnConfigCopy& copy);

// A checker's or server's output with every "<copy>:<line>" (and
// "<copy>" line <line>") turned into the team's file and line, so the team
// reads its complaint at its own file. Lines faultline added read as
// "<team file>:<line> (a line faultline added)".
std::string in_team_terms(const OwnConfigCopy& copy, const std::string& text);

// For each line of `copy` (1-based; [0] unused), the line of `original` it
// stands for, 0 for a line faultline added. Both texts differ only by lines
// replaced, added or removed.
std::vector<size_t> align_lines(const std::string& original, const std::string& copy);

// "line 12: stats socket /run/faultline/… (why)" for each change, with the
// team file named relative to `relative_to` when inside it.
std::vector<std::string> describe_changes(const OwnConfigCopy& copy, const std::string& relative_to);

// Everything `faultline validate` checks of the team's own configs before
// anything starts, into `diags` at the team's file:line:column (or at the
// experiment's key): each server of a config is a service of the stack, each
// of `backends` is routed to, the load balancer listens on its `port`, and
// the server's own check mode (`haproxy -c`, `nginx -t`) accepts the copy.
// The check mode needs root (it reads the copy with the stack's names in
// /etc/hosts); without it, or without the server installed, a warning
// says the check was not made. `changes` receives, per service, the lines
// describe_changes gives.
void check_own_configs(const experiment::Experiment& exp, experiment::Diagnostics& diags,
                       std::vector<std::pair<std::string, std::vector<std::string>>>* changes);

}  // namespace faultline::stack
