// set_for_upstream (faults/common/lb_team_edit.h), what lb_timeout with
// `backend` does to a team's nginx.conf: a proxy_* directive changes in the
// locations passing to one upstream and nowhere else, a nested location
// passing elsewhere keeps the value it had, and an edit that would reach
// another location through a shared included file is refused.

#include <catch2/catch.hpp>
#include <fstream>

#include "faults/common/lb_team_edit.h"
#include "lb_own_support.h"

using faultline::Status;
using faultline::faults::locations_passing_to;
using faultline::faults::set_for_upstream;
using faultline::faults::TeamConfig;
using faultline::faults::testing::replaced;
using faultline::faults::testing::TempDir;

namespace {

// nginx.conf in a folder of its own, with `included` beside it as
// timeouts.conf, read as a load balancer's copy is read.
struct NginxCopy {
  NginxCopy(const std::string& main, const std::string& included = {}) {
    std::ofstream(dir.path + "/nginx.conf") << main;
    if (!included.empty()) {
      std::ofstream(dir.path + "/timeouts.conf") << included;
    }
    auto loaded = TeamConfig::load(faultline::experiment::ServiceKind::nginx, dir.path + "/nginx.conf");
    INFO((loaded ? std::string() : loaded.error().message));
    REQUIRE(loaded);
    config = std::move(*loaded);
  }

  std::string text(const std::string& file = "nginx.conf") const {
    return config.nginx().text(dir.path + "/" + file);
  }

  TempDir dir;
  TeamConfig config;
};

const char* const kNested = R"(events {}
http {
    proxy_read_timeout 5s;
    upstream be_api { server api1:9000; }
    upstream be_web { server web1:80; }
    upstream be_idle { server idle1:80; }
    server {
        listen 8080;
        location /api {
            proxy_pass http://be_api;
            location /api/web {
                proxy_pass http://be_web;
            }
            location /api/own {
                proxy_pass http://be_web;
                proxy_read_timeout 7s;
            }
        }
        location /web {
            proxy_pass http://be_web;
        }
        location /cond {
            if ($arg_x) {
                proxy_pass http://be_api;
            }
        }
    }
}
)";

}  // namespace

TEST_CASE("set_for_upstream changes the locations passing to the upstream and no other",
          "[faults][own][edit]") {
  NginxCopy copy(kNested);
  CHECK(locations_passing_to(copy.config, "be_api") == 2);  // /api, and /cond through its `if`
  CHECK(locations_passing_to(copy.config, "be_web") == 3);
  CHECK(locations_passing_to(copy.config, "be_idle") == 0);
  const Status st = set_for_upstream(copy.config, "be_api", "proxy_read_timeout", {"1ms"}, {"60s"});
  INFO((st ? std::string() : st.error().message));
  REQUIRE(st);
  // /api/web, inside /api, would inherit the new value: it keeps the http
  // block's 5s. /api/own writes its own and /web passes elsewhere: as they
  // were. /api and /cond get the line after their last directive.
  std::string expected = replaced(
      kNested, "                proxy_pass http://be_web;\n            }\n            location /api/own",
      "                proxy_pass http://be_web;\n                proxy_read_timeout 5s;\n"
      "            }\n            location /api/own");
  expected =
      replaced(expected, "                proxy_read_timeout 7s;\n            }\n        }\n",
               "                proxy_read_timeout 7s;\n            }\n            proxy_read_timeout 1ms;\n"
               "        }\n");
  expected = replaced(
      expected, "                proxy_pass http://be_api;\n            }\n",
      "                proxy_pass http://be_api;\n            }\n            proxy_read_timeout 1ms;\n");
  CHECK(copy.text() == expected);

  // Done again, it finds nothing left to change.
  REQUIRE(set_for_upstream(copy.config, "be_api", "proxy_read_timeout", {"1ms"}, {"60s"}));
  CHECK(copy.text() == expected);
}

TEST_CASE("set_for_upstream gives a nested location nginx's default when nothing around it sets one",
          "[faults][own][edit]") {
  NginxCopy copy(
      "http {\n"
      "    upstream a { server a1:80; }\n"
      "    upstream b { server b1:80; }\n"
      "    server {\n"
      "        location / {\n"
      "            proxy_pass http://a;\n"
      "            location /b {\n"
      "                proxy_pass http://b;\n"
      "            }\n"
      "        }\n"
      "    }\n"
      "}\n");
  REQUIRE(set_for_upstream(copy.config, "a", "proxy_connect_timeout", {"2ms"}, {"60s"}));
  CHECK(copy.text() ==
        "http {\n"
        "    upstream a { server a1:80; }\n"
        "    upstream b { server b1:80; }\n"
        "    server {\n"
        "        location / {\n"
        "            proxy_pass http://a;\n"
        "            location /b {\n"
        "                proxy_pass http://b;\n"
        "                proxy_connect_timeout 60s;\n"
        "            }\n"
        "            proxy_connect_timeout 2ms;\n"
        "        }\n"
        "    }\n"
        "}\n");
}

TEST_CASE("set_for_upstream edits an included file only when no other location includes it",
          "[faults][own][edit][bad-config]") {
  const std::string main =
      "http {\n"
      "    upstream a { server a1:80; }\n"
      "    upstream b { server b1:80; }\n"
      "    server {\n"
      "        location /a { proxy_pass http://a; include timeouts.conf; }\n"
      "        location /b { proxy_pass http://b; %s}\n"
      "    }\n"
      "}\n";
  const std::string included = "proxy_read_timeout 5s;\n";
  {
    NginxCopy copy(replaced(main, "%s", ""), included);
    REQUIRE(set_for_upstream(copy.config, "a", "proxy_read_timeout", {"1ms"}, {"60s"}));
    CHECK(copy.text("timeouts.conf") == "proxy_read_timeout 1ms;\n");
    CHECK(copy.text() == replaced(main, "%s", ""));
  }
  NginxCopy shared(replaced(main, "%s", "include timeouts.conf; "), included);
  const Status st = set_for_upstream(shared.config, "a", "proxy_read_timeout", {"1ms"}, {"60s"});
  REQUIRE_FALSE(st);
  CHECK_THAT(st.error().message,
             Catch::Matchers::EndsWith(
                 "the location passing to upstream \"a\" takes proxy_read_timeout from timeouts.conf, which "
                 "another location includes too: changing it there would change that location as well"));
  CHECK(shared.text("timeouts.conf") == included);
}

TEST_CASE("set_for_upstream refuses an upstream no location passes to", "[faults][own][edit][bad-config]") {
  NginxCopy copy(kNested);
  const Status st = set_for_upstream(copy.config, "be_idle", "proxy_read_timeout", {"1ms"}, {"60s"});
  REQUIRE_FALSE(st);
  CHECK(st.error().message == "no location of the configuration passes requests to upstream \"be_idle\"");
  CHECK(copy.text() == kNested);
}

TEST_CASE("lb_timeout refuses an upstream no location passes to when the step is checked",
          "[faults][own][lb_timeout][bad-config]") {
  TempDir dir;
  std::ofstream(dir.path + "/nginx.conf")
      << "events {}\n"
         "http {\n"
         "    upstream be_api { server api1:9000; }\n"
         "    upstream be_idle { server api2:9000; }\n"
         "    server { listen 8080; location / { proxy_pass http://be_api; } }\n"
         "}\n";
  const std::string stack = fmt::format(R"(version: 1
title: t
stack:
  services:
    lb: {{ kind: nginx, config: {}/nginx.conf, port: 8080, backends: [api1, api2] }}
    api1: {{ kind: app }}
    api2: {{ kind: app }}
load: {{ target: lb, rate: 10/s, duration: 10s }}
expect: breach
method:
)",
                                        dir.path);
  const faultline::faults::testing::BoundMethod bound(stack,
                                                      "  - { at: 1s, fault: lb_timeout, target: lb, params: "
                                                      "{ timeout: server, value: 1ms, backend: be_idle } }\n"
                                                      "  - { at: 1s, fault: lb_timeout, target: lb, params: "
                                                      "{ timeout: server, value: 1ms, backend: be_api } }\n");
  const std::string text = bound.diags.format();
  INFO(text);
  CHECK(bound.faults.size() == 1);  // be_api's
  CHECK_THAT(text,
             Catch::Matchers::Contains(
                 "t.yaml:11:94: error: " + dir.path +
                 "/nginx.conf: no location passes requests to upstream 'be_idle' (a proxy_pass naming it), "
                 "so it has no proxy timeouts to change"));
  CHECK_THAT(text, Catch::Matchers::Contains(
                       "hint: name an upstream a location's proxy_pass names, or leave 'backend' out"));
}
