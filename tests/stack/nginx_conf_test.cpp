#include "harness/stack/nginx_conf.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>

#include "harness/common/scratch_dir.h"
#include "harness/platform/container_files.h"
#include "tests/platform/rooted_child.h"
#include "tests/skip.h"
#include "tests/stack/nginx_conf_fixtures.h"

namespace faultline::stack::nginx_conf {
namespace {

namespace fs = std::filesystem;
using testing::file_bytes;
using testing::nginx_conf_data;

// Files under tests/data/nginx_conf/ that nginx rejects on their own.
bool broken(const std::string& relative) {
  return relative.rfind("broken/", 0) == 0 || relative == "includes/bad_child/conf.d/site.conf";
}

Config loaded(const std::string& name) {
  auto config = load(nginx_conf_data(name));
  INFO((config ? "" : config.error().message));
  REQUIRE(config.ok());
  return std::move(*config);
}

std::string error_of(const Result<Config>& config) {
  REQUIRE_FALSE(config.ok());
  return config.error().message;
}

const Directive* first_named(const Config& config, const std::string& name) {
  const Directive* found = nullptr;
  walk(config, [&](const Directive& d, const std::vector<const Directive*>&) {
    if (found == nullptr && d.name.value == name) {
      found = &d;
    }
  });
  return found;
}

// What lies between one file's words must be spaces, comments and the
// characters that end directives: every byte is either inside a word's
// span or one of those, in order.
void check_spans(const File& file) {
  std::vector<Span> words;
  std::function<void(const std::vector<Directive>&)> collect = [&](const std::vector<Directive>& list) {
    for (const auto& d : list) {
      CHECK(d.span.begin == d.name.raw.begin);
      words.push_back(d.name.raw);
      for (const auto& a : d.args) {
        words.push_back(a.raw);
      }
      if (d.has_block) {
        CHECK(file.text[d.block.begin] == '{');
        CHECK(file.text[d.block.end - 1] == '}');
        CHECK(d.span.end == d.block.end);
        collect(d.children);
      } else {
        CHECK(file.text[d.span.end - 1] == ';');
      }
    }
  };
  collect(file.directives);
  size_t pos = 0;
  for (const auto& w : words) {
    REQUIRE(w.begin >= pos);
    const std::string gap = file.text.substr(pos, w.begin - pos);
    bool in_comment = false;
    bool only_layout = true;
    for (const char c : gap) {
      in_comment = (in_comment && c != '\n') || c == '#';
      only_layout = only_layout && (in_comment || std::string(" \t\r\n;{})").find(c) != std::string::npos);
    }
    INFO(file.label() << ": between words: [" << gap << "]");
    CHECK(only_layout);
    pos = w.end;
  }
}

TEST_CASE("every data file reads and writes back byte for byte", "[nginx_conf]") {
  const std::string root = fs::path(nginx_conf_data("prod")).parent_path().string();
  size_t read = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file() || entry.path().filename() == "README") {
      continue;
    }
    const std::string relative = fs::path(entry.path()).lexically_relative(root).string();
    const std::string bytes = file_bytes(entry.path().string());
    auto config = parse_text(bytes, relative);
    INFO(relative);
    if (broken(relative)) {
      CHECK_FALSE(config.ok());
      continue;
    }
    INFO((config ? "" : config.error().message));
    REQUIRE(config.ok());
    CHECK(config->text(relative) == bytes);
    CHECK_FALSE(config->files[0].edited());
    check_spans(config->files[0]);
    ++read;
  }
  CHECK(read >= 15);
  // Loaded with its includes, each file is its bytes on disk.
  for (const auto* main : {"prod/nginx.conf", "simple/nginx.conf", "includes/nomatch/nginx.conf"}) {
    const Config config = loaded(main);
    for (const auto& f : config.files) {
      INFO(f.path);
      CHECK(f.text == file_bytes(f.path));
      check_spans(f);
    }
  }
}

TEST_CASE("words read as nginx reads them", "[nginx_conf]") {
  const Config config = loaded("prod/nginx.conf");
  const auto* log_format = first_named(config, "log_format");
  REQUIRE(log_format != nullptr);
  REQUIRE(log_format->args.size() == 5);
  CHECK(log_format->arg(0) == "main");
  CHECK(log_format->arg(2) == "$status $body_bytes_sent \"$http_referer\" ");
  CHECK(log_format->arg(4) == "rt=$request_time urt=\"$upstream_response_time\"");
  CHECK(log_format->name.at.line == 22);
  CHECK(log_format->args[4].at.line == 25);
  CHECK(log_format->args[4].at.column == 23);

  std::vector<std::vector<std::string>> seen;
  walk(config, [&](const Directive& d, const std::vector<const Directive*>&) {
    if (d.name.value == "add_header" || d.name.value == "return" || d.name.value == "if" ||
        d.name.value.empty() || d.name.value.rfind("/legacy", 0) == 0 ||
        (d.name.value == "proxy_set_header" && d.arg(0) == "X-Request-Id")) {
      auto v = d.values();
      v.insert(v.begin(), d.name.value);
      seen.push_back(v);
    }
  });
  using V = std::vector<std::string>;
  // Escaped quotes, \n, a `)` after a quoted word (in no word), `${...}`,
  // an empty quoted word, a backslash that escapes nothing nginx knows.
  CHECK(std::find(seen.begin(), seen.end(), V{"", "close"}) != seen.end());
  CHECK(std::find(seen.begin(), seen.end(), V{"/legacy\\ path", "legacy"}) != seen.end());
  CHECK(std::find(seen.begin(), seen.end(), V{"add_header", "X-Note", "say \"hi\" to ops", "always"}) !=
        seen.end());
  CHECK(std::find(seen.begin(), seen.end(), V{"if", "($request_method", "=", "POST)"}) != seen.end());
  CHECK(std::find(seen.begin(), seen.end(), V{"if", "($http_x_debug", "~*", "^(on|yes)$"}) != seen.end());
  CHECK(std::find(seen.begin(), seen.end(), V{"return", "200", "ok\n"}) != seen.end());
  CHECK(std::find(seen.begin(), seen.end(), V{"return", "200", "it's {fine}"}) != seen.end());
  CHECK(std::find(seen.begin(), seen.end(), V{"proxy_set_header", "X-Request-Id", "${request_id}"}) !=
        seen.end());
}

TEST_CASE("the lexer's edge cases follow nginx", "[nginx_conf]") {
  // `#` inside a word is no comment; `${` does not open a block.
  auto c = parse_text("set $a x#y;  # comment\nset $b ${a}z;\n");
  REQUIRE(c.ok());
  REQUIRE(c->files[0].directives.size() == 2);
  CHECK(c->files[0].directives[0].values() == std::vector<std::string>{"$a", "x#y"});
  CHECK(c->files[0].directives[1].values() == std::vector<std::string>{"$b", "${a}z"});
  c = parse_text("# only a comment, no newline");
  REQUIRE(c.ok());
  CHECK(c->files[0].directives.empty());
  // A backslash takes a space or a `;` into the word.
  c = parse_text("a b\\ c d\\;e;\n");
  REQUIRE(c.ok());
  CHECK(c->files[0].directives[0].values() == std::vector<std::string>{"b\\ c", "d\\;e"});
  // `}` does not end a word: nginx reads "ok}}}" and then misses its `}`s.
  const auto e = parse_text("events {}\nhttp { server { return 200 ok}}}\n", "t.conf");
  CHECK(error_of(e).rfind("t.conf:3:1: unexpected end of file, expecting \";\" or \"}\"", 0) == 0);
  // Blocks and directives on one line; words across lines.
  c = parse_text("http{server{listen\n8080;}}");
  REQUIRE(c.ok());
  const auto& http = c->files[0].directives.at(0);
  CHECK(http.has_block);
  CHECK(http.children.at(0).children.at(0).values() == std::vector<std::string>{"8080"});
  CHECK(http.children.at(0).children.at(0).args[0].at.line == 2);
}

TEST_CASE("syntax errors name file, line and column, as nginx words them", "[nginx_conf]") {
  const auto message = [](const std::string& name) { return error_of(load(nginx_conf_data(name))); };
  CHECK(message("broken/unclosed_block.conf") ==
        "unclosed_block.conf:10:1: unexpected end of file, expecting \"}\" (the \"http\" block opened at "
        "5:1 is not closed: add \"}\")");
  CHECK(message("broken/stray_brace.conf")
            .rfind("stray_brace.conf:7:1: unexpected \"}\" (no block is open "
                   "here: remove it",
                   0) == 0);
  CHECK(message("broken/missing_semicolon.conf") ==
        "missing_semicolon.conf:4:5: unexpected \"}\" (the directive \"server\" at 3:9 before it is not "
        "ended: add \";\" after it)");
  CHECK(message("broken/unterminated_quote.conf") ==
        "unterminated_quote.conf:2:21: unterminated quoted string: the file ends inside it (add the "
        "closing ' it opens with)");
  CHECK(message("broken/quote_then_char.conf")
            .rfind("quote_then_char.conf:2:28: unexpected \"t\" after a "
                   "quoted string",
                   0) == 0);
  CHECK(message("broken/eof_in_directive.conf") ==
        "eof_in_directive.conf:2:22: unexpected end of file, expecting \";\" or \"}\" (the directive "
        "\"worker_processes\" at 2:1 is not ended: add \";\" after it)");
  CHECK(error_of(parse_text("events {}\n  ;\n", "x.conf")).rfind("x.conf:2:3: unexpected \";\"", 0) == 0);
  CHECK(error_of(parse_text("\n\n   { }", "x.conf")).rfind("x.conf:3:4: unexpected \"{\"", 0) == 0);
  // An error in an included file names that file.
  CHECK(message("includes/bad_child/nginx.conf") ==
        "conf.d/site.conf:6:1: unexpected end of file, expecting \"}\" (the \"server\" block opened at 1:1 "
        "is not closed: add \"}\")");
  CHECK(error_of(load(nginx_conf_data("nope/nginx.conf"))).find("cannot read") != std::string::npos);
}

TEST_CASE("includes resolve from the main file's folder, globs in byte order", "[nginx_conf]") {
  const Config config = loaded("prod/nginx.conf");
  std::vector<std::string> labels;
  for (const auto& f : config.files) {
    labels.push_back(f.label());
  }
  // 9-legacy sorts after 30-admin; README is no match; the snippet,
  // included from conf.d/20-shop.conf, is found under prod/, read once.
  CHECK(labels == std::vector<std::string>{"nginx.conf", "mime.types", "conf.d/10-upstreams.conf",
                                           "conf.d/20-shop.conf", "snippets/proxy_headers.conf",
                                           "conf.d/30-admin.conf", "conf.d/9-legacy.conf"});
  CHECK(config.files[4].path ==
        fs::path(nginx_conf_data("prod/snippets/proxy_headers.conf")).lexically_normal().string());
  CHECK(config.folder == fs::path(nginx_conf_data("prod")).lexically_normal().string());
  CHECK(config.find_file("conf.d/20-shop.conf") == &config.files[3]);
  CHECK(config.find_file(config.files[3].path) == &config.files[3]);
  CHECK(config.find_file("conf.d/README") == nullptr);
  // Included twice, walked twice: once in each location.
  size_t hosts = 0;
  walk(config, [&](const Directive& d, const std::vector<const Directive*>& blocks) {
    if (d.name.value == "proxy_set_header" && d.arg(0) == "Host") {
      ++hosts;
      REQUIRE(blocks.size() == 3);
      CHECK(blocks[0]->name.value == "http");
      CHECK(blocks[1]->name.value == "server");
      CHECK(blocks[2]->name.value == "location");
    }
  });
  CHECK(hosts == 2);

  const Config none = loaded("includes/nomatch/nginx.conf");
  REQUIRE(none.files.size() == 2);
  CHECK(none.files[1].label() == "empty.conf");
  CHECK(none.files[1].text.empty());
  CHECK(none.files[1].directives.empty());
  const auto* include = first_named(none, "include");
  REQUIRE(include != nullptr);
  CHECK(include->included.empty());
  CHECK(server_blocks(none).size() == 1);

  const Config outside = loaded("includes/outside/main/nginx.conf");
  REQUIRE(outside.files.size() == 2);
  CHECK(outside.files[1].relative.empty());
  CHECK(outside.files[1].label() ==
        fs::path(nginx_conf_data("includes/outside/common-upstreams.conf")).lexically_normal().string());
  CHECK(find_upstream(outside, "be_shared").has_value());
}

TEST_CASE("a config in a container: its absolute includes and links name the container's files",
          "[nginx_conf]") {
  // The host has files at the paths the container's config names; an
  // attached container's config must never read (and so never edit) them.
  ScratchDir host("faultline-nginx-host");
  ScratchDir root("faultline-nginx-root");
  const std::string conf_d = host.path() + "/conf.d";
  auto put = [](const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << text;
  };
  put(conf_d + "/shop.conf", "upstream be_host { server 10.0.0.1; }\n");
  put(root.path() + conf_d + "/shop.conf", "upstream be_container { server 10.0.0.2; }\n");
  put(root.path() + "/etc/nginx/nginx.conf",
      "events {}\nhttp {\n  include " + conf_d + "/*.conf;\n  include sites/*.conf;\n}\n");
  // A relative include whose folder is an absolute link in the container.
  fs::create_symlink(conf_d, root.path() + "/etc/nginx/sites");

  testing::RootedChild child(root.path());
  if (!child.rooted()) {
    FAULTLINE_SKIP("chroot(2) needs root (CAP_SYS_CHROOT)");
  }
  auto config = load(platform::container_path(child.pid(), "/etc/nginx/nginx.conf"));
  REQUIRE(config);
  REQUIRE(config->files.size() == 3);
  CHECK(config->files[1].path == platform::container_path(child.pid(), conf_d + "/shop.conf"));
  CHECK(config->files[1].text == "upstream be_container { server 10.0.0.2; }\n");
  CHECK(config->files[2].label() == "sites/shop.conf");
  CHECK(config->files[2].text == "upstream be_container { server 10.0.0.2; }\n");
  CHECK(find_upstream(*config, "be_container").has_value());
  CHECK_FALSE(find_upstream(*config, "be_host").has_value());
}

TEST_CASE("include errors: a missing file, a loop, a malformed include", "[nginx_conf]") {
  const std::string missing = error_of(load(nginx_conf_data("includes/missing/nginx.conf")));
  CHECK(missing.rfind("nginx.conf:4:5: include \"conf.d/absent.conf\": no such file ", 0) == 0);
  CHECK(missing.find("includes/missing/conf.d/absent.conf") != std::string::npos);
  CHECK(error_of(load(nginx_conf_data("includes/loop/nginx.conf"))) ==
        "b.conf:3:3: include loop: a.conf -> b.conf -> a.conf (remove one of these includes)");
  CHECK(error_of(parse_text("include a.conf b.conf;\n")) ==
        "nginx.conf:1:1: invalid number of arguments in \"include\" directive (it takes one path or glob)");
  CHECK(error_of(parse_text("http {\n  include x { }\n}\n"))
            .rfind("nginx.conf:2:3: directive \"include\" is not terminated by \";\"", 0) == 0);
  // parse_text keeps an include without following it.
  const auto kept = parse_text("include conf.d/*.conf;\n");
  REQUIRE(kept.ok());
  CHECK(kept->files.size() == 1);
  CHECK(kept->files[0].directives.at(0).arg(0) == "conf.d/*.conf");
}

TEST_CASE("upstreams, their servers and the hosts they name", "[nginx_conf]") {
  const Config config = loaded("prod/nginx.conf");
  const auto all = upstreams(config);
  std::vector<std::string> names;
  for (const auto& u : all) {
    names.push_back(u.name);
  }
  CHECK(names == std::vector<std::string>{"be_api", "be_static", "be_search"});

  const auto api = find_upstream(config, "be_api");
  REQUIRE(api.has_value());
  CHECK(where(config, *api->directive) == "nginx.conf:49:5");
  REQUIRE(api->servers.size() == 3);
  CHECK(api->servers[0].address == "api1:9000");
  CHECK(api->servers[0].host == "api1");
  CHECK(api->servers[0].port == 9000);
  CHECK(api->servers[0].params == std::vector<std::string>{"max_fails=3", "fail_timeout=10s"});
  CHECK(api->servers[0].param("fail_timeout") == "10s");
  CHECK_FALSE(api->servers[0].param("weight").has_value());
  CHECK(api->servers[1].param("weight") == "2");
  CHECK(api->servers[2].host == "10.0.3.7");
  CHECK(api->servers[2].param("backup") == "");
  CHECK(where(config, *api->servers[2].directive) == "nginx.conf:54:9");

  const auto search = find_upstream(config, "be_search");
  REQUIRE(search.has_value());
  CHECK(config.files[search->directive->file].label() == "conf.d/10-upstreams.conf");
  REQUIRE(search->servers.size() == 3);
  CHECK(search->servers[2].host == "unix:/run/search-local.sock");
  CHECK_FALSE(search->servers[2].port.has_value());
  CHECK(find_upstream(config, "be_static")->servers[1].param("down") == "");
  CHECK_FALSE(find_upstream(config, "be_nope").has_value());

  const auto api1 = servers_with_host(config, "api1");
  REQUIRE(api1.size() == 1);
  CHECK(api1[0].upstream == "be_api");
  CHECK(servers_with_host(config, "search2.internal").at(0).port == 9200);
  CHECK(servers_with_host(config, "nowhere").empty());
}

TEST_CASE("server blocks with their listen ports, and locations by their match", "[nginx_conf]") {
  const Config config = loaded("prod/nginx.conf");
  const auto blocks = server_blocks(config);
  REQUIRE(blocks.size() == 3);
  REQUIRE(blocks[0].listens.size() == 2);
  CHECK(blocks[0].listens[0].port == 8080);
  CHECK(blocks[0].listens[0].host.empty());
  CHECK(blocks[0].listens[1].host == "[::]");
  CHECK(blocks[0].listens[1].port == 8080);
  CHECK(blocks[0].names ==
        std::vector<std::string>{"shop.example.com", "~^www\\.shop\\.example\\.(com|net)$"});
  CHECK(blocks[1].listens.at(0).host == "127.0.0.1");
  CHECK(blocks[1].listens.at(0).port == 8081);
  CHECK(blocks[2].listens.at(0).port == 8082);
  CHECK(blocks[2].context == "http");
  CHECK(server_blocks(loaded("simple/nginx.conf")).at(0).listens.at(0).port == 80);

  std::vector<std::string> matches;
  for (const auto& l : locations(config)) {
    matches.push_back(l.match);
  }
  CHECK(matches == std::vector<std::string>{"/api", "~* \\.(css|js)$", "/search", "= /healthz", "/", "@app",
                                            "= /50x.html", "/status", "/metrics", "/reports", "/old"});
  const auto css = find_location(config, "~*   \\.(css|js)$");
  REQUIRE(css.has_value());
  CHECK(where(config, *css->directive) == "conf.d/20-shop.conf:26:5");
  CHECK(css->server == blocks[0].directive);
  CHECK(find_location(config, "/status")->server == blocks[1].directive);
  CHECK_FALSE(find_location(config, "/nope").has_value());
}

TEST_CASE("proxy_pass targets, pid and the logs", "[nginx_conf]") {
  const Config config = loaded("prod/nginx.conf");
  const auto passes = proxy_passes(config);
  REQUIRE(passes.size() == 5);
  CHECK(passes[0].scheme == "http");
  CHECK(passes[0].target == "be_api");
  CHECK(passes[0].names_upstream);
  CHECK(where(config, *passes[0].directive) == "conf.d/20-shop.conf:12:9");
  CHECK(passes[2].target == "be_search");
  CHECK(passes[2].uri == "/v2/");
  CHECK(passes[4].target == "metrics.internal:9113");
  CHECK_FALSE(passes[4].names_upstream);
  const auto unix_pass = proxy_passes(*parse_text("location / { proxy_pass http://unix:/run/a.sock:/x/; }"));
  CHECK(unix_pass.at(0).target == "unix:/run/a.sock");
  CHECK(unix_pass.at(0).uri == "/x/");

  const auto* p = pid(config);
  REQUIRE(p != nullptr);
  CHECK(p->arg(0) == "/run/nginx.pid");
  CHECK(where(config, *p) == "nginx.conf:8:1");
  CHECK(pid(loaded("simple/nginx.conf")) == nullptr);
  const auto errors = error_logs(config);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0]->values() == std::vector<std::string>{"/var/log/nginx/error.log", "warn"});
  std::vector<std::string> access;
  for (const auto* d : access_logs(config)) {
    access.push_back(d->arg(0));
  }
  CHECK(access ==
        std::vector<std::string>{"/var/log/nginx/access.log", "off", "off", "/var/log/nginx/admin.log"});
}

}  // namespace
}  // namespace faultline::stack::nginx_conf
