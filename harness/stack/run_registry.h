#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "harness/common/result.h"
#include "harness/stack/stack.h"

// The run registry: one directory per live run (default /run/faultline/<id>),
// holding who owns the run and what it has created, so that `faultline
// cleanup` can remove what a killed run left and never touch a live one.
//
//   <base>/<id>/owner.pid   pid of the faultline process that owns the run
//   <base>/<id>/owner.start its start time (clock ticks since boot), so a
//                           reused pid is not mistaken for the owner
//   <base>/<id>/manifest    one "<kind> <name>" line per resource, written
//                           before the resource is created
//   <base>/<id>/<service>/  that service's configs, logs, sockets
namespace faultline::stack {

inline constexpr const char* kDefaultRegistryDir = "/run/faultline";

// Picks a fresh run id (no registry entry, no link or namespace using it)
// and creates base_dir/<id>/ with the owner files, atomically: a directory
// named after a run id always has its owner recorded.
Result<RunIdentity> create_run(const std::string& base_dir = kDefaultRegistryDir);

// Removes the run's directory (after teardown).
void release_run(const RunIdentity& id);

struct ResourceRecord {
  std::string kind;  // "bridge", "link", "netns", "subnet", "iptables" (<chain>/<bridge>)
  std::string name;
};

// Appends to the manifest. Resources are recorded before they are created:
// a crash in between leaves a record of something absent, never the reverse.
Status record_resource(const RunIdentity& id, const std::string& kind, const std::string& name);
std::vector<ResourceRecord> read_manifest(const std::string& run_dir);

// make_plan for a run, with its subnet recorded in the manifest, under a
// lock of the registry (the parent of id.run_dir): the next run planning
// sees the subnet taken even before its bridge exists. Every runtime that
// makes a bridge for the plan's subnet plans through this.
Result<Plan> plan_run(const experiment::Experiment& exp, const RunIdentity& id);

struct RunEntry {
  std::string run_id;
  std::string run_dir;
  pid_t owner = -1;
  bool owner_alive = false;
  std::vector<ResourceRecord> resources;
};

// Every run directory under base_dir (entries whose name is not a run id
// are ignored).
std::vector<RunEntry> list_runs(const std::string& base_dir = kDefaultRegistryDir);

// "<pid>:<start time>" of this process. Written into the alias of every link
// a run creates, so a run's owner can be found from the links alone (e.g.
// when its registry is in another base directory).
std::string owner_token();
// Whether the process a token names is still the same running process.
bool owner_token_alive(const std::string& token);
// Alias text for a run's links, and the reverse.
std::string link_alias(const std::string& run_id);
std::string owner_token_of_alias(const std::string& alias, const std::string& run_id);

}  // namespace faultline::stack
