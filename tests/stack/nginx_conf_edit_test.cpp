#include <catch2/catch.hpp>

#include "harness/common/text.h"
#include "harness/stack/nginx_conf.h"
#include "tests/stack/nginx_conf_fixtures.h"

namespace faultline::stack::nginx_conf {
namespace {

using testing::file_bytes;
using testing::nginx_conf_data;

const std::string kSmall =
    "# edge proxy\n"
    "pid /run/nginx.pid;\n"
    "events { worker_connections 512; }\n"
    "http {\n"
    "    upstream be_api {\n"
    "        server api1:9000 max_fails=3 fail_timeout=10s;  # primary\n"
    "        server api2:9000 weight=2 backup;\n"
    "        keepalive 16;\n"
    "    }\n"
    "    server {\n"
    "        listen 8080;\n"
    "        location /api {\n"
    "            proxy_pass http://be_api;\n"
    "        }\n"
    "    }\n"
    "}\n";

Config small() {
  auto config = parse_text(kSmall);
  REQUIRE(config.ok());
  return std::move(*config);
}

// `text` with its first `from` made `to`.
std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

void require_ok(const Status& status) {
  INFO((status ? "" : status.error().message));
  REQUIRE(status.ok());
}

Inserted require_inserted(const Result<Inserted>& inserted) {
  INFO((inserted ? "" : inserted.error().message));
  REQUIRE(inserted.ok());
  return *inserted;
}

const Directive& named(const Config& config, const std::string& name) {
  const Directive* found = nullptr;
  walk(config, [&](const Directive& d, const std::vector<const Directive*>&) {
    if (found == nullptr && d.name.value == name) {
      found = &d;
    }
  });
  REQUIRE(found != nullptr);
  return *found;
}

TEST_CASE("edits of an upstream server's parameters and address", "[nginx_conf]") {
  Config c = small();
  std::string want = kSmall;
  require_ok(set_server_param(c, "be_api", "api1:9000", "weight", "5"));
  want = replaced(want, "fail_timeout=10s;  # primary", "fail_timeout=10s weight=5;  # primary");
  CHECK(c.text("nginx.conf") == want);
  require_ok(set_server_param(c, "be_api", "api1", "max_fails", "1"));
  want = replaced(want, "max_fails=3", "max_fails=1");
  require_ok(set_server_param(c, "be_api", "api2:9000", "weight", "7"));
  want = replaced(want, "weight=2", "weight=7");
  require_ok(set_server_flag(c, "be_api", "api2", "down", true));
  require_ok(set_server_flag(c, "be_api", "api2", "down", true));
  want = replaced(want, "backup;", "backup down;");
  CHECK(c.text("nginx.conf") == want);
  require_ok(set_server_flag(c, "be_api", "api2", "backup", false));
  want = replaced(want, "weight=7 backup down;", "weight=7 down;");
  require_ok(remove_server_param(c, "be_api", "api2", "weight"));
  require_ok(remove_server_param(c, "be_api", "api2", "slow_start"));
  want = replaced(want, "api2:9000 weight=7 down;", "api2:9000 down;");
  require_ok(set_server_address(c, "be_api", "api2:9000", "api3:9100"));
  want = replaced(want, "api2:9000 down;", "api3:9100 down;");
  CHECK(c.text("nginx.conf") == want);
  const auto u = find_upstream(c, "be_api");
  REQUIRE(u.has_value());
  CHECK(u->servers[0].params == std::vector<std::string>{"max_fails=1", "fail_timeout=10s", "weight=5"});
  CHECK(u->servers[1].host == "api3");
  CHECK(u->servers[1].params == std::vector<std::string>{"down"});
}

TEST_CASE("server edits that name nothing, or too much, are refused", "[nginx_conf]") {
  Config c = small();
  auto status = set_server_param(c, "nope", "api1", "weight", "1");
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().message == "no upstream \"nope\" in the config (its upstreams: be_api)");
  status = set_server_flag(c, "be_api", "api9", "down", true);
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().message ==
        "upstream \"be_api\" has no server \"api9\" (name one of: api1:9000, api2:9000)");
  auto twice = parse_text("http { upstream u { server a:1; server a:2; } }");
  REQUIRE(twice.ok());
  status = set_server_flag(*twice, "u", "a", "down", true);
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().message.find("more than one server \"a\"") != std::string::npos);
  require_ok(set_server_flag(*twice, "u", "a:2", "down", true));
  CHECK(twice->text("nginx.conf") == "http { upstream u { server a:1; server a:2 down; } }");
  CHECK(c.text("nginx.conf") == kSmall);
}

TEST_CASE("a directive's arguments replaced, a directive removed", "[nginx_conf]") {
  Config c = small();
  std::string want = kSmall;
  require_ok(replace_args(c, *pid(c), {"/run/my nginx.pid"}));
  want = replaced(want, "pid /run/nginx.pid;", "pid \"/run/my nginx.pid\";");
  CHECK(pid(c)->arg(0) == "/run/my nginx.pid");
  require_ok(replace_args(c, named(c, "listen"), {"8080", "reuseport"}));
  want = replaced(want, "listen 8080;", "listen 8080 reuseport;");
  require_ok(replace_args(c, named(c, "proxy_pass"), {"http://be_other"}));
  want = replaced(want, "http://be_api;", "http://be_other;");
  require_ok(replace_args(c, named(c, "keepalive"), {}));
  want = replaced(want, "keepalive 16;", "keepalive;");
  CHECK(c.text("nginx.conf") == want);
  require_ok(remove_directive(c, named(c, "keepalive")));
  want = replaced(want, "        keepalive;\n", "");
  CHECK(c.text("nginx.conf") == want);

  auto line = parse_text("http { gzip on; gzip_types text/css; }  # c\n    sendfile on; # why\n");
  REQUIRE(line.ok());
  require_ok(remove_directive(*line, named(*line, "gzip")));
  CHECK(line->text("nginx.conf") == "http { gzip_types text/css; }  # c\n    sendfile on; # why\n");
  require_ok(remove_directive(*line, named(*line, "gzip_types")));
  CHECK(line->text("nginx.conf") == "http { }  # c\n    sendfile on; # why\n");
  require_ok(remove_directive(*line, named(*line, "sendfile")));
  CHECK(line->text("nginx.conf") == "http { }  # c\n    # why\n");
}

TEST_CASE("a directive from before an edit is refused, not misapplied", "[nginx_conf]") {
  Config c = small();
  const Directive before = *pid(c);
  require_inserted(insert_directive(c, "main", At::start, "user", {"nobody"}));
  const auto status = replace_args(c, before, {"/x.pid"});
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().message.find("not in the config as it is now") != std::string::npos);
  CHECK(pid(c)->arg(0) == "/run/nginx.pid");
}

TEST_CASE("inserts take the block's indentation and report their lines", "[nginx_conf]") {
  Config c = small();
  std::string want = kSmall;
  auto at = require_inserted(insert_directive(c, "upstream be_api", At::end, "keepalive_timeout", {"60s"}));
  want = replaced(want, "keepalive 16;\n", "keepalive 16;\n        keepalive_timeout 60s;\n");
  CHECK(c.text("nginx.conf") == want);
  CHECK(at.file == "nginx.conf");
  CHECK(at.first_line == 9);
  CHECK(at.last_line == 9);

  at = require_inserted(
      insert_fragment(c, "location /api", At::start, "if ($arg_fault) {\n    return 503;\n}\n"));
  want = replaced(
      want, "location /api {\n",
      "location /api {\n            if ($arg_fault) {\n                return 503;\n            }\n");
  CHECK(c.text("nginx.conf") == want);
  CHECK(at.first_line == 14);
  CHECK(at.last_line == 16);

  at = require_inserted(insert_directive(c, "server :8080", At::end, "limit_rate", {"1k"}));
  want = replaced(want, "        }\n    }\n}\n", "        }\n        limit_rate 1k;\n    }\n}\n");
  CHECK(at.first_line == 19);
  at = require_inserted(insert_directive(c, "server", At::start, "server_name", {"shop.example.com"}));
  want = replaced(want, "    server {\n", "    server {\n        server_name shop.example.com;\n");
  CHECK(at.first_line == 12);
  at = require_inserted(insert_fragment(c, "http", At::start, "  gzip on;"));
  want = replaced(want, "http {\n", "http {\n    gzip on;\n");
  CHECK(at.first_line == 5);
  at = require_inserted(insert_directive(c, "main", At::start, "user", {"nobody"}));
  want = replaced(want, "# edge proxy\n", "# edge proxy\nuser nobody;\n");
  CHECK(at.first_line == 2);
  at = require_inserted(insert_directive(c, "main", At::end, "worker_processes", {"2"}));
  want += "worker_processes 2;\n";
  CHECK(at.first_line == 25);
  at = require_inserted(
      insert_directive(c, "location /api", At::end, "add_header", {"X-Msg", "a \"b\" c", "${request_id}"}));
  want = replaced(want, "            proxy_pass http://be_api;\n",
                  "            proxy_pass http://be_api;\n"
                  "            add_header X-Msg \"a \\\"b\\\" c\" ${request_id};\n");
  CHECK(c.text("nginx.conf") == want);
  CHECK(named(c, "add_header").values() == std::vector<std::string>{"X-Msg", "a \"b\" c", "${request_id}"});
}

TEST_CASE("inserts into blocks written on one line, or empty", "[nginx_conf]") {
  Config c = small();
  auto at = require_inserted(insert_directive(c, "events", At::start, "multi_accept", {"on"}));
  CHECK(c.text("nginx.conf") == replaced(kSmall, "events { worker_connections 512; }\n",
                                         "events {\n    multi_accept on;\n    worker_connections 512; }\n"));
  CHECK(at.first_line == 4);
  c = small();
  at = require_inserted(insert_directive(c, "events", At::end, "multi_accept", {"on"}));
  CHECK(c.text("nginx.conf") == replaced(kSmall, "events { worker_connections 512; }\n",
                                         "events { worker_connections 512;\n    multi_accept on;\n}\n"));
  CHECK(at.first_line == 4);

  auto empty = parse_text("events {}\nhttp {\n}\n");
  REQUIRE(empty.ok());
  at = require_inserted(insert_directive(*empty, "events", At::start, "worker_connections", {"10"}));
  CHECK(at.first_line == 2);
  at = require_inserted(insert_directive(*empty, "http", At::end, "gzip", {"on"}));
  CHECK(at.first_line == 5);
  CHECK(empty->text("nginx.conf") == "events {\n    worker_connections 10;\n}\nhttp {\n    gzip on;\n}\n");

  // A file with CRLF line ends keeps them.
  auto crlf = parse_text("events {\r\n}\r\nhttp { }");
  REQUIRE(crlf.ok());
  require_inserted(insert_directive(*crlf, "events", At::end, "worker_connections", {"10"}));
  require_inserted(insert_directive(*crlf, "http", At::start, "gzip", {"on"}));
  CHECK(crlf->text("nginx.conf") ==
        "events {\r\n    worker_connections 10;\r\n}\r\nhttp {\r\n    gzip on;\r\n}");
}

TEST_CASE("an insert that names no block, or would not parse, changes nothing", "[nginx_conf]") {
  Config c = small();
  CHECK(selectors(c) == std::vector<std::string>{"main", "events", "http", "upstream be_api", "server",
                                                 "server :8080", "location /api"});
  auto at = insert_directive(c, "upstream nope", At::end, "x", {});
  REQUIRE_FALSE(at.ok());
  CHECK(at.error().message ==
        "no block \"upstream nope\" in the config (it has: main, events, http, "
        "upstream be_api, server, server :8080, location /api)");
  CHECK_FALSE(insert_directive(c, "server :9999", At::end, "x", {}).ok());
  at = insert_fragment(c, "http", At::end, "server {");
  REQUIRE_FALSE(at.ok());
  CHECK(at.error().message.rfind("the fragment does not parse: fragment:1:9: unexpected end of file, "
                                 "expecting \"}\"",
                                 0) == 0);
  CHECK_FALSE(insert_fragment(c, "http", At::end, "  \n").ok());
  CHECK(c.text("nginx.conf") == kSmall);
}

TEST_CASE("edits of a loaded config touch only the file they edit", "[nginx_conf]") {
  auto loaded = load(nginx_conf_data("prod/nginx.conf"));
  REQUIRE(loaded.ok());
  Config& c = *loaded;
  require_ok(set_server_flag(c, "be_static", "static1", "down", true));
  const std::string upstreams = nginx_conf_data("prod/conf.d/10-upstreams.conf");
  CHECK(c.text("conf.d/10-upstreams.conf") ==
        replaced(file_bytes(upstreams), "static1:8080 weight=5;", "static1:8080 weight=5 down;"));

  // The admin server block is indented with tabs, and so is the fragment.
  const auto at =
      require_inserted(insert_fragment(c, "server :8081", At::end, "location /fault {\n    return 503;\n}"));
  const File* admin = c.find_file("conf.d/30-admin.conf");
  REQUIRE(admin != nullptr);
  CHECK(at.file == admin->path);
  const auto lines = split_lines(admin->text);
  REQUIRE(at.last_line == at.first_line + 2);
  CHECK(lines.at(at.first_line - 1) == "\tlocation /fault {");
  CHECK(lines.at(at.first_line) == "\t    return 503;");
  CHECK(lines.at(at.last_line - 1) == "\t}");
  CHECK(lines.at(at.last_line) == "}");
  CHECK(find_location(c, "/fault")->server == server_blocks(c).at(1).directive);

  for (const auto& f : c.files) {
    INFO(f.label());
    const bool edited = f.label() == "conf.d/10-upstreams.conf" || f.label() == "conf.d/30-admin.conf";
    CHECK(f.edited() == edited);
    CHECK(f.original == file_bytes(f.path));
    if (!edited) {
      CHECK(f.text == f.original);
    }
  }
}

TEST_CASE("a directive added at a file's top, after its opening comments", "[nginx_conf]") {
  auto loaded = load(nginx_conf_data("simple/nginx.conf"));
  REQUIRE(loaded.ok());
  REQUIRE(pid(*loaded) == nullptr);
  const auto at = require_inserted(insert_at_top(*loaded, "nginx.conf", "pid /tmp/faultline/nginx.pid;"));
  CHECK(at.first_line == 3);
  CHECK(at.last_line == 3);
  const std::string original = file_bytes(nginx_conf_data("simple/nginx.conf"));
  CHECK(loaded->text("nginx.conf") ==
        replaced(original, "worker_processes 2;\n", "pid /tmp/faultline/nginx.pid;\nworker_processes 2;\n"));
  REQUIRE(pid(*loaded) != nullptr);
  CHECK(pid(*loaded)->arg(0) == "/tmp/faultline/nginx.pid");
  // Two-space indentation, one level deeper inside `server`.
  require_inserted(insert_directive(*loaded, "server :80", At::start, "return", {"503"}));
  CHECK(loaded->text("nginx.conf").find("  server {\n    return 503;\n    listen 80") != std::string::npos);
  const auto unknown = insert_at_top(*loaded, "other.conf", "pid /x;");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().message.find("no file \"other.conf\"") != std::string::npos);
}

}  // namespace
}  // namespace faultline::stack::nginx_conf
