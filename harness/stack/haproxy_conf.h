#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/common/result.h"

// A team's own haproxy.cfg, for faultline's "your own stack": the file is
// read as HAProxy 2.6 reads it (its configuration manual, sections 2.1 to
// 2.4), its servers are found by the names written in it, and a copy is
// edited where HAProxy's runtime API cannot change something.
//
// Every line is kept exactly as written, so an unedited config writes back
// byte for byte and an edit changes only the lines it touches. Environment
// variables are not expanded (the values are the ones of the process that
// will run the copy, not faultline's): a word keeps each reference as
// written ("${API_HOST}") and lists the names it uses. Conditional blocks
// (.if/.elif/.else/.endif) cannot be evaluated for the same reason; every
// branch is read, and a line knows how many blocks it sits in.
namespace faultline::stack::haproxy_conf {

// One word of a statement, as HAProxy's tokenizer cuts it.
struct Word {
  // Quotes removed and escapes resolved; environment variable references
  // (only those inside double quotes are references) kept as written.
  std::string text;
  size_t column = 0;                   // 1-based byte column of its first character (an opening quote)
  size_t length = 0;                   // bytes it spans as written, quotes and backslashes included
  std::vector<std::string> variables;  // the environment variables it references
};

enum class LineKind {
  blank,      // nothing but spaces
  comment,    // nothing before a '#'
  statement,  // a keyword and its arguments
  condition,  // .if .elif .else .endif .notice .warning .alert .diag
  scope,      // "[name]": HAProxy's scope marker, not tokenized
};

struct Line {
  size_t number = 0;   // 1-based
  std::string text;    // without its line ending
  std::string ending;  // "\n" or "\r\n"
  LineKind kind = LineKind::blank;
  std::vector<Word> words;     // empty unless a statement or condition
  int section = -1;            // index into Config::sections; -1 before the first
  size_t condition_depth = 0;  // the .if blocks it sits in

  // The statement's first word ("" when it has none).
  const std::string& keyword() const;
  // Its words from `from` on, as text.
  std::vector<std::string> args(size_t from = 1) const;
  // Its leading spaces and tabs.
  std::string indent() const;
};

struct Section {
  std::string keyword;             // "global", "backend", ...
  std::string name;                // "be_api"; empty for global and an unnamed defaults
  std::string from;                // the defaults section named by "from NAME" on a proxy's line
  size_t first_line = 0;           // the keyword's line
  size_t last_line = 0;            // the line before the next section's keyword, or the file's last
  size_t last_statement_line = 0;  // its last line with words (first_line when it has none)

  // "backend be_api", "global": how edits address a section.
  std::string selector() const;
};

struct Config {
  std::string file_name;
  std::vector<Line> lines;
  std::vector<Section> sections;

  // Line `number` (1-based); the caller checks the range.
  const Line& line(size_t number) const { return lines.at(number - 1); }
};

// The section keywords of HAProxy 2.6 (REGISTER_CONFIG_SECTION in its
// sources): a statement starting with one of them opens a new section.
const std::vector<std::string>& section_keywords();

// Reads a config. Errors name file:line:column and say how to fix it: an
// unterminated quote, a malformed variable reference or \x escape, a
// statement before any section, a `server` line outside a backend or listen
// section (or a peers or ring section, where HAProxy takes them too) or
// without an address, a proxy without a name or with the name of another,
// unbalanced .if blocks, a last line without its newline (HAProxy 2.6
// refuses the file).
Result<Config> parse(const std::string& text, const std::string& file_name);

// The config as text: byte for byte what was parsed when nothing was edited.
std::string to_text(const Config& config);

// --- Queries ---------------------------------------------------------------

// An address as HAProxy splits it (its manual, section 11): an optional
// family prefix, then a Unix socket path or a host and an optional port.
struct Address {
  std::string prefix;            // "ipv4@", "unix@"...; empty when none
  std::string host;              // name or IP (IPv6 without its brackets), or the socket path
  std::string port_text;         // what follows the last colon: "9000", "8000-8010", "+1000"
  std::optional<int> port;       // a plain port, or a range's first
  std::optional<int> port_last;  // a range's last
  bool unix_path = false;        // a path in the filesystem (starts with '/', or unix@)
};
Address split_address(const std::string& address);

struct Server {
  std::string backend;
  std::string name;
  std::string address;  // as written (unquoted)
  std::string host;
  std::optional<int> port;
  std::vector<std::string> options;  // the words after the address: check, weight, 10...
  bool uses_variables = false;       // the address references environment variables
  size_t line = 0;
};

// A `server-template` line: servers named prefix1..prefixN from one DNS name.
struct ServerTemplate {
  std::string backend;
  std::string prefix;
  std::string count;    // "3" or "1-3", as written
  std::string address;  // the FQDN and port, as written
  size_t line = 0;
};

struct Backend {
  std::string keyword;  // "backend" or "listen"
  std::string name;
  size_t line = 0;
  std::vector<std::string> default_server;  // the words of its last `default-server` line
  std::vector<Server> servers;
  std::vector<ServerTemplate> templates;
};

// Sections `backend` and `listen`, in file order, with their servers.
std::vector<Backend> backends(const Config& config);

// A server by name, in `backend` (a backend or listen section) or, when
// none is given, in whichever backend holds that name. Errors list what
// exists: the backends when `backend` is unknown, the servers when the
// name is missing, the backends holding the name when it is not unique.
struct ServerRef {
  std::optional<std::string> backend;
  std::string server;
};
Result<Server> find_server(const Config& config, const ServerRef& ref);

// One listening address of a `bind` line ("bind :80,:81" gives two).
struct Bind {
  std::string address;  // as written
  std::string host;     // "" for ":8080", "*", an IP, or a socket path
  std::optional<int> port;
  std::optional<int> port_last;  // a range's last port
  size_t line = 0;
};

// A `use_backend` rule.
struct Route {
  std::string backend;    // the target as written
  std::string condition;  // "if is_api", "if { path_beg /static }"; empty when unconditional
  bool dynamic = false;   // a log-format name ("%[...]"), known only per request
  size_t line = 0;
};

struct Frontend {
  std::string keyword;  // "frontend" or "listen"
  std::string name;
  size_t line = 0;
  std::vector<Bind> binds;
  std::optional<std::string> default_backend;
  size_t default_backend_line = 0;
  bool default_backend_inherited = false;  // from the defaults section the proxy uses
  std::vector<Route> routes;

  // The backends routing reaches: the static `use_backend` targets, then
  // the default backend, each once.
  std::vector<std::string> reached_backends() const;
};

// Sections `frontend` and `listen`, in file order.
std::vector<Frontend> frontends(const Config& config);

// A `stats socket` line of a global section.
struct StatsSocket {
  std::string address;  // as written: "/run/haproxy/admin.sock", "ipv4@127.0.0.1:9999"
  std::string path;     // the socket's path when a Unix socket; else empty
  std::string level;    // "user", "operator" (HAProxy's default) or "admin"
  size_t line = 0;
};
std::vector<StatsSocket> stats_sockets(const Config& config);

// A global keyword with one value (`pidfile`, `chroot`): its last line wins.
struct Setting {
  std::string value;
  size_t line = 0;
};
std::optional<Setting> pidfile(const Config& config);

// How HAProxy would detach: `daemon` forks into the background,
// `master-worker` keeps a master over its workers. 0: not set.
struct ProcessMode {
  size_t daemon_line = 0;
  size_t master_worker_line = 0;
};
ProcessMode process_mode(const Config& config);

std::vector<ServerTemplate> server_templates(const Config& config);

// faultline maps servers to stack services by the names written in the
// file, which a server-template does not write: an error naming each
// template line (with how to write it out) when the config has any.
Status check_server_templates(const Config& config);

// --- Edits -----------------------------------------------------------------
// Each edit returns the new config (parsed again, so an edit that breaks the
// file is an error) and the lines it wrote, numbered in the new text.

struct LineRange {
  size_t first = 0;
  size_t last = 0;  // inclusive
};

struct Edit {
  Config config;
  LineRange lines;
};

// The section a selector names: "global", "defaults" (the first one),
// "defaults NAME", "frontend fe_main", "backend be_api", "listen stats", or
// any other section keyword and name. An unknown selector is an error
// listing the sections that exist.
Result<size_t> find_section(const Config& config, const std::string& selector);

// Replaces line `line` with `text` (one line, no newline), keeping its ending.
Result<Edit> replace_line(const Config& config, size_t line, const std::string& text);

// Removes line `line`. A section's keyword line cannot be removed (its lines
// would fall to the section before).
Result<Config> remove_line(const Config& config, size_t line);

// Adds `fragment` (one or more statements) after the last statement of the
// section `selector` names, each line indented like that section's lines.
// The fragment may not open a section of its own.
Result<Edit> insert_in_section(const Config& config, const std::string& selector,
                               const std::string& fragment);

// Adds `fragment` (statements, as for insert_in_section) on the lines
// before line `line`, a statement of a section other than its keyword
// line, indented like that section's lines: for a rule that must come
// before another (an `http-request` before the `use_backend` rules, which
// HAProxy warns about otherwise).
Result<Edit> insert_before_line(const Config& config, size_t line, const std::string& fragment);

// Adds `fragment`, which opens a section of its own ("backend be_extra" and
// its lines), at the end of the file, after a blank line.
Result<Edit> append_section(const Config& config, const std::string& fragment);

// Server lines, changed word by word: the rest of the line (spacing,
// comments, other options) stays as written.
// The address ("host:port").
Result<Edit> set_server_address(const Config& config, const ServerRef& ref, const std::string& address);
// An option with a value ("weight" "5"): replaced where it is, else added.
Result<Edit> set_server_option(const Config& config, const ServerRef& ref, const std::string& option,
                               const std::string& value);
// A flag ("disabled", "backup"): added unless the line has it already.
Result<Edit> add_server_flag(const Config& config, const ServerRef& ref, const std::string& flag);
// A flag ("check"), or an option with its value ("weight"), removed.
Result<Edit> remove_server_option(const Config& config, const ServerRef& ref, const std::string& option);

// --- The copy faultline runs ---------------------------------------------

// One change prepare_for_run made to the copy.
struct RunChange {
  std::string what;  // "stats socket /run/haproxy/admin.sock -> /run/faultline/r1/admin.sock"
  std::string why;
  size_t line = 0;           // in the copy
  size_t original_line = 0;  // in the team's file; 0 for an added line
};

struct RunCopy {
  std::string text;
  std::vector<RunChange> changes;
  std::string runtime_socket;  // the `level admin` socket faultline talks to
};

// What the copy needs so that HAProxy runs as faultline's child in a
// namespace without touching the host: every Unix `stats socket` moved into
// `run_dir` (the first with `level admin` is the runtime API; without one,
// `stats socket <run_dir>/admin.sock mode 600 level admin expose-fd
// listeners` is added), the `pidfile` pointed into `run_dir` (added when
// absent), `daemon` and `chroot` commented out, and every `log` line whose
// target is a Unix socket (`/dev/log`: the host's syslog) sent to `stdout`
// instead, with `format raw` unless it names a format. The runtime API
// socket gets `expose-fd listeners` when it lacks it, so that a reload
// (haproxy -x) takes the old process's listening sockets over rather than
// binding beside them. An error when a socket path would be too long for
// HAProxy to bind.
Result<RunCopy> prepare_for_run(const Config& config, const std::string& run_dir);

}  // namespace faultline::stack::haproxy_conf
