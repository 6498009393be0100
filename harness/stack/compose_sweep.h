#pragma once

// runtime compose: `faultline cleanup`'s undo of what a killed run left in
// force on the containers of a project it attached to, from the run's undo
// records (compose_undo.h). faultline created none of those containers and
// removes none: each is put back as found. In this order, so that each
// step finds the container able to take it:
//
//   1. a container faultline killed that is not running is started
//      (Engine API); one its restart policy brought back is left as it is;
//   2. a container faultline paused is unpaused;
//   3. in its current network namespace: the nft tables named after the
//      run, the iptables rules carrying its comment, eth0's root qdisc when
//      it is a netem or tbf that was not there before;
//   4. a limit's originals are written back into its current cgroup;
//   5. its config files get their bytes back, and nginx checks and reloads
//      them (the network first: the check resolves upstream names);
//   6. HAProxy's servers get back the weight and forced state they had at
//      attach, where they differ.
//
// Each record is dropped once its undo worked; one that failed stays, and
// so does the run's folder (cleanup.cpp), for another `faultline cleanup`.

#include <string>
#include <vector>

#include "harness/common/result.h"
#include "harness/stack/cleanup.h"
#include "harness/stack/compose_undo.h"

namespace faultline::stack::compose {

// Undoes every change the undo records under `run_dir` hold, on the
// containers of the Docker daemon at `docker_socket`. Each undo is a line
// of report.removed ("run <id>: unpaused container shop-web-1"), each
// failure one of report.errors. True when nothing is left to undo.
bool undo_attached_run(const std::string& run_id, const std::string& run_dir,
                       const std::string& docker_socket, CleanupReport& report);

// What the calling thread's network namespace holds now: recorded when
// faultline first enters a container's.
NetnsFound netns_as_found();

// In the calling thread's network namespace: removes the nft tables whose
// name starts with faultline_<run id>_ (faults/common/nft.h, loss.cpp), the
// iptables rules whose comment is faultline:<run id> (the NFQUEUE rules,
// net_target.h) and an iptables table (ip filter ...) that `before` did not
// have and that holds no rule now, and eth0's root qdisc when it is netem
// or tbf and was not of that kind `before`. One line per thing removed in
// `removed`; the first failure as the error, after trying the rest.
Status remove_run_network_changes(const std::string& run_id, const NetnsFound& before,
                                  std::vector<std::string>& removed);

// Every server's weight in force and forced admin state, through HAProxy's
// runtime API at `socket` (a host path, e.g. /proc/<pid>/root/...): what
// cleanup and teardown put back.
Result<std::vector<ServerSetting>> read_servers(const std::string& socket);
// Sets back, through the runtime API at `socket`, the state and weight of
// each server of `found` whose own differ now; a server no longer there is
// left out. One line per change in `done`; the first failure as the
// error, after trying the rest.
Status put_back_servers(const std::string& socket, const std::vector<ServerSetting>& found,
                        std::vector<std::string>& done);

// Whether an nft table of that name is one of the run's.
bool is_run_table(const std::string& table, const std::string& run_id);

// iptables-restore's input that deletes the rules of `save` (iptables-save's
// output) whose comment is faultline:<run id>, table by table; empty when
// it has none.
std::string delete_run_rules_script(const std::string& save, const std::string& run_id);

}  // namespace faultline::stack::compose
