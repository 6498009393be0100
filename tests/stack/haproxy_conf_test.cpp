// Reading a team's haproxy.cfg: words and columns as HAProxy 2.6 cuts them,
// sections, the errors it refuses a file for, and the queries faultline
// asks (servers, routing, global settings). Edits and the run's copy are in
// haproxy_conf_edit_test.cpp.

#include "harness/stack/haproxy_conf.h"

#include <catch2/catch.hpp>

#include "harness/common/text.h"

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

Config production() {
  return parsed(data("production.cfg"), "production.cfg");
}

std::string parse_error(const std::string& text, const std::string& file = "t.cfg") {
  auto cfg = parse(text, file);
  REQUIRE_FALSE(cfg);
  return cfg.error().message;
}

// The words of `line`, in a listen section (where any statement may stand).
std::vector<Word> words_of(const std::string& line) {
  return parsed("listen t\n" + line + "\n").line(2).words;
}

std::vector<std::string> texts(const std::vector<Word>& words) {
  std::vector<std::string> out;
  for (const auto& w : words) {
    out.push_back(w.text);
  }
  return out;
}

using Strings = std::vector<std::string>;

TEST_CASE("haproxy_conf: a production config is read into lines and sections", "[haproxy_conf]") {
  const Config cfg = production();
  REQUIRE(cfg.lines.size() == 56);
  CHECK(cfg.line(1).kind == LineKind::comment);
  CHECK(cfg.line(3).kind == LineKind::blank);
  CHECK(cfg.line(4).kind == LineKind::statement);
  CHECK(cfg.line(27).kind == LineKind::comment);

  struct Expected {
    std::string selector;
    size_t first, last, last_statement;
  };
  const std::vector<Expected> expected = {
      {"global", 4, 15, 14},          {"defaults", 16, 27, 25},          {"frontend fe_main", 28, 36, 35},
      {"backend be_api", 37, 44, 43}, {"backend be_static", 45, 48, 46}, {"backend st_per_ip", 49, 51, 50},
      {"listen stats", 52, 56, 56}};
  REQUIRE(cfg.sections.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO(expected[i].selector);
    CHECK(cfg.sections[i].selector() == expected[i].selector);
    CHECK(cfg.sections[i].first_line == expected[i].first);
    CHECK(cfg.sections[i].last_line == expected[i].last);
    CHECK(cfg.sections[i].last_statement_line == expected[i].last_statement);
  }
  CHECK(cfg.line(2).section == -1);  // the opening comment comes before any section
  CHECK(cfg.line(27).section == 1);  // a comment before a section still belongs to the one above
  CHECK(cfg.line(42).section == 3);
}

TEST_CASE("haproxy_conf: each word has its column and its length as written", "[haproxy_conf]") {
  const Config cfg = production();
  const auto& socket = cfg.line(8).words;
  CHECK(texts(socket) == Strings{"stats", "socket", "/run/haproxy/admin.sock", "mode", "660", "level",
                                 "admin", "expose-fd", "listeners"});
  CHECK(socket[0].column == 5);
  CHECK(socket[2].column == 18);
  CHECK(socket[2].length == 23);
  CHECK(socket[8].column == 73);

  // A trailing comment is not words.
  const auto& api2 = cfg.line(43).words;
  CHECK(texts(api2) == Strings{"server", "api2", "api2:9000", "check"});
  CHECK(api2[3].column == 27);

  const auto& route = cfg.line(34).words;
  CHECK(texts(route) == Strings{"use_backend", "be_static", "if", "{", "path_beg", "/static", "}"});
  CHECK(route[3].column == 30);
  CHECK(route[6].column == 49);
}

TEST_CASE("haproxy_conf: an unedited config writes back byte for byte", "[haproxy_conf]") {
  const std::string prod = data("production.cfg");
  CHECK(to_text(production()) == prod);

  // Tabs, odd spacing, CRLF endings, a trailing space and a scope line.
  const std::string odd =
      "global\r\n\tdaemon   \r\n[scope]\r\n\r\n  frontend\tfe  # front\r\n bind :80\r\n\r\n";
  const Config cfg = parsed(odd);
  CHECK(to_text(cfg) == odd);
  CHECK(cfg.line(2).words.size() == 1);
  CHECK(cfg.line(2).ending == "\r\n");
  CHECK(cfg.line(3).kind == LineKind::scope);
  CHECK(cfg.sections.at(1).selector() == "frontend fe");
}

TEST_CASE("haproxy_conf: quotes and escapes follow HAProxy's tokenizer", "[haproxy_conf]") {
  // The manual's five spellings of one log-format are one word each.
  for (const std::string spelling :
       {R"(log-format %{+Q}o\ %t\ %s\ %{-Q}r)", R"(log-format "%{+Q}o %t %s %{-Q}r")",
        R"(log-format '%{+Q}o %t %s %{-Q}r')", R"(log-format "%{+Q}o %t"' %s %{-Q}r')",
        R"(log-format "%{+Q}o %t"' %s'\ %{-Q}r)"}) {
    INFO(spelling);
    CHECK(texts(words_of(spelling)) == Strings{"log-format", "%{+Q}o %t %s %{-Q}r"});
  }
  const auto quoted = words_of(R"(    http-request set-header X-Note 'a b # c' "d'e")");
  CHECK(texts(quoted) == Strings{"http-request", "set-header", "X-Note", "a b # c", "d'e"});
  CHECK(quoted[3].column == 36);
  CHECK(quoted[3].length == 9);  // the quotes count in what the word spans

  CHECK(texts(words_of(R"(acl h path /a\#b)")) == Strings{"acl", "h", "path", "/a#b"});
  CHECK(texts(words_of(R"(acl h path /a#b)")) == Strings{"acl", "h", "path", "/a"});
  CHECK(texts(words_of(R"(x \\ \" \' \x41\x7a)")) == Strings{"x", "\\", "\"", "'", "Az"});
  CHECK(texts(words_of(R"(x a\tb "c\nd")")) == Strings{"x", "a\tb", "c\nd"});
  // Backslashes before anything else stay, \1 for a regex reference.
  CHECK(texts(words_of(R"(http-request replace-path (.*) /v2\1)")).back() == "/v2\\1");
  // Nothing is interpreted inside single quotes.
  CHECK(texts(words_of(R"(x '\x41 \\')")) == Strings{"x", "\\x41 \\\\"});
  // \$ is an escape inside double quotes only.
  CHECK(texts(words_of(R"(x \$HOME "\$HOME")")) == Strings{"x", "\\$HOME", "$HOME"});
  // A backslash before a tab is no escape in parse_line(): the tab separates.
  CHECK(texts(words_of("x a\\\tb")) == Strings{"x", "a\\", "b"});
  // The manual's own example: a '#' after a word starts a comment.
  const Config hashes = parsed("global#this is the global section\n    daemon#daemonize\n");
  CHECK(hashes.sections.at(0).keyword == "global");
  CHECK(texts(hashes.line(2).words) == Strings{"daemon"});
}

TEST_CASE("haproxy_conf: environment variables are noted, not expanded, and only inside double quotes",
          "[haproxy_conf]") {
  const auto server = words_of(R"(    server backup "${SRV_BACKUP}:1080" backup)");
  CHECK(server[2].text == "${SRV_BACKUP}:1080");
  CHECK(server[2].variables == Strings{"SRV_BACKUP"});
  CHECK(server[2].column == 19);

  CHECK(words_of(R"(log "${LOCAL_SYSLOG-127.0.0.1}:514" local0)")[1].variables == Strings{"LOCAL_SYSLOG"});
  CHECK(words_of(R"(user "$HAPROXY_USER")")[1].text == "$HAPROXY_USER");
  CHECK(words_of(R"(bind "fd@${FD_APP1}")")[1].variables == Strings{"FD_APP1"});
  CHECK(words_of(R"(x "${LIST[*]}" "${.LINE}")")[1].variables == Strings{"LIST"});
  CHECK(words_of(R"(x "${.LINE}")")[1].variables == Strings{".LINE"});
  // Outside double quotes a dollar is a dollar.
  CHECK(words_of(R"(x '${A}' ${B})")[1].variables.empty());
  CHECK(words_of(R"(x '${A}' ${B})")[2].variables.empty());
}

TEST_CASE("haproxy_conf: tokenizing errors name the file, line and column and say how to fix them",
          "[haproxy_conf]") {
  CHECK(parse_error(data("unterminated_quote.cfg"), "unterminated_quote.cfg") ==
        "unterminated_quote.cfg:6:35: unterminated quote: the \" opened here is never closed; close it with "
        "another \", or write \\\" for the character itself");
  CHECK(parse_error("global\n  x 'a\n") ==
        "t.cfg:2:5: unterminated quote: the ' opened here is never closed; close it with another ', or write "
        "\\' for the character itself");
  CHECK(parse_error("global\n  log \"${1X}:514\" local0\n") ==
        "t.cfg:2:10: an environment variable name cannot start here; a name starts with a letter or '_' "
        "(\"${NAME}\"); write \\$ for a dollar sign inside double quotes");
  CHECK(parse_error("global\n  x \"${X\"\n") ==
        "t.cfg:2:7: the brace of an environment variable is never closed; write \"${NAME}\" or "
        "\"${NAME-default}\"");
  CHECK(parse_error("global\n  x \"${.PID}\"\n").rfind("t.cfg:2:8: '.PID' is not a pseudo-variable;", 0) ==
        0);
  CHECK(parse_error("global\n  x \"${L[1]}\"\n").rfind("t.cfg:2:9: a word expansion other than [*];", 0) ==
        0);
  CHECK(
      parse_error("global\n  x a\\xZZ\n") ==
      "t.cfg:2:6: a \\x escape without two hexadecimal digits; write \\x and two hex digits (\\x41 is 'A'), "
      "or \\\\x for a backslash and an x");
}

TEST_CASE("haproxy_conf: structural errors say what HAProxy would refuse", "[haproxy_conf]") {
  CHECK(parse_error(data("server_in_frontend.cfg"), "server_in_frontend.cfg") ==
        "server_in_frontend.cfg:6:5: a 'server' line outside a backend or listen section (it is in frontend "
        "fe_main, line 4); move it under the backend that sends traffic to it ('backend <name>'), or into a "
        "listen section");
  CHECK(parse_error(data("server_without_address.cfg"), "server_without_address.cfg") ==
        "server_without_address.cfg:3:5: a 'server' line without an address (server 'app1'); write 'server "
        "<name> <host>:<port> [options]'");
  CHECK(parse_error(data("no_final_newline.cfg"), "no_final_newline.cfg") ==
        "no_final_newline.cfg:2:26: the last line has no newline at its end, which HAProxy 2.6 refuses as a "
        "truncated file; end the file with a newline");
  CHECK(parse_error("# top\n  daemon\nglobal\n") ==
        "t.cfg:2:3: 'daemon' comes before any section; put it under the section it belongs to (global, "
        "defaults, frontend, backend, listen...)");
  CHECK(parse_error("defaults\n  server s s:80\n")
            .rfind("t.cfg:2:3: a 'server' line outside a backend or listen "
                   "section (it is in defaults, line 1)",
                   0) == 0);
  CHECK(parse_error("backend b\n  server\n")
            .rfind("t.cfg:2:3: a 'server' line without a name or an address;", 0) == 0);
  CHECK(parse_error("backend\n") == "t.cfg:1:1: a 'backend' section without a name; write 'backend <name>'");
  CHECK(parse_error("backend b\nlisten b\n") ==
        "t.cfg:2:8: listen b has the name of backend b at line 1; rename one of them: HAProxy refuses two "
        "proxies "
        "of one side under one name");
  // A frontend and a backend may share a name; peers and rings have servers.
  CHECK(parse("frontend web\n  bind :80\nbackend web\n  server s s:80\n", "t.cfg"));
  CHECK(parse("peers p\n  server local\n  server other 10.0.0.2:1024\nring r\n  server log 10.0.0.3:514\n",
              "t.cfg"));
}

TEST_CASE("haproxy_conf: conditional blocks are read on every branch and must balance", "[haproxy_conf]") {
  const Config cfg = parsed(
      "global\n"
      ".if defined(WITH_ADMIN)\n"
      "    stats socket /run/a.sock level admin\n"
      ".elif streq(\"$MODE\",ops)\n"
      "  .if feature(OPENSSL)\n"
      "    stats socket /run/b.sock\n"
      "  .endif\n"
      ".else\n"
      "    .notice \"no socket\"\n"
      ".endif\n"
      "    daemon\n");
  CHECK(cfg.line(2).kind == LineKind::condition);
  CHECK(cfg.line(2).condition_depth == 0);
  CHECK(cfg.line(3).condition_depth == 1);
  CHECK(cfg.line(4).condition_depth == 0);
  CHECK(cfg.line(6).condition_depth == 2);
  CHECK(cfg.line(7).condition_depth == 1);
  CHECK(cfg.line(11).condition_depth == 0);
  CHECK(stats_sockets(cfg).size() == 2);
  CHECK(cfg.sections.size() == 1);

  CHECK(
      parse_error("global\n.endif\n") ==
      "t.cfg:2:1: '.endif' without an '.if' before it; open the block with '.if <condition>', or remove this "
      "line");
  CHECK(parse_error("global\n.if 1\n.if 0\n.endif\n") ==
        "t.cfg:2:1: this '.if' block has no '.endif'; close it with '.endif' on a line of its own");
  CHECK(parse_error("global\n  .iff 1\n").rfind("t.cfg:2:3: unknown directive '.iff';", 0) == 0);
}

TEST_CASE("haproxy_conf: backends list their servers with host, port and options", "[haproxy_conf]") {
  const auto all = backends(production());
  REQUIRE(all.size() == 4);
  CHECK(all[0].name == "be_api");
  CHECK(all[0].line == 37);
  CHECK(all[0].default_server == Strings{"inter", "2s", "fall", "3", "rise", "2"});
  REQUIRE(all[0].servers.size() == 2);
  const Server& api1 = all[0].servers[0];
  CHECK(api1.backend == "be_api");
  CHECK(api1.name == "api1");
  CHECK(api1.address == "api1:9000");
  CHECK(api1.host == "api1");
  CHECK(api1.port == 9000);
  CHECK(api1.options == Strings{"check", "weight", "10"});
  CHECK(api1.line == 42);
  CHECK_FALSE(api1.uses_variables);
  CHECK(all[0].servers[1].options == Strings{"check"});
  CHECK(all[1].servers.at(0).name == "static1");
  CHECK(all[1].servers.at(0).port == 80);
  CHECK(all[2].name == "st_per_ip");
  CHECK(all[2].servers.empty());
  CHECK(all[3].keyword == "listen");
  CHECK(all[3].name == "stats");

  const auto vars =
      backends(parsed("backend b\n  server s \"${HOST}:8080\" backup\n  server u /run/app.sock\n"));
  CHECK(vars[0].servers[0].host == "${HOST}");
  CHECK(vars[0].servers[0].port == 8080);
  CHECK(vars[0].servers[0].uses_variables);
  CHECK(vars[0].servers[1].host == "/run/app.sock");
  CHECK_FALSE(vars[0].servers[1].port);
}

TEST_CASE("haproxy_conf: addresses split as HAProxy splits them", "[haproxy_conf]") {
  auto a = split_address("api1:9000");
  CHECK(a.host == "api1");
  CHECK(a.port == 9000);
  CHECK_FALSE(split_address("api1").port);
  a = split_address("[::1]:8443");
  CHECK(a.host == "::1");
  CHECK(a.port == 8443);
  CHECK(split_address("[2001:db8::1]").host == "2001:db8::1");
  // Without brackets the last colon is the port's, as in str2sa_range().
  CHECK(split_address("::1").host == ":");
  a = split_address("ipv4@10.0.0.1:80");
  CHECK(a.prefix == "ipv4@");
  CHECK(a.host == "10.0.0.1");
  a = split_address("unix@run/app.sock");
  CHECK(a.unix_path);
  CHECK(a.host == "run/app.sock");
  CHECK(split_address("/run/app.sock").unix_path);
  CHECK_FALSE(split_address("abns@app").unix_path);
  a = split_address("10.0.0.1:8000-8010");
  CHECK(a.port == 8000);
  CHECK(a.port_last == 8010);
  a = split_address("api:+1000");  // a port relative to the client's
  CHECK(a.port_text == "+1000");
  CHECK_FALSE(a.port);
  CHECK_FALSE(split_address("api:99999").port);
  CHECK(split_address("user@host:80").host == "user@host");  // not a prefix HAProxy knows
}

TEST_CASE("haproxy_conf: find_server by name, with errors that list what exists", "[haproxy_conf]") {
  const Config cfg = production();
  auto api2 = find_server(cfg, {std::nullopt, "api2"});
  REQUIRE(api2);
  CHECK(api2->backend == "be_api");
  CHECK(api2->line == 43);
  CHECK(find_server(cfg, {"be_static", "static1"})->line == 46);

  CHECK(find_server(cfg, {std::nullopt, "api9"}).error().message ==
        "production.cfg: no server 'api9'; the servers are be_api/api1, be_api/api2 and be_static/static1");
  CHECK(find_server(cfg, {"be_nope", "api1"}).error().message ==
        "production.cfg: no backend or listen section 'be_nope'; it has backend be_api, backend be_static, "
        "backend st_per_ip and listen stats");
  CHECK(find_server(cfg, {"be_static", "api1"}).error().message ==
        "production.cfg: backend be_static has no server 'api1'; its servers are static1");
  CHECK(find_server(cfg, {"st_per_ip", "x"}).error().message ==
        "production.cfg: backend st_per_ip has no server 'x'; it has no server lines");

  const Config twice = parsed("backend be_a\n  server web a:80\nbackend be_b\n  server web b:80\n");
  CHECK(find_server(twice, {std::nullopt, "web"}).error().message ==
        "t.cfg: server 'web' is in 2 backends (be_a and be_b); name the backend as well");
  CHECK(find_server(twice, {"be_b", "web"})->host == "b");
}

TEST_CASE("haproxy_conf: frontends give their ports and the backends routing reaches", "[haproxy_conf]") {
  const auto all = frontends(production());
  REQUIRE(all.size() == 2);
  const Frontend& fe = all[0];
  CHECK(fe.name == "fe_main");
  REQUIRE(fe.binds.size() == 1);
  CHECK(fe.binds[0].address == ":8080");
  CHECK(fe.binds[0].host.empty());
  CHECK(fe.binds[0].port == 8080);
  CHECK(fe.binds[0].line == 29);
  REQUIRE(fe.routes.size() == 2);
  CHECK(fe.routes[0].backend == "be_api");
  CHECK(fe.routes[0].condition == "if is_api");
  CHECK(fe.routes[0].line == 33);
  CHECK(fe.routes[1].condition == "if { path_beg /static }");
  CHECK(fe.default_backend == "be_static");
  CHECK(fe.default_backend_line == 35);
  CHECK_FALSE(fe.default_backend_inherited);
  CHECK(fe.reached_backends() == Strings{"be_api", "be_static"});
  CHECK(all[1].keyword == "listen");
  CHECK(all[1].binds.at(0).port == 8404);
  CHECK_FALSE(all[1].default_backend);

  const Config cfg = parsed(
      "defaults base\n  default_backend be_base\n"
      "defaults other\n  default_backend be_other\n"
      "frontend a from base\n  bind :80,:81 ssl\n  bind 10.0.0.1:8000-8010\n  use_backend "
      "be_%[req.hdr(host)]\n"
      "frontend b\n  bind [::1]:8443\n");
  const auto two = frontends(cfg);
  CHECK(two[0].default_backend == "be_base");
  CHECK(two[0].default_backend_line == 2);
  CHECK(two[0].default_backend_inherited);
  REQUIRE(two[0].binds.size() == 3);
  CHECK(two[0].binds[1].port == 81);
  CHECK(two[0].binds[2].port_last == 8010);
  CHECK(two[0].routes.at(0).dynamic);
  CHECK(two[0].reached_backends() == Strings{"be_base"});  // a dynamic name reaches nothing known
  CHECK(two[1].default_backend == "be_other");             // the last defaults before it
  CHECK(two[1].binds.at(0).host == "::1");
}

TEST_CASE("haproxy_conf: global settings: stats sockets, pidfile, daemon", "[haproxy_conf]") {
  const Config cfg = production();
  const auto sockets = stats_sockets(cfg);
  REQUIRE(sockets.size() == 1);
  CHECK(sockets[0].path == "/run/haproxy/admin.sock");
  CHECK(sockets[0].level == "admin");
  CHECK(sockets[0].line == 8);
  CHECK(pidfile(cfg)->value == "/run/haproxy.pid");
  CHECK(pidfile(cfg)->line == 13);
  CHECK(process_mode(cfg).daemon_line == 12);
  CHECK(process_mode(cfg).master_worker_line == 0);

  const Config other = parsed("global\n  master-worker\n  stats socket ipv4@127.0.0.1:9999\n");
  CHECK(stats_sockets(other).at(0).level == "operator");  // HAProxy's default level
  CHECK(stats_sockets(other).at(0).path.empty());
  CHECK_FALSE(pidfile(other));
  CHECK(process_mode(other).master_worker_line == 2);
  CHECK(process_mode(other).daemon_line == 0);
}

TEST_CASE("haproxy_conf: server-template lines are reported as not resolvable yet", "[haproxy_conf]") {
  CHECK(check_server_templates(production()));
  const Config cfg = parsed(data("server_template.cfg"), "server_template.cfg");
  const auto templates = server_templates(cfg);
  REQUIRE(templates.size() == 1);
  CHECK(templates[0].backend == "be_api");
  CHECK(templates[0].prefix == "api");
  CHECK(templates[0].count == "1-3");
  CHECK(templates[0].address == "api.service.internal:9000");
  CHECK(templates[0].line == 5);
  CHECK(
      check_server_templates(cfg).error().message ==
      "server_template.cfg:5:5: backend be_api: 'server-template api 1-3 api.service.internal:9000' makes "
      "servers whose names the file does not write, which faultline cannot map to stack services yet; write "
      "them out as 'server api1 <host>:<port>' lines, one per service");
  CHECK(find_server(cfg, {std::nullopt, "api2"}).error().message ==
        "server_template.cfg: no server 'api2'; the servers are be_api/api0 (server-template lines name "
        "servers "
        "faultline cannot see yet)");
}

}  // namespace
}  // namespace faultline::stack::haproxy_conf
