// runtime docker end to end: the default experiment gives the same verdict
// and shares in containers as in network namespaces, and load-balancer,
// HTTP and network faults work on containers (in force while they last,
// reverted after), each run leaving no container, network, namespace, nft
// table or rule of its own behind.
//
// Needs a Docker daemon on /var/run/docker.sock and the test images
// (scripts/dockerd.sh start, scripts/test-images.sh; scripts/test.sh does
// both): without them the tests are skipped where they may be, and fail in
// CI. Alone (RUN_SERIAL, tag docker-runtime): they time shares and
// latencies, and other runs would share the CPUs.

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "journal_helpers.h"
#include "tests/skip.h"

using namespace faultline::testing;

namespace {

const std::string kImages[] = {"faultline-test/nginx:bookworm", "faultline-test/haproxy:bookworm"};

// A few seconds of load, its fault from 3 s to 6 s (the files' method from
// 10 s to 20 s, shortened alike on both runtimes).
const std::vector<std::string> kShortDefault = {
    "--set",
    "load.duration=8s",
    "--set",
    "slo.steady_state=2s",
    "--set",
    "method=[{at: 3s, fault: lb_weight, target: lb, params: {server: web1, weight: 100, others: 1}, "
    "duration: 3s}]"};

bool docker_answers() {
  return shell("curl -s --max-time 3 --unix-socket /var/run/docker.sock http://localhost/_ping") == "OK";
}

bool image_present(const std::string& image) {
  return shell("/usr/bin/docker image inspect --format '{{.Id}}' " + image + " 2>/dev/null")
             .rfind("sha256:", 0) == 0;
}

// Why these tests cannot run here, or empty.
std::string missing() {
  if (!is_root()) {
    return "needs root (it signals the containers' servers and enters their namespaces; CI runs as root)";
  }
  if (!docker_answers()) {
    return "needs a Docker daemon on /var/run/docker.sock (scripts/dockerd.sh start)";
  }
  for (const auto& image : kImages) {
    if (!image_present(image)) {
      return "needs the test image " + image + " (scripts/test-images.sh)";
    }
  }
  return {};
}

// What Docker still holds of the run, found by its label, as teardown
// finds it: containers (running or not) and networks.
std::string docker_leftovers(const std::string& run_id) {
  const std::string filter = "--filter label=org.faultline.run=" + run_id;
  return shell("/usr/bin/docker ps -a -q " + filter + " 2>&1") +
         shell("/usr/bin/docker network ls -q " + filter + " 2>&1");
}

void check_nothing_left(const json& j) {
  const std::string run_id = j["run_id"].get<std::string>();
  INFO("run " << run_id);
  CHECK(docker_leftovers(run_id).empty());
  // Namespaces, links (the network's bridge fld-<id>), processes, the run
  // folder, iptables rules, nft tables and control groups of the run.
  CHECK(leftovers(run_id).empty());
}

double share(const json& backends, const std::string& name) {
  return backend_share(backends, name);
}

}  // namespace

TEST_CASE("the default experiment gives the same verdict and shares on runtime docker as on netns",
          "[integration][docker-runtime]") {
  if (const std::string why = missing(); !why.empty()) {
    FAULTLINE_SKIP(why);
  }
  const std::string netns_out = fresh_out_dir("docker_runtime_default_netns");
  const std::string docker_out = fresh_out_dir("docker_runtime_default_docker");
  const json netns = run_to_journal(
      std::string(FAULTLINE_SOURCE_DIR) + "/experiments/haproxy-weight-skew.yaml", netns_out, kShortDefault);
  const json docker =
      run_to_journal(std::string(FAULTLINE_SOURCE_DIR) + "/experiments/docker/haproxy-weight-skew.yaml",
                     docker_out, kShortDefault);
  INFO("reports in " << netns_out << " and " << docker_out);
  CHECK(docker["verdict"]["outcome"] == netns["verdict"]["outcome"]);
  CHECK(docker["verdict"]["outcome"] == "incident");
  CHECK(docker["expectation_met"] == true);
  // Each phase's share of each backend, read from both journals.
  for (const std::string kind : {"baseline", "fault", "recovery"}) {
    const json& a = journal_phase(netns, kind);
    const json& b = journal_phase(docker, kind);
    INFO(kind << ": netns " << a["backends"].dump() << ", docker " << b["backends"].dump());
    CHECK(b["requests"].get<long>() > 300);
    for (const std::string web : {"web1", "web2", "web3"}) {
      CHECK(share(b["backends"], web) == Approx(share(a["backends"], web)).margin(0.02));
    }
  }
  // The weight held in containers as it did in namespaces.
  CHECK(share(journal_phase(docker, "fault")["backends"], "web1") > 0.95);
  // The journal names the images' servers, asked in their containers, and
  // not this machine's, which served nothing of the docker run.
  const json& env = docker["environment"];
  INFO("environment: " << env.dump());
  CHECK(env["haproxy"] == "");
  CHECK(env["nginx"] == "");
  REQUIRE(env["servers"].size() == 4);
  for (const auto& s : env["servers"]) {
    const std::string image = s["image"].get<std::string>();
    const std::string version = s["version"].get<std::string>();
    CHECK(image.rfind("faultline-test/", 0) == 0);
    CHECK(version.find(image.find("haproxy") != std::string::npos ? "HAProxy version" : "nginx version") !=
          std::string::npos);
  }
  CHECK_FALSE(netns["environment"].contains("servers"));
  check_nothing_left(netns);
  check_nothing_left(docker);
}

TEST_CASE(
    "on runtime docker a drain holds across http_abort's reloads, and lb_balance's reload takes effect, on "
    "HAProxy and nginx",
    "[integration][docker-runtime]") {
  if (const std::string why = missing(); !why.empty()) {
    FAULTLINE_SKIP(why);
  }
  // HAProxy reloads on SIGUSR2 to its master; nginx on SIGHUP, and its
  // drain is a reload too.
  const std::string kind = GENERATE("haproxy", "nginx");
  std::vector<std::string> as_nginx;
  if (kind == "nginx") {
    as_nginx = {"--set", "stack.services.lb.kind=nginx",
                "--set", "stack.services.lb.image=faultline-test/nginx:bookworm",
                "--set", "stack.services.lb.config_path=/etc/nginx/nginx.conf"};
  }
  const std::string out = fresh_out_dir("docker_runtime_lb_" + kind);
  const json j =
      run_to_journal(std::string(FAULTLINE_TEST_DATA) + "/experiments/docker/lb_faults.yaml", out, as_nginx);
  INFO(kind << ": reports and log in " << out);
  REQUIRE(j["activities"].size() == 3);
  const json& drain = j["activities"][0];
  const json& abort = j["activities"][1];

  // The drain (HAProxy: by the runtime API, nginx: by reload): from half
  // a second in (connections it had finish) to its revert, nothing for
  // web2, across the abort's two reloads (on HAProxy each a new worker that
  // must be drained again).
  const double drained = drain["injected_s"].get<double>() + 0.5;
  const double undrained = drain["reverted_s"].get<double>();
  CHECK(drained < abort["injected_s"].get<double>());
  CHECK(abort["reverted_s"].get<double>() < undrained);
  const WindowSum during_drain = windows_between(j, drained, undrained);
  INFO("drain: " << during_drain.backends.dump());
  CHECK(during_drain.requests > 600);
  CHECK(count_of(during_drain.backends, "web1") > 300);
  CHECK(share(during_drain.backends, "web2") < 0.01);
  const WindowSum after_abort = windows_between(j, abort["reverted_s"].get<double>(), undrained);
  CHECK(share(after_abort.backends, "web2") < 0.01);
  CHECK(after_abort.errors == 0);

  // The abort, by config rewrite and reload: about half the requests
  // answered 503 by the load balancer itself while it held, none after.
  const json& abort_phase = journal_phase(j, "fault", 1);
  INFO("abort: " << abort_phase.dump());
  const double aborted =
      static_cast<double>(status_count(abort_phase, "503")) / abort_phase["requests"].get<double>();
  CHECK(aborted == Approx(0.5).margin(0.1));

  // The balance, by config rewrite and reload: source hashing sends the
  // load's one client address to one server while it holds.
  const json& balance_phase = journal_phase(j, "fault", 2);
  INFO("balance: " << balance_phase.dump());
  CHECK(balance_phase["requests"].get<long>() > 300);
  CHECK(std::max(share(balance_phase["backends"], "web1"), share(balance_phase["backends"], "web2")) > 0.97);
  CHECK(balance_phase["error_rate"].get<double>() < 0.01);

  // Reverted: after the last revert both backends serve and nothing fails.
  const json& recovery = journal_phase(j, "recovery");
  INFO("recovery: " << recovery.dump());
  CHECK(recovery["error_rate"].get<double>() < 0.01);
  CHECK(share(recovery["backends"], "web2") == Approx(0.5).margin(0.1));
  check_nothing_left(j);
}

TEST_CASE("a team's own config runs on runtime docker from its copy, and the share faults move the shares",
          "[integration][docker-runtime]") {
  if (const std::string why = missing(); !why.empty()) {
    FAULTLINE_SKIP(why);
  }
  // tests/data/own's configs, as on netns (faults_lb_own_test.cpp): nginx's
  // upstream is in an included file, HAProxy's stats socket is rewritten.
  const std::string kind = GENERATE("haproxy", "nginx");
  const std::string team_dir = std::string(FAULTLINE_TEST_DATA) + "/own/" + kind;
  const std::string before = shell("cd " + team_dir + " && find . -type f | sort | xargs sha256sum");
  REQUIRE_FALSE(before.empty());
  const std::string out = fresh_out_dir("docker_runtime_own_" + kind);
  const json j = run_to_journal(std::string(FAULTLINE_TEST_DATA) + "/own/lb_" + kind + "_share.yaml", out,
                                {"--set", "stack.runtime=docker", "--set",
                                 "stack.services.lb.image=faultline-test/" + kind + ":bookworm", "--set",
                                 "stack.services.web1.image=faultline-test/nginx:bookworm", "--set",
                                 "stack.services.web2.image=faultline-test/nginx:bookworm"});
  INFO(kind << ": reports and log in " << out);
  const json& baseline = journal_phase(j, "baseline");
  INFO("baseline: " << baseline.dump());
  CHECK(baseline["error_rate"].get<double>() < 0.01);
  CHECK(share(baseline["backends"], "web1") == Approx(0.5).margin(0.05));
  const json& weight = journal_phase(j, "fault", 0);
  const json& drain = journal_phase(j, "fault", 1);
  const json& maint = journal_phase(j, "fault", 2);
  const json& balance = journal_phase(j, "fault", 3);
  INFO("weight " << weight.dump() << " drain " << drain.dump() << " maint " << maint.dump() << " balance "
                 << balance.dump());
  CHECK(share(weight["backends"], "web1") == Approx(0.9).margin(0.03));
  CHECK(share(drain["backends"], "web2") < 0.01);
  CHECK(share(maint["backends"], "web1") < 0.01);
  CHECK(std::max(share(balance["backends"], "web1"), share(balance["backends"], "web2")) > 0.97);
  for (const auto* p : {&weight, &drain, &maint, &balance}) {
    CHECK((*p)["error_rate"].get<double>() < 0.01);
    CHECK((*p)["requests"].get<long>() > 500);
  }
  const json& recovery = journal_phase(j, "recovery");
  INFO("recovery: " << recovery.dump());
  CHECK(share(recovery["backends"], "web2") == Approx(0.5).margin(0.05));
  // The rewrites went to the copy in the run folder (or the runtime API);
  // the team's folder, mounted read-only into the container, is as it was.
  for (const auto& a : j["activities"]) {
    const std::string m = a["mechanism"].get<std::string>();
    INFO(m);
    CHECK((m.find("runtime API") != std::string::npos || m.find("copy of") != std::string::npos));
  }
  CHECK(shell("cd " + team_dir + " && find . -type f | sort | xargs sha256sum") == before);
  check_nothing_left(j);
}

TEST_CASE("on runtime docker latency is added inside the load balancer's container and taken away",
          "[integration][docker-runtime]") {
  if (const std::string why = missing(); !why.empty()) {
    FAULTLINE_SKIP(why);
  }
  const std::string out = fresh_out_dir("docker_runtime_latency");
  const json j = run_to_journal(std::string(FAULTLINE_TEST_DATA) + "/experiments/docker/latency.yaml", out);
  INFO("reports and log in " << out);
  const json& fault = journal_phase(j, "fault");
  INFO("fault: " << fault.dump());
  // Each answer crosses the delayed hop once: the median moves by the delay.
  CHECK(fault["p50_ms"].get<double>() >= 100.0);
  CHECK(fault["p50_ms"].get<double>() < 200.0);
  CHECK(fault["error_rate"].get<double>() < 0.01);
  const json& recovery = journal_phase(j, "recovery");
  INFO("recovery: " << recovery.dump());
  CHECK(recovery["p50_ms"].get<double>() < 50.0);
  CHECK(j["verdict"]["outcome"] == "incident");
  check_nothing_left(j);
}
