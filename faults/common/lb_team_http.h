#pragma once

#include <string>
#include <vector>

#include "faults/common/lb_team_config.h"
#include "harness/common/result.h"

// Where the HTTP faults (http_delay, http_abort) go in a team's own config.
// They act on requests as they arrive, whatever path or backend those take,
// so they go where the load enters: every HAProxy frontend or listen
// section, and every nginx server block, that listens on the load
// balancer's port (the port the experiment sends its load to). Sections
// listening elsewhere (a stats page, an admin port) are left alone.
namespace faultline::faults {

// The port load balancer `lb` of the running stack takes the load on.
Result<int> lb_port(const stack::RunningStack& stack, const std::string& lb);

// HAProxy: adds the `http-request` rule `rule` to every frontend or listen
// section with a bind on `port`, before the section's routing (`redirect`,
// `use_backend`, `use-server`, `default_backend`), where rules of its kind
// are read and HAProxy does not warn that it runs before them anyway; at a
// section's end when it has no routing outside `.if` blocks. An error
// naming the binds the file has when none is on `port`.
Status add_http_request_rule(TeamConfig& config, int port, const std::string& rule);

// HAProxy: adds `line` to the global section, or opens a global section for
// it at the file's end when the file has none (HAProxy reads global
// sections wherever they are).
Status add_to_haproxy_global(TeamConfig& config, const std::string& line);

// nginx: inserts `fragment` at the start of every `http` server block
// listening on `port` (a block without `listen` listens on 80, as nginx
// started by root does). An error naming the ports listened on when no
// block is on it.
Status insert_in_entry_servers(TeamConfig& config, int port, const std::string& fragment);

// nginx: whether the config already loads the dynamic module file `module`
// ("ngx_http_echo_module.so"), itself or through a file it includes such as
// Debian's modules-enabled/*.conf: loading it twice is an error.
bool nginx_loads_module(const TeamConfig& config, const std::string& module);

}  // namespace faultline::faults
