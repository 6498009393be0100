// The text of `faultline plan` (harness/runner/plan_view.h): a team's
// config as the run's copy with faultline's changes marked, and the stack,
// load, method and objectives of a validated experiment, against a plan
// made by hand so the addresses do not depend on this host.

#include "harness/runner/plan_view.h"

#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "harness/common/text.h"
#include "tests/test_data.h"

namespace {

namespace fs = std::filesystem;
using faultline::runner::CopiedConfigFile;
using faultline::runner::format_config_copy;
using faultline::runner::format_plan;
using faultline::runner::PlanView;
using faultline::runner::PreparedConfigView;
using faultline::testing::experiment_data;

std::string test_dir(const std::string& name) {
  // Under TMPDIR: the unit tests also run as an ordinary user, who cannot
  // write into a build folder root made.
  const std::string dir =
      (fs::temp_directory_path() / ("faultline-plan-view-" + std::to_string(::getuid()) + "/" + name))
          .string();
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

faultline::runner::ValidatedExperiment validated(const std::string& path) {
  faultline::experiment::Diagnostics diags(path);
  auto v = faultline::runner::validate(path, {}, diags);
  INFO(diags.format());
  REQUIRE(v.has_value());
  return std::move(*v);
}

// The addresses a run would give the services of `exp`, in order, on
// 10.213.250.0/24.
faultline::stack::Plan plan_for(const faultline::experiment::Experiment& exp) {
  faultline::stack::Plan plan;
  plan.subnet = "10.213.250.0/24";
  plan.bridge_address = "10.213.250.1";
  int host = 10;
  for (const auto& s : exp.stack.services) {
    faultline::stack::PlannedService p;
    p.name = s.name;
    p.kind = s.kind;
    p.address = "10.213.250." + std::to_string(host++);
    p.port = s.port;
    plan.services.push_back(p);
  }
  return plan;
}

// The lines of `text` from the one starting with `first` up to (without)
// the next empty line.
std::string block(const std::string& text, const std::string& first) {
  const size_t begin = text.find(first);
  if (begin == std::string::npos) {
    return "(no line starting with '" + first + "')";
  }
  const size_t end = text.find("\n\n", begin);
  return text.substr(begin, end == std::string::npos ? std::string::npos : end + 1 - begin);
}

}  // namespace

TEST_CASE("a copy is listed beside the team's line numbers, each change marked with its reason",
          "[runner][plan]") {
  CopiedConfigFile file;
  file.shown_path = "lb/haproxy.cfg";
  file.team_text =
      "global\n"
      "    pidfile /run/haproxy.pid\n"
      "    daemon\n"
      "    maxconn 100\n"
      "\n"
      "defaults\n"
      "    mode http\n";
  file.copy_text =
      "global\n"
      "    pidfile <run folder>/lb/haproxy.pid\n"
      "    maxconn 100\n"
      "    stats socket <run folder>/lb/admin.sock mode 600 level admin\n"
      "\n"
      "defaults\n"
      "    mode http\n";
  file.changes = {{"/team/lb/haproxy.cfg", 2, "pidfile a -> b", "the pid goes in the run's folder"},
                  {"/team/lb/haproxy.cfg", 4, "added: stats socket", "faultline's runtime API socket"}};
  PreparedConfigView config;
  config.service = "lb";
  config.copy_path = "<run folder>/lb/haproxy.cfg";
  config.files = {file};

  // The pidfile changed ("~", with what it was), the daemon line is not in
  // the copy ("-"), the stats socket is new ("+"); the rest is the team's,
  // numbered as in the team's file.
  CHECK(format_config_copy(config) ==
        "lb: the team's lb/haproxy.cfg, run as the copy <run folder>/lb/haproxy.cfg, changed in 2 places\n"
        "    1   global\n"
        "    2 ~     pidfile <run folder>/lb/haproxy.pid\n"
        "      ^ was: pidfile /run/haproxy.pid\n"
        "      ^ why: the pid goes in the run's folder\n"
        "    3 -     daemon\n"
        "    4       maxconn 100\n"
        "      +     stats socket <run folder>/lb/admin.sock mode 600 level admin\n"
        "      ^ why: faultline's runtime API socket\n"
        "    5\n"
        "    6   defaults\n"
        "    7       mode http\n");
}

TEST_CASE("an included file faultline changed is listed after the main one, the others are named",
          "[runner][plan]") {
  PreparedConfigView config;
  config.service = "web";
  config.copy_path = "<run folder>/web/conf/nginx.conf";
  CopiedConfigFile main;
  main.shown_path = "web/nginx.conf";
  main.team_text = "include conf.d/*.conf;\n";
  main.copy_text = main.team_text;
  CopiedConfigFile included;
  included.shown_path = "web/conf.d/logs.conf";
  included.team_text = "error_log /var/log/nginx/error.log;\n";
  included.copy_text = "error_log <run folder>/web/error.log;\n";
  included.changes = {{"/team/web/conf.d/logs.conf", 1, "error_log <run folder>/web/error.log;",
                       "the run's logs go to its folder"}};
  config.files = {main, included};
  config.unchanged = {"web/conf.d/app.conf"};

  CHECK(
      format_config_copy(config) ==
      "web: the team's web/nginx.conf, run as the copy <run folder>/web/conf/nginx.conf, changed in 1 place\n"
      "    1   include conf.d/*.conf;\n"
      "  web/conf.d/logs.conf, a file it includes:\n"
      "    1 ~ error_log <run folder>/web/error.log;\n"
      "      ^ was: error_log /var/log/nginx/error.log;\n"
      "      ^ why: the run's logs go to its folder\n"
      "  also read, as the team wrote them: web/conf.d/app.conf\n");

  config.files.clear();
  config.error = "no such config file: web/nginx.conf";
  CHECK(format_config_copy(config) ==
        "web: no copy of the team's config could be prepared: no such config file: web/nginx.conf\n");
}

TEST_CASE("the plan tells the stack, the load, the method in time order and the objectives",
          "[runner][plan]") {
  const std::string dir = test_dir("whole");
  fs::create_directories(dir + "/app");
  const std::string path = dir + "/exp.yaml";
  std::ofstream(path) << "version: 1\n"
                         "title: t\n"
                         "stack:\n"
                         "  services:\n"
                         "    lb: { kind: haproxy, backends: [web1, api], weights: { web1: 3 } }\n"
                         "    web1: { kind: nginx, capacity: { rps: 300, burst: 50 } }\n"
                         "    api:\n"
                         "      kind: process\n"
                         "      command: [sh, -c, \"exec sleep 1000\"]\n"
                         "      port: 9000\n"
                         "      workdir: app\n"
                         "      env: { MODE: \"a b\" }\n"
                         "load: { target: lb, rate: 20/s, duration: 30s, ramp: 5s, connections: 4 }\n"
                         "slo:\n"
                         "  objectives: [{ name: availability, expr: \"error_rate < 1%\" }]\n"
                         "  steady_state: 5s\n"
                         "  abort_when: \"error_rate > 50% for 5s\"\n"
                         "expect: hold\n"
                         "method:\n"
                         "  - at: 15s\n"
                         "    fault: lb_config\n"
                         "    target: lb\n"
                         "    params:\n"
                         "      section: backend\n"
                         "      fragment: |\n"
                         "        timeout server 2s\n"
                         "        retries 3\n"
                         "  - { at: 12s, note: \"paged the on-call\" }\n"
                         "  - { at: 10s, fault: lb_weight, target: lb, params: { server: web1, weight: 8 }, "
                         "duration: 5s }\n";
  const auto v = validated(path);
  PlanView view;
  view.v = &v;
  view.plan = plan_for(v.exp);
  view.commands["api"] = {"/bin/sh", "-c", "exec sleep 1000"};
  const std::string text = format_plan(view);
  INFO(text);

  CHECK(faultline::starts_with(text, "exp.yaml: what 'faultline run' would do; nothing was started\n"));
  CHECK(
      block(text, "Stack:") ==
      "Stack: 3 services, runtime netns, on 10.213.250.0/24 (the host's end of the bridge: 10.213.250.1)\n"
      "  addresses as a run started now would get them: without stack.subnet each run picks a free /24 of "
      "10.213.0.0/16 afresh, so another run may get others\n"
      "  lb    haproxy  10.213.250.10:80\n"
      "        config: rendered by faultline from the experiment (--configs prints it): balance roundrobin\n"
      "        backends: web1 (weight 3), api\n"
      "  web1  nginx    10.213.250.11:80\n"
      "        config: rendered by faultline (--configs prints it): answers with 200 and names itself in the "
      "X-Backend header, sheds with 503 beyond 300/s (burst 50)\n"
      "  api   process  10.213.250.12:9000\n"
      "        command: /bin/sh -c 'exec sleep 1000'\n"
      "        workdir: app\n"
      "        env: 'MODE=a b' (added to faultline's own environment)\n"
      "        ready: up once port 9000 accepts a TCP connection\n");
  // No team config: no section for it.
  CHECK(text.find("Configs as a run starts them") == std::string::npos);
  CHECK(block(text, "Load:") ==
        "Load: 20/s to lb at 10.213.250.10:80, path /, for 30s\n"
        "  ramp: the rate grows from 0 to 20/s over the first 5s\n"
        "  connections: 4 opened before the first request, at most " +
            std::to_string(v.exp.load.max_connections) + "; 100 users; each request times out after 2s\n");
  // The steps in time order, not the file's; the revert of lb_weight
  // before the inject at the same instant; a fault without a duration
  // reverted when the load ends; a fragment over several lines as a block.
  const std::string does_config = v.faults[0].fault->describe();
  const std::string does_weight = v.faults[1].fault->describe();
  CHECK(block(text, "Method") ==
        "Method (t+ counts from the start of the load, which ends at t+30s):\n"
        "  t+10s  inject lb_weight on lb, reverted at t+15s (after 5s)\n"
        "         params: {server: web1, weight: 8}\n"
        "         does: " +
            does_weight +
            "\n"
            "  t+12s  note: paged the on-call\n"
            "  t+15s  revert lb_weight on lb\n"
            "  t+15s  inject lb_config on lb, in force until the load ends (t+30s)\n"
            "         params:\n"
            "           section: backend\n"
            "           fragment: |\n"
            "             timeout server 2s\n"
            "             retries 3\n"
            "         does: " +
            does_config +
            "\n"
            "  t+30s  the load ends; revert lb_config on lb\n");
  CHECK(block(text, "SLO:") ==
        "SLO: objectives judged in windows of 1s\n"
        "  availability  error_rate < 1%\n"
        "  steady state: the objectives must hold over the 5s before the first fault, or nothing is injected "
        "(exit 4)\n"
        "  abort when: error_rate > 50% for 5s (faults reverted at once, exit 5)\n"
        "Expect: hold, a regression test: met when every objective holds in every window\n");
}

TEST_CASE("without addresses the plan says why and still tells the rest", "[runner][plan]") {
  const auto v = validated(experiment_data("good_minimal.yaml"));
  PlanView view;
  view.v = &v;
  view.plan =
      faultline::Error{"stack.subnet 10.213.0.0/24 overlaps 10.213.0.0/16, which this host already uses"};
  const std::string text = format_plan(view);
  INFO(text);
  CHECK(text.find("; no addresses: stack.subnet 10.213.0.0/24 overlaps") != std::string::npos);
  CHECK(text.find("addresses as a run started now") == std::string::npos);
  // Ports only, and the load's target without an address.
  CHECK(text.find("port 80\n") != std::string::npos);
  CHECK(text.find(" at 10.213.") == std::string::npos);
  CHECK(text.find("\nLoad: ") != std::string::npos);
  CHECK(text.find("\nExpect: ") != std::string::npos);
}

TEST_CASE("gather_plan prepares the team's configs as a run's copies and leaves no scratch folder",
          "[runner][plan]") {
  const std::string experiment = experiment_data("own/good.yaml");
  const std::string team_file = experiment_data("own/lb/haproxy.cfg");
  const std::string team_before = faultline::read_text(team_file);
  // A temporary folder of the test's own, so that what is left in it is
  // what gather_plan left (other tests make scratch folders too).
  const std::string tmp = test_dir("tmp");
  faultline::runner::PlanOptions options;
  options.registry_dir = test_dir("registry");
  const char* tmpdir_before = std::getenv("TMPDIR");
  const std::string tmpdir_saved = tmpdir_before != nullptr ? tmpdir_before : "";
  ::setenv("TMPDIR", tmp.c_str(), 1);
  const auto v = validated(experiment);
  const PlanView view = faultline::runner::gather_plan(v, options);
  if (tmpdir_before != nullptr) {
    ::setenv("TMPDIR", tmpdir_saved.c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }

  REQUIRE(view.configs.size() == 2);
  const auto& lb = view.configs[0];
  CHECK(lb.service == "lb");
  CHECK(lb.error.empty());
  CHECK(lb.copy_path == "<run folder>/lb/haproxy.cfg");
  REQUIRE(lb.files.size() == 1);
  CHECK(lb.files[0].shown_path == "lb/haproxy.cfg");
  CHECK(lb.files[0].team_text == team_before);
  // The changes are the copy's, told at the lines of the copy they name,
  // every path in the run's folder rather than the scratch one.
  REQUIRE_FALSE(lb.files[0].changes.empty());
  const auto copy_lines = faultline::split_lines(lb.files[0].copy_text);
  for (const auto& c : lb.files[0].changes) {
    REQUIRE(c.line >= 1);
    REQUIRE(c.line <= copy_lines.size());
    CHECK(c.what.find(faultline::trim(copy_lines[c.line - 1])) != std::string::npos);
  }
  CHECK(lb.files[0].copy_text.find("<run folder>/lb/admin.sock") != std::string::npos);
  CHECK(view.configs[1].service == "static1");
  CHECK(view.configs[1].copy_path == "<run folder>/static1/conf/nginx.conf");

  const std::string text = format_plan(view);
  INFO(text);
  CHECK(text.find(tmp) == std::string::npos);
  CHECK(text.find("(<run folder> is " + options.registry_dir + "/<run id>, made when the run starts)") !=
        std::string::npos);
  // The process services' programs are resolved as the run resolves them.
  REQUIRE(view.commands.count("api1") == 1);
  CHECK(fs::path(view.commands.at("api1").front()).is_absolute());
  CHECK(view.rendered.empty());  // not asked for

  // The team's file untouched, and no scratch folder left behind.
  CHECK(faultline::read_text(team_file) == team_before);
  CHECK(fs::is_empty(tmp));
}

TEST_CASE("with --configs the plan renders faultline's own configs at the run's paths", "[runner][plan]") {
  const auto v = validated(experiment_data("good_minimal.yaml"));
  PlanView view;
  view.v = &v;
  view.plan = plan_for(v.exp);
  view.rendered_asked = true;
  view.rendered.push_back(
      {"web", "<run folder>/web/nginx.conf", "daemon off;\n\nevents {\n  worker_connections 64;\n}\n"});
  const std::string text = format_plan(view);
  INFO(text);
  CHECK(text.find("web: rendered by faultline from the experiment, as <run folder>/web/nginx.conf\n"
                  "    daemon off;\n"
                  "\n"
                  "    events {\n"
                  "      worker_connections 64;\n"
                  "    }\n") != std::string::npos);
  CHECK(text.find("config: rendered by faultline (below): answers with 200") != std::string::npos);
  // Asked for, but nothing to render it with.
  view.rendered.clear();
  view.plan = faultline::Error{"no free /24"};
  CHECK(format_plan(view).find("config: rendered by faultline (not shown: no addresses to render it with)") !=
        std::string::npos);
}

TEST_CASE("shell_words quotes what a shell would split or expand", "[runner][plan]") {
  using faultline::shell_words;
  CHECK(shell_words({"/usr/bin/python3", "-m", "http.server", "9000"}) ==
        "/usr/bin/python3 -m http.server 9000");
  CHECK(shell_words({"sh", "-c", "echo $HOME"}) == "sh -c 'echo $HOME'");
  CHECK(shell_words({"it's", ""}) == "'it'\\''s' ''");
}
