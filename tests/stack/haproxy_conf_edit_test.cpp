// Editing a team's haproxy.cfg: each edit changes only the lines it touches
// and says where its lines went; the copy faultline runs keeps its sockets
// and pid file in the run's directory.

#include <catch2/catch.hpp>

#include "harness/common/text.h"
#include "harness/stack/config_edit.h"
#include "harness/stack/haproxy_conf.h"
#include "tests/skip.h"
#include "tests/stack/stack_fixtures.h"

namespace faultline::stack::haproxy_conf {
namespace {

std::string data(const std::string& name) {
  std::string path = FAULTLINE_TEST_DATA;
  path.append("/haproxy_conf/").append(name);
  return read_text(path);
}

Config parsed(const std::string& text, const std::string& file = "t.cfg") {
  auto cfg = parse(text, file);
  INFO((cfg ? std::string() : cfg.error().message));
  REQUIRE(cfg);
  return *cfg;
}

const std::string& production_text() {
  static const std::string text = data("production.cfg");
  return text;
}

Config production() {
  return parsed(production_text(), "production.cfg");
}

// production.cfg with line `n` (1-based) replaced.
std::string production_with(size_t n, const std::string& line) {
  auto lines = split_lines(production_text());
  lines.at(n - 1) = line;
  return join_lines(lines);
}

// production.cfg with `added` inserted after line `after`.
std::string production_inserting(size_t after, const std::vector<std::string>& added) {
  auto lines = split_lines(production_text());
  lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(after), added.begin(), added.end());
  return join_lines(lines);
}

Edit edited(const Result<Edit>& edit) {
  INFO((edit ? std::string() : edit.error().message));
  REQUIRE(edit);
  return *edit;
}

const ServerRef kApi1{std::nullopt, "api1"};
const ServerRef kApi2{"be_api", "api2"};

// Prepares the run's copy of `cfg` in a scratch folder, checks `on_copy`
// of its text, and has `haproxy -c` read it: it must pass.
template <class OnCopy>
void check_copy_passes(const Config& cfg, OnCopy on_copy) {
  testing::ScratchDir dir;
  REQUIRE_FALSE(dir.path().empty());
  auto copy = prepare_for_run(cfg, dir.path());
  REQUIRE(copy);
  on_copy(copy->text);
  auto check = run_config_check(experiment::ServiceKind::haproxy, copy->text, dir.path());
  if (!check && check.error().message == "haproxy is not installed") {
    FAULTLINE_SKIP("haproxy is not installed");
  }
  REQUIRE(check);
  INFO(copy->text);
  for (const auto& complaint : check->complaints) {
    INFO(complaint);
  }
  CHECK(check->passed);
}

TEST_CASE("haproxy_conf: replace_line changes that line only and keeps its ending", "[haproxy_conf]") {
  const Edit e = edited(replace_line(production(), 13, "    pidfile /tmp/x.pid"));
  CHECK(to_text(e.config) == production_with(13, "    pidfile /tmp/x.pid"));
  CHECK(e.lines.first == 13);
  CHECK(e.lines.last == 13);
  CHECK(pidfile(e.config)->value == "/tmp/x.pid");

  CHECK(replace_line(production(), 13, "    pidfile \"/tmp").error().message ==
        "after the edit, production.cfg:13:13: unterminated quote: the \" opened here is never closed; close "
        "it "
        "with another \", or write \\\" for the character itself");
  CHECK(replace_line(production(), 99, "x").error().message ==
        "production.cfg: no line 99 (the file has 56)");
  CHECK(replace_line(production(), 1, "a\nb").error().message ==
        "production.cfg: line 1 can only be replaced with one line");

  const Config crlf = parsed("global\r\n  daemon\r\n");
  CHECK(to_text(edited(replace_line(crlf, 2, "  maxconn 10")).config) == "global\r\n  maxconn 10\r\n");
}

TEST_CASE("haproxy_conf: remove_line removes a line but not a section's keyword", "[haproxy_conf]") {
  auto removed = remove_line(production(), 43);
  REQUIRE(removed);
  auto lines = split_lines(production_text());
  lines.erase(lines.begin() + 42);
  CHECK(to_text(*removed) == join_lines(lines));
  CHECK(backends(*removed).at(0).servers.size() == 1);
  CHECK(
      remove_line(production(), 37).error().message ==
      "production.cfg: line 37 opens backend be_api; removing it would hand its lines to the section before");
}

TEST_CASE("haproxy_conf: insert_in_section adds after the section's last statement, indented like it",
          "[haproxy_conf]") {
  const Edit one = edited(insert_in_section(production(), "backend be_api", "server api3 api3:9000 check\n"));
  CHECK(to_text(one.config) == production_inserting(43, {"    server api3 api3:9000 check"}));
  CHECK(one.lines.first == 44);
  CHECK(one.lines.last == 44);
  CHECK(find_server(one.config, {std::nullopt, "api3"})->line == 44);

  // The fragment's own indentation gives way to the section's; a blank line stays blank.
  const Edit many =
      edited(insert_in_section(production(), "frontend fe_main",
                               "  acl is_admin path_beg /admin\n\n\tuse_backend be_api if is_admin"));
  CHECK(to_text(many.config) == production_inserting(35, {"    acl is_admin path_beg /admin", "",
                                                          "    use_backend be_api if is_admin"}));
  CHECK(many.lines.first == 36);
  CHECK(many.lines.last == 38);
  CHECK(frontends(many.config).at(0).routes.size() == 3);

  CHECK(edited(insert_in_section(production(), "global", "nbthread 4")).lines.first == 15);
  CHECK(edited(insert_in_section(production(), "defaults", "retries 3")).lines.first == 26);
  const Edit last = edited(insert_in_section(production(), "listen stats", "stats admin if TRUE"));
  CHECK(last.lines.first == 57);
  CHECK(to_text(last.config) == production_text() + "    stats admin if TRUE\n");
}

TEST_CASE("haproxy_conf: sections are addressed by selector, and an unknown one lists those that exist",
          "[haproxy_conf]") {
  const std::string existing =
      "the sections are global, defaults, frontend fe_main, backend be_api, backend be_static, backend "
      "st_per_ip and listen stats";
  CHECK(insert_in_section(production(), "backend be_nope", "x").error().message ==
        "production.cfg: no section 'backend be_nope'; " + existing);
  CHECK(find_section(production(), "backend").error().message ==
        "production.cfg: no section 'backend'; " + existing);
  CHECK(*find_section(production(), "listen stats") == 6);

  const Config two = parsed("defaults one\n    mode http\ndefaults two\n\tmode tcp\n");
  CHECK(to_text(edited(insert_in_section(two, "defaults two", "timeout connect 5s")).config) ==
        "defaults one\n    mode http\ndefaults two\n\tmode tcp\n\ttimeout connect 5s\n");
  CHECK(edited(insert_in_section(two, "defaults", "retries 2")).lines.first == 3);

  // A section with nothing in it yet takes the file's indentation.
  const Config empty_global = parsed("global\n\nbackend b\n\tserver s s:80\n");
  CHECK(to_text(edited(insert_in_section(empty_global, "global", "daemon")).config) ==
        "global\n\tdaemon\n\nbackend b\n\tserver s s:80\n");
  // Statements written flush left stay flush left.
  CHECK(to_text(edited(insert_in_section(parsed("backend b\nserver s s:80\n"), "backend b", "server t t:80"))
                    .config) == "backend b\nserver s s:80\nserver t t:80\n");
}

TEST_CASE("haproxy_conf: insert_in_section refuses lines that would open or break a section",
          "[haproxy_conf]") {
  CHECK(insert_in_section(production(), "backend be_api", "backend be_x\n").error().message ==
        "production.cfg: the lines for backend be_api open a section of their own; add a new section at the "
        "end "
        "of the file instead");
  CHECK_THAT(
      insert_in_section(production(), "frontend fe_main", "server x x:1").error().message,
      Catch::StartsWith("after the edit, production.cfg:36:5: a 'server' line outside a backend or listen "
                        "section (it is in frontend fe_main, line 28)"));
  CHECK(insert_in_section(production(), "global", "").error().message ==
        "production.cfg: nothing to add to global");
}

TEST_CASE("haproxy_conf: insert_before_line puts statements before a section's line, indented like it",
          "[haproxy_conf]") {
  const Config cfg = parsed(
      "frontend fe\n\tbind :80\n\tuse_backend b if { path_beg /b }\n\tdefault_backend b\nbackend b\n\tserver "
      "s s:80\n");
  const Edit e = edited(insert_before_line(cfg, 3, "  http-request deny if { src 10.0.0.1 }"));
  CHECK(to_text(e.config) ==
        "frontend fe\n\tbind :80\n\thttp-request deny if { src 10.0.0.1 }\n\tuse_backend b if { path_beg /b "
        "}\n\tdefault_backend b\nbackend b\n\tserver s s:80\n");
  CHECK(e.lines.first == 3);
  CHECK(e.lines.last == 3);
  CHECK(frontends(e.config).at(0).routes.at(0).line == 4);

  // Not before a section's keyword (the lines would fall to the section
  // before), nor before a blank line or a comment, nor a section of its own.
  CHECK(insert_before_line(cfg, 5, "x").error().message ==
        "t.cfg: line 5 is no statement inside a section to insert before");
  CHECK_FALSE(insert_before_line(parsed("backend b\n\n\tserver s s:80\n"), 2, "x"));
  CHECK(insert_before_line(cfg, 3, "backend c").error().message ==
        "t.cfg: the lines to add before line 3 open a section of their own");
}

TEST_CASE("haproxy_conf: append_section adds a section of its own at the end", "[haproxy_conf]") {
  const Edit e =
      edited(append_section(production(), "backend be_extra\n    server extra1 extra1:7000 check\n"));
  CHECK(to_text(e.config) == production_text() + "\nbackend be_extra\n    server extra1 extra1:7000 check\n");
  CHECK(e.lines.first == 58);
  CHECK(e.lines.last == 59);
  CHECK(backends(e.config).size() == 5);
  CHECK(e.config.sections.back().first_line == 58);

  // No second blank line when the file ends with one.
  CHECK(to_text(edited(append_section(parsed("global\n\n"), "listen l\n  bind :1\n")).config) ==
        "global\n\nlisten l\n  bind :1\n");

  CHECK(
      append_section(production(), "backend be_api\n    server x x:1\n").error().message ==
      "after the edit, production.cfg:58:9: backend be_api has the name of backend be_api at line 37; rename "
      "one of them: HAProxy refuses two proxies of one side under one name");
  CHECK(append_section(production(), "    server x x:1\n").error().message ==
        "production.cfg (new section):1:5: 'server' comes before any section; put it under the section it "
        "belongs "
        "to (global, defaults, frontend, backend, listen...)");
  CHECK(append_section(production(), "# only a comment\n").error().message ==
        "production.cfg: the lines to add open no section; start them with one (backend NAME, frontend NAME, "
        "listen NAME...)");
}

TEST_CASE("haproxy_conf: a server's address and options are edited word by word", "[haproxy_conf]") {
  const Config cfg = production();
  Edit e = edited(set_server_address(cfg, kApi1, "10.0.0.7:9100"));
  CHECK(to_text(e.config) == production_with(42, "    server api1 10.0.0.7:9100 check weight 10"));
  CHECK(e.lines.first == 42);
  CHECK(find_server(e.config, kApi1)->port == 9100);

  e = edited(set_server_option(cfg, kApi1, "weight", "5"));
  CHECK(to_text(e.config) == production_with(42, "    server api1 api1:9000 check weight 5"));
  // Added before the line's comment, which stays.
  e = edited(set_server_option(cfg, kApi2, "weight", "5"));
  CHECK(to_text(e.config) == production_with(43, "    server api2 api2:9000 check weight 5   # second zone"));
  // A value HAProxy would split is quoted, and reads back whole.
  e = edited(set_server_option(cfg, {std::nullopt, "static1"}, "agent-send", "hello world"));
  CHECK(to_text(e.config) ==
        production_with(46, "    server static1 static1:80 check agent-send 'hello world'"));
  CHECK(find_server(e.config, {std::nullopt, "static1"})->options.back() == "hello world");

  e = edited(add_server_flag(cfg, kApi2, "disabled"));
  CHECK(to_text(e.config) == production_with(43, "    server api2 api2:9000 check disabled   # second zone"));
  e = edited(add_server_flag(cfg, kApi1, "check"));  // already there
  CHECK(to_text(e.config) == production_text());
  CHECK(e.lines.first == 42);

  e = edited(remove_server_option(cfg, kApi1, "check"));
  CHECK(to_text(e.config) == production_with(42, "    server api1 api1:9000 weight 10"));
  e = edited(remove_server_option(cfg, kApi1, "weight"));  // with its value
  CHECK(to_text(e.config) == production_with(42, "    server api1 api1:9000 check"));
  e = edited(remove_server_option(cfg, kApi2, "check"));
  CHECK(to_text(e.config) == production_with(43, "    server api2 api2:9000   # second zone"));
}

TEST_CASE("haproxy_conf: server edits refuse what they cannot do", "[haproxy_conf]") {
  const Config cfg = production();
  CHECK(remove_server_option(cfg, kApi1, "backup").error().message ==
        "production.cfg: server api1 (backend be_api, line 42) has no 'backup'; its options are: check "
        "weight 10");
  CHECK(add_server_flag(cfg, kApi1, "weight").error().message ==
        "production.cfg: 'weight' takes a value, so it is set as an option, not added as a flag");
  CHECK(set_server_address(cfg, kApi1, "").error().message ==
        "an empty address cannot be written into the config");
  CHECK(set_server_address(cfg, {"be_api", "api9"}, "x:1").error().message ==
        "production.cfg: backend be_api has no server 'api9'; its servers are api1 and api2");

  // "check" after "cookie" is the cookie's value, not the health-check flag.
  const Config cookie = parsed("backend b\n  server s1 s1:80 cookie check\n");
  CHECK(remove_server_option(cookie, {std::nullopt, "s1"}, "check").error().message ==
        "t.cfg: server s1 (backend b, line 2) has no 'check'; its options are: cookie check");
  CHECK(to_text(edited(add_server_flag(cookie, {std::nullopt, "s1"}, "check")).config) ==
        "backend b\n  server s1 s1:80 cookie check check\n");
}

TEST_CASE("haproxy_conf: prepare_for_run moves sockets and the pid file and comments out daemon and chroot",
          "[haproxy_conf]") {
  auto copy = prepare_for_run(production(), "/run/faultline/r1");
  REQUIRE(copy);
  auto lines = split_lines(production_text());
  lines[4] = "    log stdout format raw local0";
  lines[5] = "    log stdout format raw local1 notice";
  lines[6] =
      "    # faultline: chroot /var/lib/haproxy (the copy's sockets and files live in /run/faultline/r1)";
  lines[7] = "    stats socket /run/faultline/r1/admin.sock mode 660 level admin expose-fd listeners";
  lines[11] = "    # faultline: daemon (faultline supervises haproxy in the foreground)";
  lines[12] = "    pidfile /run/faultline/r1/haproxy.pid";
  CHECK(copy->text == join_lines(lines));
  CHECK(copy->runtime_socket == "/run/faultline/r1/admin.sock");
  // The socket says `expose-fd listeners` already: nothing is added to it.
  REQUIRE(copy->changes.size() == 6);
  CHECK(copy->changes[0].what == "log /dev/log -> stdout");
  CHECK(copy->changes[0].why ==
        "the host's syslog is not the run's (a Unix socket is reached through the filesystem, which the "
        "namespace shares with the host); the lines go to the copy's standard output, which faultline "
        "writes to /run/faultline/r1/stdout.log");
  CHECK(copy->changes[1].what == "log /dev/log -> stdout");
  CHECK(copy->changes[2].what == "commented out: chroot /var/lib/haproxy");
  CHECK(copy->changes[2].why == "inside the jail HAProxy could not reach /run/faultline/r1");
  CHECK(copy->changes[3].what == "stats socket /run/haproxy/admin.sock -> /run/faultline/r1/admin.sock");
  CHECK(copy->changes[3].why ==
        "faultline's runtime API socket: the copy's own, the host's stays the host HAProxy's");
  CHECK(copy->changes[4].what == "commented out: daemon");
  CHECK(copy->changes[5].what == "pidfile /run/haproxy.pid -> /run/faultline/r1/haproxy.pid");
  for (const auto& c : copy->changes) {
    CHECK(c.line == c.original_line);
  }
  CHECK(copy->changes[0].line == 5);
  CHECK(copy->changes[5].line == 13);

  // A run directory with a space in it is quoted, and reads back whole.
  auto spaced = prepare_for_run(production(), "/run/my run/");
  REQUIRE(spaced);
  CHECK(stats_sockets(parsed(spaced->text)).at(0).path == "/run/my run/admin.sock");
  CHECK(spaced->runtime_socket == "/run/my run/admin.sock");
}

TEST_CASE("haproxy_conf: prepare_for_run adds the runtime socket and pid file a config lacks",
          "[haproxy_conf]") {
  auto copy = prepare_for_run(parsed("global\n    maxconn 100\n\ndefaults\n    mode http\n"), "/r/");
  REQUIRE(copy);
  CHECK(copy->text ==
        "global\n    maxconn 100\n    pidfile /r/haproxy.pid\n    stats socket /r/admin.sock mode 600 level "
        "admin expose-fd listeners\n"
        "\ndefaults\n    mode http\n");
  REQUIRE(copy->changes.size() == 2);
  CHECK(copy->changes[0].what == "added: pidfile /r/haproxy.pid");
  CHECK(copy->changes[0].line == 3);
  CHECK(copy->changes[0].original_line == 0);
  CHECK(copy->changes[1].what ==
        "added: stats socket /r/admin.sock mode 600 level admin expose-fd listeners");
  CHECK(copy->changes[1].why ==
        "faultline's runtime API socket: the file has no Unix stats socket with level admin; expose-fd "
        "listeners so a reload takes the listening sockets over and drops no queued connection");
  CHECK(copy->changes[1].line == 4);
  CHECK(copy->runtime_socket == "/r/admin.sock");

  // No global section: one comes first, indented like the file.
  copy = prepare_for_run(parsed("backend b\n\tserver s s:80\n"), "/r");
  REQUIRE(copy);
  CHECK(copy->text ==
        "global\n\tpidfile /r/haproxy.pid\n\tstats socket /r/admin.sock mode 600 level admin expose-fd "
        "listeners\n\nbackend b\n"
        "\tserver s s:80\n");
  CHECK(copy->changes.at(0).line == 2);
  CHECK(copy->changes.at(1).line == 3);

  // An admin socket on TCP is no Unix socket for faultline: it stays, and one is added.
  copy = prepare_for_run(parsed(data("server_template.cfg")), "/r");
  REQUIRE(copy);
  CHECK(split_lines(copy->text).at(1) == "    stats socket ipv4@127.0.0.1:9999 level admin");
  CHECK(split_lines(copy->text).at(3) ==
        "    stats socket /r/admin.sock mode 600 level admin expose-fd listeners");

  // Lines changed after the additions are numbered in the copy.
  copy =
      prepare_for_run(parsed("global\n    maxconn 100\ndefaults\n    mode http\nglobal\n    daemon\n"), "/r");
  REQUIRE(copy);
  CHECK(copy->changes.at(0).what == "commented out: daemon");
  CHECK(copy->changes.at(0).line == 8);
  CHECK(copy->changes.at(0).original_line == 6);
  CHECK(split_lines(copy->text).at(7) ==
        "    # faultline: daemon (faultline supervises haproxy in the foreground)");
}

TEST_CASE("haproxy_conf: prepare_for_run gives every socket a path of its own in the run directory",
          "[haproxy_conf]") {
  const Config cfg = parsed(
      "global\n"
      "  stats socket /run/haproxy/ops.sock level operator\n"
      "  stats socket /var/run/admin.sock level admin\n"
      "  stats socket unix@/tmp/admin.sock level admin mode 600\n"
      "  stats socket ipv4@127.0.0.1:9999 level admin\n"
      "  daemon   # background\n");
  auto copy = prepare_for_run(cfg, "/r");
  REQUIRE(copy);
  CHECK(copy->text ==
        "global\n"
        "  stats socket /r/ops.sock level operator\n"
        "  stats socket /r/admin.sock level admin expose-fd listeners\n"
        "  stats socket unix@/r/admin-2.sock level admin mode 600\n"
        "  stats socket ipv4@127.0.0.1:9999 level admin\n"
        "  # faultline: daemon (faultline supervises haproxy in the foreground)   # background\n"
        "  pidfile /r/haproxy.pid\n");
  CHECK(copy->runtime_socket == "/r/admin.sock");  // the first Unix socket with level admin
  CHECK(copy->changes.at(0).why ==
        "the copy binds its sockets in the run's directory, not on the host's filesystem");
  // Only the runtime API socket gets `expose-fd listeners`, in a change of its own.
  CHECK(copy->changes.at(2).what == "stats socket /r/admin.sock: added expose-fd listeners");
  CHECK(copy->changes.at(2).line == 3);
  CHECK(copy->changes.at(3).what == "stats socket unix@/tmp/admin.sock -> /r/admin-2.sock");
}

// Whether the `stats socket` line of `path` in `copy` says `expose-fd
// listeners`, read as netns_reload.cpp reads it before a reload: only then
// does the new HAProxy get the old one's listening sockets (-x).
bool exposes_listeners(const std::string& copy, const std::string& path) {
  const Config cfg = parsed(copy);
  for (const auto& socket : stats_sockets(cfg)) {
    const auto words = cfg.line(socket.line).args(0);
    for (size_t k = 0; socket.path == path && k + 1 < words.size(); ++k) {
      if (words[k] == "expose-fd" && words[k + 1] == "listeners") {
        return true;
      }
    }
  }
  return false;
}

TEST_CASE("haproxy_conf: prepare_for_run lets a reload take the runtime socket's listeners over",
          "[haproxy_conf]") {
  const Config cfg = parsed(
      "global\n"
      "  stats socket /run/haproxy/admin.sock mode 660 level admin   # ops\n"
      "  stats socket /run/haproxy/other.sock level admin\n");
  REQUIRE_FALSE(exposes_listeners(to_text(cfg), "/run/haproxy/admin.sock"));
  auto copy = prepare_for_run(cfg, "/r");
  REQUIRE(copy);
  // Added after the last word, before the comment; the second admin socket
  // is not the runtime API and stays as it was.
  CHECK(copy->text ==
        "global\n"
        "  stats socket /r/admin.sock mode 660 level admin expose-fd listeners   # ops\n"
        "  stats socket /r/other.sock level admin\n"
        "  pidfile /r/haproxy.pid\n");
  CHECK(copy->runtime_socket == "/r/admin.sock");
  CHECK(exposes_listeners(copy->text, copy->runtime_socket));
  REQUIRE(copy->changes.size() == 4);
  CHECK(copy->changes[0].what == "stats socket /run/haproxy/admin.sock -> /r/admin.sock");
  CHECK(copy->changes[1].what == "stats socket /r/admin.sock: added expose-fd listeners");
  CHECK(copy->changes[1].why ==
        "so a reload takes the listening sockets over and drops no queued connection");
  CHECK(copy->changes[1].line == 2);
  CHECK(copy->changes[1].original_line == 2);
  CHECK(copy->changes[2].what == "stats socket /run/haproxy/other.sock -> /r/other.sock");

  // The socket faultline adds says it too, and so does one with a quoted path.
  copy = prepare_for_run(parsed("global\n  maxconn 10\n"), "/r");
  REQUIRE(copy);
  CHECK(exposes_listeners(copy->text, "/r/admin.sock"));
  copy = prepare_for_run(parsed("global\n  stats socket /a.sock level admin\n"), "/my run");
  REQUIRE(copy);
  CHECK(split_lines(copy->text).at(1) == "  stats socket '/my run/a.sock' level admin expose-fd listeners");
  CHECK(exposes_listeners(copy->text, "/my run/a.sock"));
}

TEST_CASE("haproxy_conf: prepare_for_run sends the logs meant for a Unix socket to stdout, in every section",
          "[haproxy_conf]") {
  const std::string team =
      "global\n"
      "    log /dev/log local0\n"
      "    log unix@/dev/log len 2048 local1 notice   # ops\n"
      "    log /dev/log format rfc5424 local2\n"
      "    log /dev/log len 4096 sample 1:2 local3 info\n"
      "    log 127.0.0.1:514 local0\n"
      "    log ring@buf local0\n"
      "    log stdout format raw daemon\n"
      "    log \"${SYSLOG}\" local0\n"
      "defaults\n"
      "    log global\n"
      "frontend fe\n"
      "    bind :80\n"
      "    log /var/run/log.sock local4\n"
      "    no log\n"
      "backend b\n"
      "    log \"/dev/log\" local5\n";
  auto copy = prepare_for_run(parsed(team), "/r");
  REQUIRE(copy);
  auto expected = split_lines(team);
  // `format raw` after the target, or after `len` and its value (HAProxy
  // reads them in that order), unless the line names a format.
  expected[1] = "    log stdout format raw local0";
  expected[2] = "    log stdout len 2048 format raw local1 notice   # ops";
  expected[3] = "    log stdout format rfc5424 local2";
  expected[4] = "    log stdout len 4096 format raw sample 1:2 local3 info";
  expected[13] = "    log stdout format raw local4";
  expected[16] = "    log stdout format raw local5";
  const auto lines = split_lines(copy->text);
  REQUIRE(lines.size() == expected.size() + 2);  // the pid file and the runtime socket, added to global
  for (size_t i = 0; i < 9; ++i) {
    CHECK(lines[i] == expected[i]);
  }
  for (size_t i = 9; i < expected.size(); ++i) {
    CHECK(lines[i + 2] == expected[i]);
  }
  std::vector<std::string> logs;
  for (const auto& c : copy->changes) {
    if (c.what.rfind("log ", 0) == 0) {
      logs.push_back(c.what + " @" + std::to_string(c.original_line) + ":" + std::to_string(c.line));
    }
  }
  CHECK(logs == std::vector<std::string>{
                    "log /dev/log -> stdout @2:2",
                    "log unix@/dev/log -> stdout @3:3",
                    "log /dev/log -> stdout @4:4",
                    "log /dev/log -> stdout @5:5",
                    "log /var/run/log.sock -> stdout @14:16",
                    "log /dev/log -> stdout @17:19",
                });
}

TEST_CASE("haproxy_conf: the logs a prepared copy sends to stdout pass haproxy -c", "[haproxy_conf][tools]") {
  const Config cfg = parsed(
      "global\n"
      "    log /dev/log local0\n"
      "    log /dev/log len 2048 sample 1:2 local1 notice\n"
      "    log unix@/dev/log format rfc5424 local2\n"
      "defaults\n"
      "    mode http\n"
      "    log global\n"
      "    timeout connect 1s\n"
      "    timeout client 1s\n"
      "    timeout server 1s\n"
      "frontend fe\n"
      "    bind :8080\n"
      "    log /dev/log len 4096 local4 info\n"
      "    default_backend be\n"
      "backend be\n"
      "    log /dev/log local5\n"
      "    server s1 127.0.0.1:9000\n");
  check_copy_passes(cfg,
                    [](const std::string& text) { REQUIRE(text.find("/dev/log") == std::string::npos); });
}

TEST_CASE("haproxy_conf: prepare_for_run refuses a socket path HAProxy could not bind", "[haproxy_conf]") {
  // HAProxy binds "<path>.<pid>.tmp" first: a path may take 95 of a Unix socket's 107 bytes.
  const std::string fits = "/" + std::string(83, 'x');  // + "/admin.sock": 95 bytes
  CHECK(prepare_for_run(production(), fits));
  const std::string too_long = "/" + std::string(84, 'x');
  CHECK(prepare_for_run(production(), too_long).error().message ==
        "production.cfg: the copy's socket path " + too_long +
            "/admin.sock is 96 bytes; HAProxy binds it as <path>.<pid>.tmp first, which must fit a Unix "
            "socket's 107 bytes, so at most 95; give the run a shorter directory");
  CHECK(prepare_for_run(production(), "run/x").error().message ==
        "the run directory 'run/x' must be an absolute path on one line");
  CHECK(prepare_for_run(parsed("global\n  stats socket \"${SOCK}\" level admin\n"), "/r").error().message ==
        "t.cfg:2:16: this stats socket's address comes from environment variables, so faultline cannot tell "
        "whether it binds on the host's filesystem; write the path out for the run");
}

TEST_CASE("haproxy_conf: the prepared copy of the production config passes haproxy -c",
          "[haproxy_conf][tools]") {
  // Servers pointed at loopback (haproxy -c resolves host names), then the run's copy.
  Config cfg = production();
  for (const auto& [name, address] : {std::pair<std::string, std::string>{"api1", "127.0.0.1:9000"},
                                      {"api2", "127.0.0.1:9001"},
                                      {"static1", "127.0.0.1:8000"}}) {
    cfg = edited(set_server_address(cfg, {std::nullopt, name}, address)).config;
  }
  check_copy_passes(cfg, [](const std::string&) {});
}

}  // namespace
}  // namespace faultline::stack::haproxy_conf
