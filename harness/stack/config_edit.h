#pragma once

#include <string>
#include <vector>

#include "harness/common/result.h"
#include "harness/experiment/model.h"

// Editing HAProxy and nginx config text, beside the renderers that write it
// (render_haproxy.cpp, render_nginx.cpp): a load-balancer fault rewrites the
// config the server runs now, and the server's own check mode judges the
// result before anything is reloaded.
namespace faultline::stack {

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

// What made a check fail, from what the checker printed (`output`):
// HAProxy's [ALERT] lines, nginx's [emerg] lines, else every line.
std::vector<std::string> config_check_complaints(experiment::ServiceKind kind, const std::string& output);

// "<checker> rejected the configuration: <complaints, one a line>", or
// "(no output)" for none: how every check's refusal reads.
std::string rejection(const std::string& checker, const std::vector<std::string>& complaints);

// run_config_check as a Status: the error carries the server's complaint.
Status check_config_text(experiment::ServiceKind kind, const std::string& text, const std::string& dir);

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

}  // namespace faultline::stack
