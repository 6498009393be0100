// The loader's cases: experiment files from tests/data/experiments read
// whole, with the diagnostic each mistake gets (file:line:col, message,
// hint). Why one file of this length: the cases share the helpers below
// (load, overrides) and expect_diags.h's, and together are the loader's
// specification, which reads best in one place. The team's own services
// (config:, kind: process) have theirs in own_service_test.cpp.

#include "harness/experiment/loader.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/experiment/expect_diags.h"
#include "tests/experiment/with_load.h"
#include "tests/test_data.h"

using namespace faultline::experiment;
using namespace std::chrono_literals;
using faultline::Duration;

using faultline::testing::expect_diags;
using faultline::testing::experiment_data;
using faultline::testing::find;

namespace {

Experiment load(const std::string& name, Diagnostics& diags, const std::vector<Override>& overrides = {}) {
  return load_file(experiment_data(name), overrides, diags);
}

std::vector<Override> overrides(std::initializer_list<const char*> texts) {
  std::vector<Override> out;
  for (const char* text : texts) {
    auto o = parse_override(text);
    REQUIRE(o.has_value());
    out.push_back(*o);
  }
  return out;
}

// A small valid experiment to which a test adds or changes one thing.
std::string minimal(const std::string& services = "    web: { kind: nginx }\n",
                    const std::string& extra = {}) {
  return "title: t\n"
         "stack:\n"
         "  services:\n" +
         services +
         "load:\n"
         "  target: web\n"
         "  rate: 10/s\n"
         "  duration: 60s\n"
         "expect: hold\n" +
         extra;
}

}  // namespace

TEST_CASE("the full example loads with every field as written", "[experiment][loader]") {
  Diagnostics diags;
  const Experiment exp = load("good_weights.yaml", diags);
  INFO(diags.format());
  REQUIRE_FALSE(diags.has_errors());

  CHECK(exp.version == 1);
  CHECK(exp.title == "HAProxy weight change sends most traffic to one backend");
  CHECK(exp.description.rfind("A routine weight change leaves web1", 0) == 0);
  CHECK(exp.tags == std::vector<std::string>{"load-balancer", "haproxy", "weights"});

  CHECK(exp.stack.runtime == "netns");
  CHECK(exp.stack.subnet == std::optional<std::string>("10.213.0.0/24"));
  REQUIRE(exp.stack.services.size() == 4);
  CHECK(exp.stack.services[0].name == "lb");
  CHECK(exp.stack.services[1].name == "web1");
  CHECK(exp.stack.services[2].name == "web2");
  CHECK(exp.stack.services[3].name == "web3");

  const Service& lb = exp.stack.services[0];
  CHECK(lb.kind == ServiceKind::haproxy);
  CHECK(lb.port == 80);
  CHECK(lb.balance == "roundrobin");
  CHECK(lb.backends == std::vector<std::string>{"web1", "web2", "web3"});
  CHECK(lb.is_load_balancer());
  REQUIRE(lb.health_check.has_value());
  CHECK(lb.health_check->path == "/health");
  CHECK(lb.health_check->interval == 500ms);
  CHECK(lb.health_check->fall == 2);
  CHECK(lb.health_check->rise == 2);
  CHECK(lb.retries == 2);
  CHECK(lb.redispatch);
  CHECK(lb.timeouts.connect == 1s);
  CHECK(lb.timeouts.server == 5s);
  CHECK(lb.timeouts.client == 30s);  // not written: the default
  CHECK_FALSE(lb.capacity.has_value());
  CHECK(lb.pos.line == 12);
  CHECK(lb.pos.col == 5);

  for (size_t i = 1; i < 4; ++i) {
    const Service& web = exp.stack.services[i];
    INFO(web.name);
    CHECK(web.kind == ServiceKind::nginx);
    CHECK(web.port == 80);
    CHECK_FALSE(web.is_load_balancer());
    REQUIRE(web.capacity.has_value());
    CHECK(web.capacity->rps == Approx(300));
    CHECK(web.capacity->burst == 50);
  }

  CHECK(exp.load.target == "lb");
  CHECK(exp.load.path == "/");
  CHECK(exp.load.rate == Approx(600));
  CHECK(exp.load.connections == 64);
  CHECK(exp.load.users == 1000);
  CHECK(exp.load.timeout == 2s);
  CHECK(exp.load.duration == 60s);
  CHECK(exp.load.backend_header == "X-Backend");

  CHECK(exp.slo.window == 1s);
  CHECK(exp.slo.steady_state == 5s);
  REQUIRE(exp.slo.objectives.size() == 3);
  CHECK(exp.slo.objectives[0].name == "availability");
  CHECK(exp.slo.objectives[0].expr == "error_rate < 0.5%");
  CHECK(exp.slo.objectives[1].name == "latency");
  CHECK(exp.slo.objectives[1].expr == "p(99) < 250ms");
  CHECK(exp.slo.objectives[2].name == "balance");
  CHECK(exp.slo.objectives[2].expr == "max_backend_share < 60%");

  REQUIRE(exp.method.size() == 2);
  const MethodStep& fault = exp.method[0];
  CHECK_FALSE(fault.is_note());
  CHECK(fault.at == 15s);
  CHECK(fault.fault == "lb_weight");
  CHECK(fault.target == "lb");
  CHECK(fault.duration == std::optional<Duration>(20s));
  CHECK(fault.params["server"].as<std::string>() == "web1");
  CHECK(fault.params["weight"].as<int>() == 100);
  CHECK(fault.params["others"].as<int>() == 1);
  const MethodStep& note = exp.method[1];
  CHECK(note.is_note());
  CHECK(note.at == 18s);
  CHECK(note.note == "On-call suspects a DDoS and starts reading firewall logs");
  CHECK_FALSE(note.duration.has_value());

  CHECK(exp.expect == Expectation::breach);
  CHECK(exp.postmortem.service == "Main website and API");
  CHECK(exp.postmortem.timezone == "UTC");
  CHECK(exp.postmortem.detection == "Monitoring alert on p99 latency");
  CHECK(exp.postmortem.root_cause == "A weight change routed most traffic to one backend.\n");
  REQUIRE(exp.postmortem.corrective_actions.size() == 2);
  CHECK(exp.postmortem.corrective_actions[0].action ==
        "Validate load-balancer weights before a change is applied");
  CHECK(exp.postmortem.corrective_actions[0].type.empty());
  CHECK(exp.postmortem.corrective_actions[1].action == "Alert on per-backend traffic share");
}

TEST_CASE("positions in the model point at what they describe", "[experiment][loader]") {
  Diagnostics diags;
  const Experiment exp = load("good_weights.yaml", diags);
  REQUIRE_FALSE(diags.has_errors());
  // The objective's position is the start of the expression value (its
  // opening quote here), where the verifier adds the column of a grammar error.
  CHECK(exp.slo.objectives[1].pos.line == 43);
  CHECK(exp.slo.objectives[1].pos.col == 13);
  CHECK(exp.slo.objectives[1].pos.file == experiment_data("good_weights.yaml"));
  CHECK(exp.method[0].pos.line == 49);
  CHECK(exp.method[0].pos.col == 5);
  CHECK(exp.method[0].fault_pos.line == 50);
  CHECK(exp.method[0].fault_pos.col == 12);
  CHECK(exp.method[0].target_pos.line == 51);
  CHECK(exp.method[0].target_pos.col == 13);
  CHECK(exp.load.pos.line == 28);
  CHECK(exp.load.pos.col == 1);
}

TEST_CASE("fault parameters are kept raw with their marks", "[experiment][loader]") {
  Diagnostics diags;
  const Experiment exp = load("good_weights.yaml", diags);
  REQUIRE_FALSE(diags.has_errors());
  const YAML::Node weight = exp.method[0].params["weight"];
  // `100` on line 52: `    params: { server: web1, weight: 100, others: 1 }`.
  CHECK(diags.pos_of(weight).line == 52);
  CHECK(diags.pos_of(weight).col == 37);
  CHECK(diags.pos_of(weight).file == experiment_data("good_weights.yaml"));
}

TEST_CASE("the loader stores the absolute file and the document", "[experiment][loader]") {
  Diagnostics diags;
  const Experiment exp = load("good_weights.yaml", diags);
  REQUIRE_FALSE(diags.has_errors());
  CHECK(std::filesystem::path(exp.source_file).is_absolute());
  CHECK(std::filesystem::equivalent(exp.source_file, experiment_data("good_weights.yaml")));
  REQUIRE(exp.source.IsMap());
  CHECK(exp.source["load"]["rate"].as<std::string>() == "600/s");
  CHECK(resolve_path(exp, "fixtures/x.conf") ==
        (std::filesystem::path(FAULTLINE_TEST_DATA) / "experiments/fixtures/x.conf")
            .lexically_normal()
            .string());
  CHECK(resolve_path(exp, "/etc/x.conf") == "/etc/x.conf");
}

TEST_CASE("omitted fields take the documented defaults", "[experiment][loader]") {
  Diagnostics diags;
  const Experiment exp = load("good_minimal.yaml", diags);
  INFO(diags.format());
  REQUIRE_FALSE(diags.has_errors());
  CHECK(exp.version == 1);
  CHECK(exp.stack.runtime == "netns");
  CHECK_FALSE(exp.stack.subnet.has_value());
  REQUIRE(exp.stack.services.size() == 1);
  const Service& web = exp.stack.services[0];
  CHECK(web.port == 80);
  CHECK_FALSE(web.health_check.has_value());
  CHECK_FALSE(web.capacity.has_value());
  CHECK(web.retries == 0);
  CHECK_FALSE(web.redispatch);
  CHECK(exp.load.path == "/");
  CHECK(exp.load.connections == 16);
  CHECK(exp.load.users == 100);
  CHECK(exp.load.timeout == 2s);
  CHECK(exp.load.backend_header == "X-Backend");
  CHECK(exp.slo.window == 1s);
  CHECK(exp.slo.steady_state == 0s);
  CHECK(exp.slo.objectives.empty());
  CHECK(exp.method.empty());
  CHECK(exp.expect == Expectation::hold);
  CHECK(exp.postmortem.timezone == "UTC");
}

TEST_CASE("health_check true gives the default checks and false none", "[experiment][loader]") {
  const std::string services_on =
      "    lb: { kind: haproxy, backends: [web], health_check: true }\n"
      "    web: { kind: nginx }\n";
  Diagnostics on_diags;
  const Experiment on = load_string(minimal(services_on), "on.yaml", {}, on_diags);
  INFO(on_diags.format());
  REQUIRE_FALSE(on_diags.has_errors());
  REQUIRE(on.stack.services[0].health_check.has_value());
  CHECK(on.stack.services[0].health_check->path == "/health");
  CHECK(on.stack.services[0].health_check->interval == 1s);
  CHECK(on.stack.services[0].health_check->fall == 3);
  CHECK(on.stack.services[0].health_check->rise == 2);

  Diagnostics off_diags;
  const std::string services_off =
      "    lb: { kind: haproxy, backends: [web], health_check: false }\n"
      "    web: { kind: nginx }\n";
  const Experiment off = load_string(minimal(services_off), "off.yaml", {}, off_diags);
  REQUIRE_FALSE(off_diags.has_errors());
  CHECK_FALSE(off.stack.services[0].health_check.has_value());
}

TEST_CASE("capacity rps takes a number or a rate", "[experiment][loader]") {
  const std::string services =
      "    web: { kind: nginx, capacity: { rps: 300 } }\n"
      "    api: { kind: nginx, capacity: { rps: 1.2k/s, burst: 5 } }\n"
      "    job: { kind: nginx, capacity: { rps: 600/m } }\n";
  Diagnostics diags;
  const Experiment exp = load_string(minimal(services), "cap.yaml", {}, diags);
  INFO(diags.format());
  REQUIRE_FALSE(diags.has_errors());
  CHECK(exp.stack.services[0].capacity->rps == Approx(300));
  CHECK(exp.stack.services[0].capacity->burst == 0);
  CHECK(exp.stack.services[1].capacity->rps == Approx(1200));
  CHECK(exp.stack.services[1].capacity->burst == 5);
  CHECK(exp.stack.services[2].capacity->rps == Approx(10));
}

TEST_CASE("an app's capacity is a worker pool with a queue and an overflow policy", "[experiment][loader]") {
  const std::string services =
      "    web: { kind: app }\n"
      "    api: { kind: app, capacity: { workers: 8, service_time: 20ms, queue: 32, on_overflow: crash } }\n"
      "    job: { kind: app, capacity: { rps: 10 } }\n";
  Diagnostics diags;
  const Experiment exp = load_string(minimal(services), "app.yaml", {}, diags);
  // rps is nginx's: an app's capacity is its workers.
  REQUIRE(diags.items().size() == 1);
  CHECK(diags.format().find("unknown key 'rps' in capacity of app 'job'") != std::string::npos);
  CHECK_FALSE(exp.stack.services[0].capacity);
  const auto& api = *exp.stack.services[1].capacity;
  CHECK(api.workers == 8);
  CHECK(api.service_time == std::chrono::milliseconds(20));
  CHECK(api.queue == 32);
  CHECK(api.crash_on_overflow);
}

TEST_CASE("weights are read per backend", "[experiment][loader]") {
  const std::string services =
      "    lb: { kind: nginx, backends: [web, api], weights: { web: 100, api: 0 }, balance: leastconn }\n"
      "    web: { kind: nginx }\n"
      "    api: { kind: nginx, port: 8080 }\n";
  Diagnostics diags;
  const Experiment exp = load_string(minimal(services), "w.yaml", {}, diags);
  INFO(diags.format());
  REQUIRE_FALSE(diags.has_errors());
  const Service& lb = exp.stack.services[0];
  CHECK(lb.kind == ServiceKind::nginx);
  CHECK(lb.balance == "leastconn");
  CHECK(lb.weights == std::map<std::string, int>{{"web", 100}, {"api", 0}});
  CHECK(exp.stack.services[2].port == 8080);
}

TEST_CASE("load balancers take maxconn, retry_on, a queue timeout and a hash balance factor",
          "[experiment][loader]") {
  const std::string services =
      "    lb:\n"
      "      kind: haproxy\n"
      "      backends: [web]\n"
      "      maxconn: 4\n"
      "      retries: 2\n"
      "      retry_on: [connect-failure, \"503\", 503]\n"
      "      hash_balance_factor: 110\n"
      "      timeouts: { queue: 1s }\n"
      "    web: { kind: app }\n";
  Diagnostics diags;
  const Experiment exp = load_string(minimal(services), "lb.yaml", {}, diags);
  INFO(diags.format());
  REQUIRE_FALSE(diags.has_errors());
  const Service& lb = exp.stack.services[0];
  CHECK(lb.maxconn == 4);
  CHECK(lb.retry_on == std::vector<std::string>{"connect-failure", "503"});
  CHECK(lb.hash_balance_factor == 110);
  REQUIRE(lb.timeouts.queue);
  CHECK(*lb.timeouts.queue == std::chrono::seconds(1));
}

TEST_CASE("HAProxy-only load-balancer keys are refused on nginx, retry_on needs retries",
          "[experiment][loader][bad-config]") {
  const std::string services =
      "    lb:\n"
      "      kind: nginx\n"
      "      backends: [web]\n"
      "      retry_on: [timeout]\n"
      "      hash_balance_factor: 150\n"
      "      timeouts: { queue: 1s }\n"
      "    lb2: { kind: haproxy, backends: [web2], hash_balance_factor: 100 }\n"
      "    web: { kind: app }\n"
      "    web2: { kind: app }\n";
  Diagnostics diags;
  load_string(minimal(services), "lb.yaml", {}, diags);
  const std::string text = diags.format();
  INFO(text);
  CHECK(text.find("'retry_on' without retries does nothing") != std::string::npos);
  CHECK(text.find("'hash_balance_factor' is HAProxy's") != std::string::npos);
  CHECK(text.find("'timeouts.queue' is HAProxy's") != std::string::npos);
  // HAProxy itself refuses 100 ("must be 0 or greater than 100").
  CHECK(text.find("hash_balance_factor") != text.rfind("hash_balance_factor"));
  CHECK(diags.items().size() == 4);
}

TEST_CASE("YAML merge keys combine an anchor with keys of the service", "[experiment][loader]") {
  const std::string services =
      "    web: &base { kind: nginx, port: 8080, capacity: { rps: 100 } }\n"
      "    api: { <<: *base, port: 9090 }\n";
  Diagnostics diags;
  const Experiment exp = load_string(minimal(services), "merge.yaml", {}, diags);
  INFO(diags.format());
  REQUIRE_FALSE(diags.has_errors());
  const Service& api = exp.stack.services[1];
  CHECK(api.kind == ServiceKind::nginx);
  CHECK(api.port == 9090);
  REQUIRE(api.capacity.has_value());
  CHECK(api.capacity->rps == Approx(100));
}

TEST_CASE("the loader does not judge fault names or parameters", "[experiment][loader]") {
  const std::string method =
      "method:\n"
      "  - at: 1s\n"
      "    fault: no_such_fault\n"
      "    target: web\n"
      "    params: { anything: [1, 2], goes: { here: true } }\n";
  Diagnostics diags;
  const Experiment exp = load_string(minimal("    web: { kind: nginx }\n", method), "f.yaml", {}, diags);
  INFO(diags.format());
  REQUIRE_FALSE(diags.has_errors());
  REQUIRE(exp.method.size() == 1);
  CHECK(exp.method[0].fault == "no_such_fault");
  CHECK(exp.method[0].params["anything"].IsSequence());
  CHECK(exp.method[0].params["goes"]["here"].as<bool>());
}

TEST_CASE("subnets must be private CIDR networks from /16 to /28", "[experiment][loader][bad-config]") {
  struct Case {
    const char* subnet;
    const char* error;  // empty: accepted
  };
  const std::vector<Case> cases = {
      {"10.213.0.0/24", ""},
      {"172.20.0.0/16", ""},
      {"192.168.7.0/28", ""},
      {"172.32.0.0/16", "is not a private network"},
      {"11.0.0.0/24", "is not a private network"},
      {"10.0.0.0/30", "must be between /16 and /28, not /30"},
      {"10.0.0.0/8", "must be between /16 and /28, not /8"},
      {"10.0.0/24", "must be an IPv4 network in CIDR form"},
      {"10.0.0.256/24", "must be an IPv4 network in CIDR form"},
      {"10.0.0.0", "must be an IPv4 network in CIDR form"},
      {"10.1.2.3/16", "has host bits set"},
  };
  for (const auto& c : cases) {
    INFO("subnet " << c.subnet);
    std::string yaml = minimal();
    yaml.replace(yaml.find("  services:"), 0, std::string("  subnet: ") + c.subnet + "\n");
    Diagnostics diags;
    const Experiment exp = load_string(yaml, "s.yaml", {}, diags);
    INFO(diags.format());
    if (std::string(c.error).empty()) {
      CHECK_FALSE(diags.has_errors());
      CHECK(exp.stack.subnet == std::optional<std::string>(c.subnet));
    } else {
      REQUIRE(diags.items().size() == 1);
      CHECK(diags.items()[0].message.find(c.error) != std::string::npos);
      CHECK(diags.items()[0].pos.line == 3);
      CHECK(diags.items()[0].pos.col == 11);
    }
  }
}

TEST_CASE("unknown keys are reported at every level with the nearest known key",
          "[experiment][loader][bad-config]") {
  Diagnostics diags;
  load("bad_unknown_keys.yaml", diags);
  expect_diags(diags,
               {{2, 1, "unknown key 'titel' at the top level", "did you mean 'title'?"},
                {4, 3, "unknown key 'sevices' in stack", "did you mean 'services'?"},
                {10, 7, "unknown key 'wieghts' in service 'lb'", "did you mean 'weights'?"},
                {11, 38, "unknown key 'intervall' in health_check of 'lb'", "did you mean 'interval'?"},
                {14, 7, "unknown key 'colour' in service 'web'", "known keys are: kind, port"},
                {18, 3, "unknown key 'durration' in load", "did you mean 'duration'?"},
                {23, 7, "unknown key 'exprs' in objective 1", "did you mean 'expr'?"},
                {28, 5, "unknown key 'paramz' in method step 1", "did you mean 'params'?"},
                {31, 3, "unknown key 'rootcause' in postmortem", "did you mean 'root_cause'?"},
                // What the typos leave missing is reported as well.
                {0, 0, "missing required key 'title'"},
                {22, 7, "missing required key 'expr' in objective 1"}});
}

TEST_CASE("bad values are reported with the form that was expected", "[experiment][loader][bad-config]") {
  Diagnostics diags;
  load("bad_values.yaml", diags);
  expect_diags(diags,
               {{1, 10, "unsupported version 2", "reads version 1"},
                {3, 7, "'tags' must be a list"},
                {5, 11, "'subnet' 8.8.8.0/24 is not a private network", "10.0.0.0/8"},
                {9, 13, "'port' must be between 1 and 65535, not 70000"},
                {10, 16, "unknown balance 'robin'", "roundrobin, leastconn"},
                {12, 16, "'retries' must be at least 0, not -1"},
                {13, 19, "'redispatch' must be true or false, not 'maybe'"},
                {14, 28, "'connect' must be a duration, not '1 s'",
                 "expected a duration with a unit, e.g. 250ms, 1s, 2m"},
                {14, 41, "'server' must be longer than 0s"},
                {16, 13, "unknown kind 'ngnix'", "did you mean 'nginx'?"},
                {19, 9, "'path' must start with '/', not 'index.html'"},
                {20, 9, "'rate' must be a rate, not '600'", "e.g. 600/s"},
                {21, 16, "'connections' must be between 1 and 10000, not 0"},
                {22, 12, "'timeout' must be a duration, not '2'", "a unit is required, e.g. 2s or 2ms"},
                {23, 13, "'duration' must be a duration, not '1min'", "e.g. 250ms, 1s, 2m"},
                {24, 19, "'backend_header' must be an HTTP header name, not 'X Backend'"},
                {26, 11, "'window' must be at least 100ms, not 50ms"},
                {27, 9, "unknown expect 'sometimes'", "breach, hold"}});
}

TEST_CASE("references to services that do not exist are reported", "[experiment][loader][bad-config]") {
  Diagnostics diags;
  load("bad_references.yaml", diags);
  expect_diags(diags, {{6, 24, "unknown backend 'wbe2' in service 'lb'", "did you mean 'web1'?"},
                       {6, 30, "service 'lb' cannot be its own backend"},
                       {6, 34, "backend 'edge' is itself a load balancer"},
                       {7, 27, "'web3' in weights is not a backend of 'lb'"},
                       {14, 11, "load target 'lbb' is not a service of the stack", "did you mean 'lb'?"},
                       {20, 13, "fault target 'web9' is not a service of the stack"}});
}

TEST_CASE("a timeline that does not fit the load is reported step by step",
          "[experiment][loader][bad-config]") {
  Diagnostics diags;
  const Experiment exp = load("bad_method.yaml", diags);
  expect_diags(diags, {{13, 9, "'at' (70s) is not before the end of the load", "the load runs for 1m"},
                       {19, 15, "the fault would end at 70s, after the load ends", "the load runs for 1m"},
                       {20, 5, "method step 3 has both 'fault' and 'note'"},
                       {23, 5, "method step 4 has neither 'fault' nor 'note'"},
                       {26, 5, "'target' does not apply to a note"},
                       {30, 13, "'params' must be a map, not a list"},
                       {31, 9, "the fault starts at 2s, before the steady state is established", "5s"},
                       {34, 5, "missing required key 'at' in method step 8"},
                       {39, 15, "'duration' must be longer than 0s"}});
  // Steps with problems other than their shape stay in the model, so the
  // fault registry can still report an unknown fault name in the same run.
  CHECK(exp.method.size() == 7);
}

TEST_CASE("every problem of a stack is reported together", "[experiment][loader][bad-config]") {
  Diagnostics diags;
  load("bad_stack.yaml", diags);
  expect_diags(diags, {{3, 12, "runtime 'local' is not available yet", "netns"},
                       {4, 11, "'subnet' 10.213.0.5/24 has host bits set", "did you mean 10.213.0.0/24?"},
                       {8, 7, "'capacity' applies only to backends"},
                       {10, 5, "haproxy service 'gate' needs 'backends'"},
                       {12, 5, "invalid service name 'Web_1'", "lowercase"},
                       {16, 7, "service 'worker' of kind app cannot have backends"},
                       {19, 7, "'balance' applies only to load balancers", "'web' has no backends"},
                       {20, 7, "missing required key 'rps' in capacity of 'web'"},
                       {21, 5, "service 'web' is defined twice", "line 17"}});
}

TEST_CASE("missing required keys are reported where they belong", "[experiment][loader][bad-config]") {
  Diagnostics diags;
  load("bad_missing.yaml", diags);
  expect_diags(diags, {{0, 0, "missing required key 'title'"},
                       {0, 0, "missing required key 'expect'"},
                       {2, 1, "missing required key 'services' in stack"},
                       {4, 1, "missing required key 'target' in load"},
                       {4, 1, "missing required key 'rate' in load"},
                       {4, 1, "missing required key 'duration' in load"},
                       {8, 7, "missing required key 'expr' in objective 1"},
                       {9, 7, "missing required key 'name' in objective 2"},
                       {12, 7, "each objective must be a map with 'name' and 'expr'"}});
  CHECK(diags.items()[0].pos.file == experiment_data("bad_missing.yaml"));
}

TEST_CASE("a YAML syntax error is reported at its position", "[experiment][loader][bad-config]") {
  Diagnostics diags;
  load("bad_syntax.yaml", diags);
  REQUIRE(diags.items().size() == 1);
  CHECK(diags.items()[0].pos.line == 4);
  CHECK(diags.items()[0].pos.col == 48);
  CHECK(diags.items()[0].message.find("invalid YAML") != std::string::npos);
}

TEST_CASE("diagnostics come in file order", "[experiment][loader][bad-config]") {
  Diagnostics diags;
  load("bad_values.yaml", diags);
  REQUIRE(diags.items().size() > 2);
  for (size_t i = 1; i < diags.items().size(); ++i) {
    const auto& a = diags.items()[i - 1].pos;
    const auto& b = diags.items()[i].pos;
    CHECK((a.line < b.line || (a.line == b.line && a.col <= b.col)));
  }
}

TEST_CASE("a file that cannot be read gives one diagnostic naming it", "[experiment][loader][bad-config]") {
  Diagnostics diags;
  const std::string path = experiment_data("does_not_exist.yaml");
  const Experiment exp = load_file(path, {}, diags);
  REQUIRE(diags.items().size() == 1);
  CHECK(diags.items()[0].message.find(path) != std::string::npos);
  CHECK(diags.items()[0].message.find("No such file") != std::string::npos);
  CHECK(diags.format().rfind(path + ": error: ", 0) == 0);
  CHECK(exp.stack.services.empty());

  Diagnostics dir_diags;
  load_file(FAULTLINE_TEST_DATA, {}, dir_diags);
  REQUIRE(dir_diags.items().size() == 1);
  CHECK(dir_diags.items()[0].message.find("is a directory") != std::string::npos);
}

TEST_CASE("an empty document is reported", "[experiment][loader][bad-config]") {
  Diagnostics diags;
  load_string("# nothing here\n", "empty.yaml", {}, diags);
  REQUIRE(diags.items().size() == 1);
  CHECK(diags.items()[0].message == "the experiment is empty");
}

TEST_CASE("a document that is not a map is reported", "[experiment][loader][bad-config]") {
  Diagnostics diags;
  load_string("- title: t\n", "list.yaml", {}, diags);
  REQUIRE(diags.items().size() == 1);
  CHECK(diags.items()[0].message == "an experiment must be a map of keys, not a list");
  CHECK(diags.items()[0].pos.line == 1);
}

TEST_CASE("a second document in the file is reported", "[experiment][loader][bad-config]") {
  Diagnostics diags;
  load_string(minimal() + "---\ntitle: other\n", "two.yaml", {}, diags);
  REQUIRE(diags.items().size() == 1);
  CHECK(diags.items()[0].message == "an experiment file holds one document");
  CHECK(diags.items()[0].pos.line == 11);
}

TEST_CASE("duplicate keys and objectives are reported", "[experiment][loader][bad-config]") {
  const std::string extra =
      "slo:\n"
      "  objectives:\n"
      "    - { name: latency, expr: \"p(99) < 250ms\" }\n"
      "    - { name: latency, expr: \"p(95) < 100ms\" }\n"
      "expect: breach\n";
  Diagnostics diags;
  const Experiment exp = load_string(minimal("    web: { kind: nginx }\n", extra), "dup.yaml", {}, diags);
  expect_diags(diags, {{13, 15, "objective 'latency' is defined twice"},
                       {14, 1, "duplicate key 'expect' at the top level", "line 9"}});
  CHECK(exp.slo.objectives.size() == 1);
}

TEST_CASE("an alias bomb is refused instead of expanded", "[experiment][loader][bad-config]") {
  std::string yaml = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  const char* names[] = {"a", "b", "c", "d", "e", "f"};
  for (int level = 1; level < 6; ++level) {
    yaml += std::string(names[level]) + ": &" + names[level] + " [";
    for (int i = 0; i < 10; ++i) {
      yaml += std::string(i ? ", " : "") + "*" + names[level - 1];
    }
    yaml += "]\n";
  }
  Diagnostics diags;
  load_string(yaml, "bomb.yaml", {}, diags);
  INFO(diags.format());
  bool refused = false;
  for (const auto& d : diags.items()) {
    refused = refused || d.message.find("expands too much") != std::string::npos;
  }
  CHECK(refused);
}

TEST_CASE("parse_override splits at the first '='", "[experiment][loader][overrides]") {
  const auto o = parse_override("load.path=/search?q=a");
  REQUIRE(o.has_value());
  CHECK(o->path == "load.path");
  CHECK(o->value == "/search?q=a");
  const auto empty_value = parse_override("postmortem.service=");
  REQUIRE(empty_value.has_value());
  CHECK(empty_value->value.empty());
  CHECK_FALSE(parse_override("load.rate").has_value());
  CHECK_FALSE(parse_override("=3").has_value());
}

TEST_CASE("an override sets a field before validation", "[experiment][loader][overrides]") {
  Diagnostics diags;
  const Experiment exp =
      load("good_weights.yaml", diags,
           overrides({"stack.services.lb.retries=3", "stack.services.lb.health_check.interval=200ms",
                      "load.rate=900/s", "expect=hold"}));
  INFO(diags.format());
  REQUIRE_FALSE(diags.has_errors());
  CHECK(exp.stack.services[0].retries == 3);
  CHECK(exp.stack.services[0].health_check->interval == 200ms);
  CHECK(exp.stack.services[0].health_check->fall == 2);  // the rest of the map is kept
  CHECK(exp.load.rate == Approx(900));
  CHECK(exp.expect == Expectation::hold);
  CHECK(exp.source["load"]["rate"].as<std::string>() == "900/s");
  CHECK(exp.source["stack"]["services"]["lb"]["retries"].as<int>() == 3);
}

TEST_CASE("an override value is parsed as YAML", "[experiment][loader][overrides]") {
  Diagnostics diags;
  const Experiment exp = load(
      "good_weights.yaml", diags,
      overrides({"stack.services.lb.backends=[web1, web2]", "stack.services.lb.redispatch=false",
                 "stack.services.lb.health_check=false", "stack.services.lb.weights={web1: 5}", "tags=[]"}));
  INFO(diags.format());
  REQUIRE_FALSE(diags.has_errors());
  const Service& lb = exp.stack.services[0];
  CHECK(lb.backends == std::vector<std::string>{"web1", "web2"});
  CHECK_FALSE(lb.redispatch);
  CHECK_FALSE(lb.health_check.has_value());
  CHECK(lb.weights == std::map<std::string, int>{{"web1", 5}});
  CHECK(exp.tags.empty());
}

TEST_CASE("an override of an aliased service changes only that service", "[experiment][loader][overrides]") {
  Diagnostics diags;
  const Experiment exp =
      load("good_weights.yaml", diags,
           overrides({"stack.services.web2.port=8080", "stack.services.web3.capacity.rps=50"}));
  INFO(diags.format());
  REQUIRE_FALSE(diags.has_errors());
  CHECK(exp.stack.find("web1")->port == 80);
  CHECK(exp.stack.find("web2")->port == 8080);
  CHECK(exp.stack.find("web3")->port == 80);
  CHECK(exp.stack.find("web1")->capacity->rps == Approx(300));
  CHECK(exp.stack.find("web2")->capacity->rps == Approx(300));
  CHECK(exp.stack.find("web3")->capacity->rps == Approx(50));
  CHECK(exp.stack.find("web3")->capacity->burst == 50);
  CHECK(exp.source["stack"]["services"]["web1"]["port"].as<int>() == 80);
  CHECK(exp.source["stack"]["services"]["web2"]["port"].as<int>() == 8080);
}

TEST_CASE("an override creates the maps on its path", "[experiment][loader][overrides]") {
  Diagnostics diags;
  const Experiment exp =
      load("good_minimal.yaml", diags,
           overrides({"postmortem.service=Checkout", "slo.window=2s", "stack.subnet=10.9.0.0/24"}));
  INFO(diags.format());
  REQUIRE_FALSE(diags.has_errors());
  CHECK(exp.postmortem.service == "Checkout");
  CHECK(exp.slo.window == 2s);
  CHECK(exp.stack.subnet == std::optional<std::string>("10.9.0.0/24"));
}

TEST_CASE("an override walks a list by index, to an item that exists", "[experiment][loader][overrides]") {
  Diagnostics diags;
  const Experiment exp =
      load("good_weights.yaml", diags,
           overrides({"method.0.duration=40s", "method.0.params.weight=50", "tags.1=game-day"}));
  INFO(diags.format());
  REQUIRE_FALSE(diags.has_errors());
  REQUIRE(exp.method.size() == 2);
  CHECK(exp.method[0].duration == std::optional<Duration>(40s));
  CHECK(exp.method[0].params["weight"].as<int>() == 50);
  CHECK(exp.method[0].params["server"].as<std::string>() == "web1");
  CHECK(exp.method[1].note == "On-call suspects a DDoS and starts reading firewall logs");
  CHECK(exp.tags == std::vector<std::string>{"load-balancer", "game-day", "weights"});
}

TEST_CASE("an override of a list item the list does not have is reported",
          "[experiment][loader][overrides][bad-config]") {
  Diagnostics diags;
  const Experiment exp = load("good_weights.yaml", diags, overrides({"method.2.duration=5s", "tags.5=x"}));
  INFO(diags.format());
  REQUIRE(diags.items().size() == 2);
  CHECK(diags.items()[0].pos.file == "--set method.2.duration");
  CHECK(diags.items()[0].message == "'method' has 2 items, so it has no item 2");
  CHECK(diags.items()[0].hint == "write an index from 0 to 1");
  CHECK(diags.items()[1].message == "'tags' has 3 items, so it has no item 5");
  // The document is left as it was.
  REQUIRE(exp.method.size() == 2);
  CHECK(exp.method[0].duration == std::optional<Duration>(20s));
}

TEST_CASE("an override through a list or a value is reported",
          "[experiment][loader][overrides][bad-config]") {
  Diagnostics diags;
  const Experiment exp =
      load("good_weights.yaml", diags,
           overrides({"stack.services.lb.backends.x=1", "stack.services.lb.retries.max=2"}));
  INFO(diags.format());
  REQUIRE(diags.items().size() == 2);
  CHECK(diags.items()[0].pos.file == "--set stack.services.lb.backends.x");
  CHECK(diags.items()[0].pos.line == 0);
  CHECK(diags.items()[0].message == "'backends' is a list, not a map");
  CHECK(diags.items()[1].pos.file == "--set stack.services.lb.retries.max");
  CHECK(diags.items()[1].message == "'retries' is a single value ('2'), not a map");
  CHECK(diags.format().find("--set stack.services.lb.backends.x: error: 'backends' is a list, not a map\n") !=
        std::string::npos);
  // The document is left as it was.
  CHECK(exp.stack.services[0].backends.size() == 3);
  CHECK(exp.stack.services[0].retries == 2);
}

TEST_CASE("a bad override value is reported against the override",
          "[experiment][loader][overrides][bad-config]") {
  Diagnostics diags;
  load("good_weights.yaml", diags,
       overrides({"load.duration=fast", "load.rate=[1", "stack.services.lb.retires=1"}));
  INFO(diags.format());
  REQUIRE(diags.items().size() == 3);
  const Diagnostic* duration = nullptr;
  const Diagnostic* rate = nullptr;
  const Diagnostic* retires = nullptr;
  for (const auto& d : diags.items()) {
    if (d.pos.file == "--set load.duration") {
      duration = &d;
    } else if (d.pos.file == "--set load.rate") {
      rate = &d;
    } else if (d.pos.file == "--set stack.services.lb.retires") {
      retires = &d;
    }
  }
  REQUIRE(duration != nullptr);
  CHECK(duration->message == "'duration' must be a duration, not 'fast'");
  REQUIRE(rate != nullptr);
  CHECK(rate->message.find("cannot parse the value '[1'") != std::string::npos);
  REQUIRE(retires != nullptr);
  CHECK(retires->message == "unknown key 'retires' in service 'lb'");
  CHECK(retires->hint == "did you mean 'retries'?");
}

TEST_CASE("the loader names the diagnostics' file when the caller did not", "[experiment][loader]") {
  Diagnostics diags;
  load("good_weights.yaml", diags);
  CHECK(diags.file() == experiment_data("good_weights.yaml"));

  Diagnostics named("shown.yaml");
  load("good_weights.yaml", named);
  CHECK(named.file() == "shown.yaml");
}

TEST_CASE("an override keeps a quoted value text in the document", "[experiment][loader][overrides]") {
  Diagnostics diags;
  const Experiment exp = load("good_minimal.yaml", diags, overrides({"title=\"2024\"", "description=2024"}));
  INFO(diags.format());
  REQUIRE_FALSE(diags.has_errors());
  CHECK(exp.title == "2024");
  CHECK(exp.source["title"].Tag() == "!");
  CHECK(exp.source["description"].Tag() != "!");
}

namespace {

// `minimal` with `load_extra` written inside the load section (from line 9),
// at minimal's rate.
std::string with_load(const std::string& load_extra, const std::string& extra = {}) {
  return faultline::testing::with_load(load_extra, "10/s", extra);
}

}  // namespace

TEST_CASE("load.ramp is read as a duration and defaults to none", "[experiment][loader][ramp]") {
  Diagnostics diags;
  const Experiment exp = load_string(with_load("  ramp: 10s\n"), "ramp.yaml", {}, diags);
  INFO(diags.format());
  REQUIRE_FALSE(diags.has_errors());
  CHECK(exp.load.ramp == 10s);

  Diagnostics plain_diags;
  const Experiment plain = load_string(minimal(), "plain.yaml", {}, plain_diags);
  REQUIRE_FALSE(plain_diags.has_errors());
  CHECK(plain.load.ramp == 0s);
}

TEST_CASE("a ramp that is not a duration or outlasts the load is reported",
          "[experiment][loader][ramp][bad-config]") {
  Diagnostics long_diags;
  load_string(with_load("  ramp: 90s\n"), "long.yaml", {}, long_diags);
  expect_diags(long_diags, {{9, 9, "'ramp' (90s) is longer than the load", "load.duration (1m)"}});

  Diagnostics bad_diags;
  load_string(with_load("  ramp: 10\n"), "bad.yaml", {}, bad_diags);
  expect_diags(bad_diags, {{9, 9, "'ramp' must be a duration, not '10'", "a unit is required"}});
}

TEST_CASE("slo.target and slo.abort_when are read with their positions", "[experiment][loader][slo]") {
  const std::string extra =
      "slo:\n"
      "  target: 99.9%\n"
      "  abort_when:\n"
      "    - \"error_rate > 50% for 5s\"\n"
      "    - \"p(99) > 2s for 10s\"\n";
  Diagnostics diags;
  const Experiment exp = load_string(minimal("    web: { kind: nginx }\n", extra), "slo.yaml", {}, diags);
  INFO(diags.format());
  REQUIRE_FALSE(diags.has_errors());
  REQUIRE(exp.slo.target.has_value());
  CHECK(*exp.slo.target == Approx(0.999));
  REQUIRE(exp.slo.abort_when.size() == 2);
  CHECK(exp.slo.abort_when[0].expr == "error_rate > 50% for 5s");
  CHECK(exp.slo.abort_when[0].pos.line == 13);
  CHECK(exp.slo.abort_when[0].pos.col == 7);
  CHECK(exp.slo.abort_when[1].expr == "p(99) > 2s for 10s");
}

TEST_CASE("a single abort condition may be written without a list", "[experiment][loader][slo]") {
  const std::string extra =
      "slo:\n"
      "  abort_when: \"error_rate > 50% for 5s\"\n";
  Diagnostics diags;
  const Experiment exp = load_string(minimal("    web: { kind: nginx }\n", extra), "one.yaml", {}, diags);
  INFO(diags.format());
  REQUIRE_FALSE(diags.has_errors());
  REQUIRE(exp.slo.abort_when.size() == 1);
  CHECK(exp.slo.abort_when[0].pos.line == 11);
  CHECK_FALSE(exp.slo.target.has_value());
}

TEST_CASE("a bad target or abort_when is reported at its position", "[experiment][loader][slo][bad-config]") {
  const std::string extra =
      "slo:\n"
      "  target: 100%\n"
      "  abort_when: { error_rate: 50% }\n";
  Diagnostics diags;
  load_string(minimal("    web: { kind: nginx }\n", extra), "bad.yaml", {}, diags);
  expect_diags(diags, {{11, 11, "'target' must be a percentage above 0% and below 100%, not '100%'", "99.9%"},
                       {12, 15, "'abort_when' must be a condition or a list of them", "error_rate > 50%"}});

  const std::string words =
      "slo:\n"
      "  target: high\n"
      "  abort_when: [\"\"]\n";
  Diagnostics word_diags;
  load_string(minimal("    web: { kind: nginx }\n", words), "words.yaml", {}, word_diags);
  expect_diags(word_diags,
               {{11, 11, "'target' must be a percentage"}, {12, 16, "'abort_when' must not be empty"}});
}

TEST_CASE("a corrective action is a text or a map with the Action Items columns", "[experiment][loader]") {
  const std::string extra =
      "postmortem:\n"
      "  corrective_actions:\n"
      "    - Alert on per-backend traffic share\n"
      "    - { action: Reject weight changes above 4:1, type: prevent, priority: P1, owner: platform team "
      "}\n";
  Diagnostics diags;
  const Experiment exp = load_string(minimal("    web: { kind: nginx }\n", extra), "actions.yaml", {}, diags);
  INFO(diags.format());
  REQUIRE_FALSE(diags.has_errors());
  REQUIRE(exp.postmortem.corrective_actions.size() == 2);
  CHECK(exp.postmortem.corrective_actions[0] ==
        CorrectiveAction{"Alert on per-backend traffic share", "", "", ""});
  CHECK(exp.postmortem.corrective_actions[1] ==
        CorrectiveAction{"Reject weight changes above 4:1", "prevent", "P1", "platform team"});
}

TEST_CASE("a corrective action without its text or with an unknown type is refused where it is written",
          "[experiment][loader][bad-config]") {
  const std::string extra =
      "postmortem:\n"
      "  corrective_actions:\n"
      "    - { type: prevent }\n"
      "    - { action: Add health checks, type: prevnt, owner: sre }\n";
  Diagnostics diags;
  load_string(minimal("    web: { kind: nginx }\n", extra), "actions.yaml", {}, diags);
  const std::string text = diags.format();
  INFO(text);
  CHECK(text.find("actions.yaml:12:7") != std::string::npos);
  CHECK(text.find("'action'") != std::string::npos);
  CHECK(text.find("actions.yaml:13:42") != std::string::npos);
  CHECK(text.find("did you mean 'prevent'") != std::string::npos);
  CHECK(diags.items().size() == 2);
}
