#pragma once

// A team's own nginx configuration, read as nginx reads it and written back
// as the team wrote it.
//
// faultline's "your own stack" runs a copy of the team's nginx.conf, and its
// load-balancer faults edit the named `upstream`, `server` and `location`
// blocks of that copy. The team will diff the copy against their file when a
// fault surprises them, so the copy must differ only where a fault edited
// it: no reformatting, no comment lost, no quoting changed. That is why the
// model keeps every file's text and, for every word of every directive, the
// byte range it came from. Reading is nginx's grammar; writing is splicing
// new bytes into those ranges, never printing the tree.
//
// The model: a Config is the main file and every file it includes,
// transitively, each a File holding its path, its text and its top-level
// directives. A Directive is a name and arguments (as nginx reads them:
// quotes removed, escapes resolved), ended by `;` or followed by a block of
// child directives. An `include` stays a directive of the file it is
// written in and names the files it brought in; the walks below read
// through it, as nginx does, so a `server` block in conf.d/shop.conf is a
// child of the `http` block that includes it.
//
// Every edit re-reads the edited text, so what a query returned before an
// edit (the Directive pointers in particular) is stale after it.
//
// Files: nginx_conf_lex.cpp (words), nginx_conf_parse.cpp (directives and
// blocks), nginx_conf_load.cpp (files and includes), nginx_conf_query.cpp
// (walks and queries), nginx_conf_edit.cpp and nginx_conf_insert.cpp
// (edits).

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/result.h"

namespace faultline::stack::nginx_conf {

// Bytes [begin, end) of one file's text.
struct Span {
  size_t begin = 0;
  size_t end = 0;
};

// 1-based line and column; the column counts bytes, a tab is one.
struct Position {
  size_t line = 0;
  size_t column = 0;
};

// One word of a directive: its value as nginx reads it, and where it is
// written (quotes included in `raw`).
struct Word {
  std::string value;
  Span raw;
  Position at;
};

struct Directive {
  size_t file = 0;  // index in Config::files
  Word name;
  std::vector<Word> args;
  // From the name's first byte to the `;` or the block's `}`, inclusive.
  Span span;
  bool has_block = false;
  Span block;  // `{` to `}`, inclusive
  std::vector<Directive> children;
  // An `include`: the files it brought in (indexes in Config::files), in
  // the order nginx reads them.
  std::vector<size_t> included;

  const std::string& arg(size_t i) const;  // empty when there is no i-th
  std::vector<std::string> values() const;
};

struct File {
  std::string path;      // absolute; parse_text: the name it was given
  std::string relative;  // to the main file's folder; empty when outside it
  std::string original;  // as read
  std::string text;      // now: `original` until an edit changes it
  std::vector<Directive> directives;

  // How messages name the file: `relative` when it has one.
  const std::string& label() const { return relative.empty() ? path : relative; }
  bool edited() const { return text != original; }
};

struct Config {
  std::vector<File> files;  // files[0] is the main file
  // nginx's conf prefix: the main file's folder, from which relative
  // include paths resolve. Empty for parse_text.
  std::string folder;
  bool follows_includes = true;

  // By absolute path or by path relative to `folder`; null when the config
  // has no such file.
  const File* find_file(const std::string& path) const;
  // The file's text now; empty when the config has no such file.
  std::string text(const std::string& path) const;
};

// The main file and everything it includes. Relative include paths resolve
// from the main file's folder (nginx's conf prefix when started with -c);
// a glob's matches are read in byte order, as glob(3) sorts them in nginx's
// C locale. An error names file:line:column and what would fix it.
Result<Config> load(const std::string& main_path);
// Config text held in memory; its `include`s are kept but not followed.
Result<Config> parse_text(const std::string& text, const std::string& name = "nginx.conf");

// "conf.d/shop.conf:12:5": where a directive is written.
std::string where(const Config& config, const Directive& d);

// --- Walks (through includes) ---

// Every directive in nginx's reading order with the blocks around it,
// outermost first. An `include` is visited, then what it brought in, which
// sits in the blocks around the include.
using Visitor = std::function<void(const Directive& d, const std::vector<const Directive*>& blocks)>;
void walk(const Config& config, const Visitor& visit);
// The main context's directives, and a block's children, with every
// `include` replaced by what it brought in.
std::vector<const Directive*> top_level(const Config& config);
std::vector<const Directive*> children(const Config& config, const Directive& block);

// --- Queries ---

// A `server` entry of an `upstream` block.
struct ServerEntry {
  const Directive* directive = nullptr;
  std::string upstream;
  std::string address;  // as written: "api1:9000", "unix:/run/api.sock"
  std::string host;     // "api1"; "[::1]" keeps its brackets
  std::optional<int> port;
  std::vector<std::string> params;  // "weight=5", "max_fails=3", "backup"

  // A parameter's value ("weight" -> "5"); "" for a flag that is set.
  std::optional<std::string> param(const std::string& key) const;
};

struct Upstream {
  const Directive* directive = nullptr;
  std::string name;
  std::vector<ServerEntry> servers;
};

std::vector<Upstream> upstreams(const Config& config);
std::optional<Upstream> find_upstream(const Config& config, const std::string& name);
// The entries, across all upstreams, whose host is `host`.
std::vector<ServerEntry> servers_with_host(const Config& config, const std::string& host);

struct Listen {
  const Directive* directive = nullptr;
  std::string address;  // the first argument as written
  std::string host;     // empty for a bare port
  std::optional<int> port;
};

// A `server` block of `http` (or `stream`).
struct ServerBlock {
  const Directive* directive = nullptr;
  std::string context;  // "http" or "stream"
  std::vector<Listen> listens;
  std::vector<std::string> names;  // its server_name arguments
};
std::vector<ServerBlock> server_blocks(const Config& config);

struct Location {
  const Directive* directive = nullptr;
  const Directive* server = nullptr;  // the server block around it
  std::string match;                  // its arguments joined by spaces: "/api", "= /x", "~* \.css$"
};
std::vector<Location> locations(const Config& config);
std::optional<Location> find_location(const Config& config, const std::string& match);

struct ProxyPass {
  const Directive* directive = nullptr;
  std::string scheme;           // "http", "https"; empty when not written
  std::string target;           // an upstream's name or host:port ("be_api", "10.0.0.5:8080")
  std::string uri;              // what follows the target ("/v1/"), often empty
  bool names_upstream = false;  // `target` is an upstream of this config
};
std::vector<ProxyPass> proxy_passes(const Config& config);

// The main context's `pid` (null when there is none) and `error_log`s, and
// every `access_log` anywhere.
const Directive* pid(const Config& config);
std::vector<const Directive*> error_logs(const Config& config);
std::vector<const Directive*> access_logs(const Config& config);

// --- Edits ---
//
// Each changes only the bytes it names, then re-reads the config; an edit
// whose result nginx's grammar would reject is refused and changes nothing.

// Where an insert went: lines first_line..last_line (1-based, inclusive) of
// the file's new text, so that a checker's complaint about one of those
// lines can be traced back to the fragment.
struct Inserted {
  std::string file;  // File::path
  size_t first_line = 0;
  size_t last_line = 0;
};

enum class At { start, end };

// The blocks an insert can address: "main", "http", "events",
// "upstream NAME", "server" (the first server block), "server :PORT" (the
// one listening on PORT), "location MATCH" ("location /api",
// "location = /healthz").
std::vector<std::string> selectors(const Config& config);

// Inserts `fragment` (one or more lines of directives) at the start or the
// end of the selected block, re-indented to the block's indentation. An
// unknown selector is an error listing those that exist.
Result<Inserted> insert_fragment(Config& config, const std::string& selector, At at,
                                 const std::string& fragment);
// One directive, `name args...;`, its arguments quoted where they must be.
Result<Inserted> insert_directive(Config& config, const std::string& selector, At at, const std::string& name,
                                  const std::vector<std::string>& args);
// insert_fragment into block `block` (which must come from `config` as it
// is now): for edits that address every block of a kind (each server block
// listening on a port), which no single selector names.
Result<Inserted> insert_in_block(Config& config, const Directive& block, At at, const std::string& fragment);

// Inserts `fragment` before a file's first directive (after the comments
// that open it), at the file's top level: for `pid /path;` when the file
// has none. `file` as for Config::find_file.
Result<Inserted> insert_at_top(Config& config, const std::string& file, const std::string& fragment);

// Inserts `fragment` on the lines after directive `d` (which must come
// from `config` as it is now), indented as `d` is: for a directive that
// must sit beside another wherever that one is (an access_log next to each
// access_log, which hides the ones of the blocks above it).
Result<Inserted> insert_after(Config& config, const Directive& d, const std::string& fragment);

// `d` must come from `config` as it is now.
Status replace_args(Config& config, const Directive& d, const std::vector<std::string>& args);
Status remove_directive(Config& config, const Directive& d);

// A server entry of upstream `upstream`, named by its address as written
// ("api1:9000") or by its host when only one entry has that host.
// set_server_param sets `key=value` (weight, max_fails, fail_timeout ...),
// replacing the value it had; set_server_flag adds or removes a flag
// (down, backup); remove_server_param removes `key=...` or the flag `key`,
// and does nothing when the entry has neither.
Status set_server_param(Config& config, const std::string& upstream, const std::string& server,
                        const std::string& key, const std::string& value);
Status set_server_flag(Config& config, const std::string& upstream, const std::string& server,
                       const std::string& flag, bool on);
Status remove_server_param(Config& config, const std::string& upstream, const std::string& server,
                           const std::string& key);
Status set_server_address(Config& config, const std::string& upstream, const std::string& server,
                          const std::string& address);

}  // namespace faultline::stack::nginx_conf
