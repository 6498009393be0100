#pragma once

#include <optional>
#include <string>
#include <vector>

#include "faults/common/lb_reconfig.h"
#include "faults/common/lb_team_config.h"
#include "harness/common/result.h"

// The edits the load-balancer faults make to the copy of a team's config
// (lb_team_config.h): each goes through harness/stack's parsers, so it
// changes only the words or lines it must and the copy still reads as the
// team wrote it, and each fails, naming what the file has, rather than
// guess at a server or section it cannot find.
namespace faultline::faults {

// `edit` made to a server's line (HAProxy) or upstream entry (nginx): the
// same change edit_server_line makes to a rendered config.
Status edit_team_server(TeamConfig& config, const TeamServer& server, const ServerEdit& edit);

// Where a server sends its traffic now, as its line writes it.
struct TeamAddress {
  std::string prefix;  // HAProxy's family prefix ("ipv4@"); usually empty
  std::string host;    // name or IP (an IPv6 address in brackets)
  std::optional<int> port;
  bool unix_socket = false;
};
Result<TeamAddress> team_server_address(const TeamConfig& config, const TeamServer& server);

// Whether HAProxy checks the server: `check` on its line or on the
// `default-server` line of its backend, and no `no-check`.
bool haproxy_server_checked(const TeamConfig& config, const TeamServer& server);

// HAProxy: `line` replaces each line of the section `selector` whose first
// words are `key` ("timeout queue"), or is added at the section's end when
// it has none.
Status set_in_section(TeamConfig& config, const std::string& selector, const std::string& key,
                      const std::string& line);

// The selector of the HAProxy section holding servers that is named
// `name`: "backend be_api", or "listen stats" for a listen section.
std::string haproxy_backend_selector(const TeamConfig& config, const std::string& name);

// The selectors ("backend be_api", "frontend fe_main", "listen stats") of
// every HAProxy section of `keywords`.
std::vector<std::string> haproxy_sections(const TeamConfig& config, const std::vector<std::string>& keywords);

// nginx: every `name` directive, wherever it is written, takes `args`; the
// `http` block gets one of its own when it has none, so that every server
// and location without one inherits it.
Status set_everywhere(TeamConfig& config, const std::string& name, const std::vector<std::string>& args);

// nginx: the locations of the http context whose proxy_pass names upstream
// `upstream` (a proxy_pass inside an `if` belongs to the location around
// it).
size_t locations_passing_to(const TeamConfig& config, const std::string& upstream);

// nginx: `name` (a proxy_* directive of the http context) takes `args`, as
// written, in each location locations_passing_to counts: replaced where
// the location writes it, else added after its last directive, so that
// only the requests to that upstream see the change. A location nested in
// one of them that passes to another target and does not write `name`
// would inherit the new value, so it first gets the value in force there:
// that of the nearest block around it that writes one, else `inherited`
// (nginx's default). An error when no location passes to the upstream, or
// when a location takes `name` from a file it includes that a location
// passing elsewhere includes too (one edit would change both).
Status set_for_upstream(TeamConfig& config, const std::string& upstream, const std::string& name,
                        const std::vector<std::string>& args, const std::vector<std::string>& inherited);

// nginx: the directives named `names` taken out of upstream `upstream`.
Status remove_from_upstream(TeamConfig& config, const std::string& upstream,
                            const std::vector<std::string>& names);

// Where inserted lines went: lines first..last (1-based, inclusive) of
// `file` as it reads now, so that a checker's complaint about one of them
// can be traced back to the fragment.
struct InsertedLines {
  std::string file;  // HAProxy: the config's file name; nginx: the file's path
  size_t first = 0;
  size_t last = 0;
};

// Adds `fragment` to the section or block `selector` names (HAProxy: at its
// end, where it overrides what the section said; nginx: at its start).
Result<InsertedLines> insert_team_fragment(TeamConfig& config, const std::string& selector,
                                           const std::string& fragment);

}  // namespace faultline::faults
