// The team's own stack in an experiment: load balancers and web servers run
// from the team's config files (`config:`) and programs of its own (`kind:
// process`). The files live in tests/data/experiments/own/, beside the
// config files and the folder they name.

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "harness/experiment/loader.h"
#include "tests/experiment/expect_diags.h"
#include "tests/test_data.h"

using namespace faultline::experiment;
using faultline::testing::expect_diags;
using faultline::testing::experiment_data;

namespace {

namespace fs = std::filesystem;

// A file or folder under tests/data/experiments/own/, as the loader stores
// it: absolute, normalised, without a trailing separator.
std::string own_data(const std::string& name) {
  return fs::path(experiment_data("own/" + name)).lexically_normal().string();
}

Experiment load(const std::string& name, Diagnostics& diags, const std::vector<Override>& overrides = {}) {
  return load_file(experiment_data("own/" + name), overrides, diags);
}

// An experiment of the given services whose load goes to `target`.
std::string with_services(const std::string& services, const std::string& target = "api") {
  return "title: t\n"
         "stack:\n"
         "  services:\n" +
         services +
         "load:\n"
         "  target: " +
         target +
         "\n"
         "  rate: 10/s\n"
         "  duration: 60s\n"
         "expect: hold\n";
}

const Service& service(const Experiment& exp, const std::string& name) {
  const Service* s = exp.stack.find(name);
  REQUIRE(s != nullptr);
  return *s;
}

}  // namespace

TEST_CASE("the documented example loads: the team's config files and programs, paths made absolute",
          "[experiment][loader][own]") {
  Diagnostics diags;
  const Experiment exp = load("good.yaml", diags);
  INFO(diags.format());
  REQUIRE(diags.items().empty());
  REQUIRE(exp.stack.services.size() == 4);

  const Service& lb = service(exp, "lb");
  CHECK(lb.kind == ServiceKind::haproxy);
  CHECK(lb.has_own_config());
  CHECK(lb.own.config == own_data("lb/haproxy.cfg"));
  CHECK(lb.own.config_pos.line == 8);
  CHECK(lb.own.config_pos.col == 15);
  CHECK(lb.port == 8080);
  CHECK(lb.is_load_balancer());
  CHECK(lb.backends == std::vector<std::string>{"api1", "api2", "static1"});
  CHECK(lb.own.command.empty());

  const Service& api1 = service(exp, "api1");
  CHECK(api1.kind == ServiceKind::process);
  CHECK_FALSE(api1.has_own_config());
  CHECK_FALSE(api1.is_load_balancer());
  CHECK(api1.own.command == std::vector<std::string>{"python3", "-m", "http.server", "9000"});
  CHECK(api1.own.command_pos.line == 13);
  CHECK(api1.own.command_pos.col == 16);
  CHECK(api1.port == 9000);
  CHECK_FALSE(api1.own.ready.tcp);
  CHECK(api1.own.ready.http_path == "/health");
  CHECK(api1.own.env == std::map<std::string, std::string>{{"APP_MODE", "staging"}});
  CHECK(api1.own.workdir == own_data("app"));

  // One string, split on blanks; no ready: up once the port accepts a
  // connection; no workdir: the experiment file's folder.
  const Service& api2 = service(exp, "api2");
  CHECK(api2.kind == ServiceKind::process);
  CHECK(api2.own.command == std::vector<std::string>{"python3", "app.py"});
  CHECK(api2.own.ready.tcp);
  CHECK(api2.own.env.empty());
  CHECK(api2.own.workdir == fs::path(own_data("good.yaml")).parent_path().string());
  CHECK(fs::path(api2.own.workdir).filename() == "own");

  // nginx with config and no backends is a web server, a backend of lb.
  const Service& static1 = service(exp, "static1");
  CHECK(static1.kind == ServiceKind::nginx);
  CHECK(static1.has_own_config());
  CHECK(static1.own.config == own_data("web/nginx.conf"));
  CHECK_FALSE(static1.is_load_balancer());
  CHECK(static1.port == 80);
}

TEST_CASE("an nginx load balancer runs from its config with processes as backends, absolute paths as written",
          "[experiment][loader][own]") {
  const std::string services = "    edge: { kind: nginx, config: " + own_data("web/nginx.conf") +
                               ", port: 8080, backends: [api, web] }\n"
                               "    api: { kind: process, command: [./server], port: 9000, workdir: " +
                               own_data("app") +
                               "/ }\n"
                               "    web: { kind: app }\n";
  Diagnostics diags;
  const Experiment exp = load_string(with_services(services, "edge"), "edge.yaml", {}, diags);
  INFO(diags.format());
  REQUIRE(diags.items().empty());
  const Service& edge = service(exp, "edge");
  CHECK(edge.is_load_balancer());
  CHECK(edge.own.config == own_data("web/nginx.conf"));
  CHECK(edge.backends == std::vector<std::string>{"api", "web"});
  CHECK(service(exp, "api").own.workdir == own_data("app"));
}

TEST_CASE("a service's paths in an override resolve from the experiment file's folder too",
          "[experiment][loader][own][overrides]") {
  Diagnostics diags;
  const Experiment exp = load(
      "good.yaml", diags,
      {{"stack.services.api2.workdir", "lb"}, {"stack.services.static1.config", "lb/../web/nginx.conf"}});
  INFO(diags.format());
  REQUIRE(diags.items().empty());
  CHECK(service(exp, "api2").own.workdir == own_data("lb"));
  CHECK(service(exp, "static1").own.config == own_data("web/nginx.conf"));
}

TEST_CASE("without an experiment file, paths resolve from the working directory",
          "[experiment][loader][own]") {
  Diagnostics diags;
  const Experiment exp = load_string(with_services("    api: { kind: process, command: app, port: 9000 }\n"),
                                     "text.yaml", {}, diags);
  INFO(diags.format());
  REQUIRE(diags.items().empty());
  CHECK(service(exp, "api").own.workdir == fs::current_path().lexically_normal().string());
}

TEST_CASE("one command string is split at runs of blanks, with no quoting", "[experiment][loader][own]") {
  SECTION("spaces, tabs and a folded line break separate words") {
    const std::string services =
        "    api:\n"
        "      kind: process\n"
        "      port: 9000\n"
        "      command: \"  gunicorn\\t-w 4   app:wsgi\\n--bind=0.0.0.0:9000 \"\n";
    Diagnostics diags;
    const Experiment exp = load_string(with_services(services), "split.yaml", {}, diags);
    INFO(diags.format());
    REQUIRE(diags.items().empty());
    CHECK(service(exp, "api").own.command ==
          std::vector<std::string>{"gunicorn", "-w", "4", "app:wsgi", "--bind=0.0.0.0:9000"});
  }
  SECTION("list items are kept whole, numbers as text, blanks inside an item and empty arguments too") {
    const std::string services =
        "    api: { kind: process, port: 9000, command: [sh, -c, \"exec app 2\", \"\", 9000] }\n";
    Diagnostics diags;
    const Experiment exp = load_string(with_services(services), "list.yaml", {}, diags);
    INFO(diags.format());
    REQUIRE(diags.items().empty());
    CHECK(service(exp, "api").own.command == std::vector<std::string>{"sh", "-c", "exec app 2", "", "9000"});
  }
  SECTION("quotes inside one string reach the program as they are: a warning, not an error") {
    const std::string services = "    api: { kind: process, port: 9000, command: \"sh -c 'exec app'\" }\n";
    Diagnostics diags;
    const Experiment exp = load_string(with_services(services), "quotes.yaml", {}, diags);
    CHECK_FALSE(diags.has_errors());
    expect_diags(diags, {{4, 48, "'command' is split at blanks, without quoting", "write it as a list"}});
    CHECK(diags.items()[0].severity == Severity::warning);
    CHECK(service(exp, "api").own.command == std::vector<std::string>{"sh", "-c", "'exec", "app'"});
  }
}

TEST_CASE("config beside the keys its file decides, on the wrong kind, or naming no file is refused",
          "[experiment][loader][own][bad-config]") {
  Diagnostics diags;
  load("bad_config.yaml", diags);
  const std::string belongs = "belongs in lb/haproxy.cfg now: with config:, the team's file decides";
  expect_diags(
      diags,
      {{8, 7, "'balance' cannot be set beside 'config'",
        "'balance' " + belongs + " how lb balances (remove it here)"},
       {9, 7, "'weights' cannot be set beside 'config'", "'weights' " + belongs},
       {10, 7, "'health_check' cannot be set beside 'config'", "'health_check' " + belongs},
       {11, 7, "'timeouts' cannot be set beside 'config'", "'timeouts' " + belongs},
       {12, 7, "'maxconn' cannot be set beside 'config'", "'maxconn' " + belongs},
       {13, 7, "'retries' cannot be set beside 'config'", "'retries' " + belongs},
       {14, 7, "'retry_on' cannot be set beside 'config'", "'retry_on' " + belongs},
       {15, 7, "'redispatch' cannot be set beside 'config'", "'redispatch' " + belongs},
       {16, 7, "'hash_balance_factor' cannot be set beside 'config'", "'hash_balance_factor' " + belongs},
       {17, 7, "'command' is for kind: process", "'lb' is kind haproxy: remove 'command'"},
       {18, 7, "'workdir' is for kind: process", "'lb' is kind haproxy: remove 'workdir'"},
       // The same error as without config, its hint naming the file.
       {19, 5, "haproxy service 'gate' needs 'backends'", "list the services lb/haproxy.cfg routes to"},
       {20, 49, "'capacity' cannot be set beside 'config'",
        "'capacity' belongs in web/nginx.conf now: with config:, the team's file decides how much web "
        "serves"},
       {20, 73, "'ready' is for kind: process", "'web' is kind nginx"},
       {21, 55, "'config' is for kind haproxy or nginx", "hand the program its config in its command"},
       {22, 26, "'config' is for kind haproxy or nginx", "'worker' is kind app"},
       {22, 50, "'env' is for kind: process", "'worker' is kind app: remove 'env'"},
       {23, 34, "no such file: web/ngnix.conf (looked in " + own_data("web/ngnix.conf") + ")",
        "a relative path starts at the experiment file's folder"},
       {24, 36, "'config' must name a file, but web is a directory (looked in " + own_data("web") + ")",
        "name the file nginx reads, e.g. web/nginx.conf"},
       {25, 35, "'config' must not be empty",
        "the team's nginx file, relative to the experiment file's folder"}});
}

TEST_CASE("a config file that cannot be read is refused at its value",
          "[experiment][loader][own][bad-config]") {
  const fs::path dir = fs::temp_directory_path() / ("faultline-own-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path file = dir / "haproxy.cfg";
  std::ofstream(file) << "defaults\n";
  fs::permissions(file, fs::perms::none);
  const bool readable = std::ifstream(file).good();  // root reads any file
  Diagnostics diags;
  load_string(with_services("    lb: { kind: haproxy, config: " + file.string() +
                                ", backends: [api] }\n"
                                "    api: { kind: app }\n",
                            "lb"),
              "unreadable.yaml", {}, diags);
  fs::remove_all(dir);
  if (readable) {
    WARN("every file is readable to this user: the unreadable case is not exercised");
    CHECK(diags.items().empty());
    return;
  }
  expect_diags(diags, {{4, 34, "cannot read " + file.string() + ": Permission denied", "must be readable"}});
}

TEST_CASE(
    "a process without its command or port, or with a command, ready, env or workdir written wrong, "
    "is refused",
    "[experiment][loader][own][bad-config]") {
  Diagnostics diags;
  load("bad_process.yaml", diags);
  const std::string command_hint = "the program and its arguments, e.g. command: [\"python3\", \"app.py\"]";
  const std::string ready_hint = "e.g. ready: { http: /health } or ready: { tcp: true }";
  expect_diags(diags,
               {{4, 5, "missing required key 'command' in service 'bare'", command_hint},
                {4, 5, "missing required key 'port' in service 'bare'", "the port the program listens on"},
                {5, 38, "'command' must not be empty", command_hint},
                {6, 37, "'command' must not be empty", command_hint},
                {7, 45, "each item of 'command' must be a single value, not a map", "quote an argument"},
                {7, 55, "each item of 'command' must be a single value, not a list", "quote an argument"},
                {8, 40, "the program, the first item of 'command', must not be empty",
                 "name the program to run first"},
                {9, 39, "'command' must be a list or one string, not a map", command_hint},
                {12, 7, "'command' has no value", command_hint},
                {14, 61, "'ready' must be a map of keys, not a single value ('tcp')", ready_hint},
                {15, 64, "'ready' needs 'http' or 'tcp'", ready_hint},
                {16, 78, "'ready' takes one of 'http' and 'tcp', not both", "keep http"},
                {17, 72, "'http' must start with '/', not 'health'", "e.g. http: /health"},
                {18, 70, "'tcp' can only be true", "for an HTTP answer write http: /health"},
                {19, 63, "unknown key 'htp' in ready of 'typo'", "did you mean 'http'?"},
                {20, 62, "'env' must be a map of keys, not a list", "write NAME: value pairs"},
                {25, 14, "invalid environment variable name 'APP-MODE'",
                 "a letter or '_', then letters, digits or '_'"},
                {25, 27, "invalid environment variable name '1ST'", "a letter or '_'"},
                {25, 42, "duplicate key 'OK' in env of 'envbad'", "it is already set on line 25"},
                {25, 49, "'EMPTY' has no value", "write EMPTY: \"\" for an empty value"},
                {25, 64, "the value of 'DEEP' must be a single value, not a map", "quote it"},
                {26, 64, "no such directory: nowhere/ (looked in " + own_data("nowhere") + ")",
                 "a relative path starts at the experiment file's folder"},
                {27, 64, "'workdir' must name a directory, but lb/haproxy.cfg is a file",
                 "name the folder the program runs in"},
                {28, 58, "service 'balanced' of kind process cannot have backends",
                 "only haproxy and nginx balance load"},
                {28, 76, "'capacity' applies only to backends", "'balanced' is a load balancer"},
                {29, 56, "'capacity' does not apply to kind process", "(remove it here)"},
                {29, 82, "'balance' applies only to load balancers", "'capped' has no backends"}});
}

TEST_CASE("an empty workdir or one that is an absolute path to nowhere is refused at its value",
          "[experiment][loader][own][bad-config]") {
  const std::string services =
      "    api: { kind: process, command: app, port: 9000, workdir: \"\" }\n"
      "    api2: { kind: process, command: app, port: 9000, workdir: /nonexistent/faultline }\n";
  Diagnostics diags;
  load_string(with_services(services), "workdir.yaml", {}, diags);
  expect_diags(diags, {{4, 62, "'workdir' must not be empty", "the folder the program runs in"},
                       {5, 63, "no such directory: /nonexistent/faultline (looked in /nonexistent/faultline)",
                        "must exist on this machine"}});
}

TEST_CASE("a process with several of its settings valid keeps them all", "[experiment][loader][own]") {
  const std::string services =
      "    api:\n"
      "      kind: process\n"
      "      command: [app]\n"
      "      port: 9000\n"
      "      ready: { tcp: true }\n"
      "      env: { _PRIVATE: \"\", PORT: 9000, DEBUG: true, Mixed_Case9: x }\n";
  Diagnostics diags;
  const Experiment exp = load_string(with_services(services), "env.yaml", {}, diags);
  INFO(diags.format());
  REQUIRE(diags.items().empty());
  const Service& api = service(exp, "api");
  CHECK(api.own.ready.tcp);
  CHECK(api.own.env == std::map<std::string, std::string>{
                           {"_PRIVATE", ""}, {"PORT", "9000"}, {"DEBUG", "true"}, {"Mixed_Case9", "x"}});
}

TEST_CASE("an unknown kind lists process among the kinds, and a missing kind checks no kind's keys",
          "[experiment][loader][own][bad-config]") {
  const std::string services =
      "    api: { kind: proces, command: app, port: 9000 }\n"
      "    web: { config: web/nginx.conf, workdir: app }\n";
  Diagnostics diags;
  load_string(with_services(services), "kind.yaml", {}, diags);
  expect_diags(diags, {{4, 18, "unknown kind 'proces'", "did you mean 'process'?"},
                       {5, 5, "missing required key 'kind' in service 'web'"}});
}

TEST_CASE("the example of EXPERIMENT_FORMAT.md is the stack of own/good.yaml, which loads",
          "[experiment][loader][own][docs]") {
  const auto read = [](const std::string& path) {
    std::ifstream in(path);
    REQUIRE(in);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string doc = read(std::string(FAULTLINE_SOURCE_DIR) + "/docs/EXPERIMENT_FORMAT.md");
  const size_t section = doc.find("### Your own stack: config files and processes");
  REQUIRE(section != std::string::npos);
  const size_t open = doc.find("```yaml\n", section);
  REQUIRE(open != std::string::npos);
  const size_t begin = open + 8;
  const size_t end = doc.find("```", begin);
  REQUIRE(end != std::string::npos);
  const std::string example = doc.substr(begin, end - begin);
  CHECK(example.rfind("stack:\n", 0) == 0);
  CHECK(read(experiment_data("own/good.yaml")).find(example) != std::string::npos);
}
