// runtime compose: faultline attaches to a Compose project that runs
// already (tests/data/compose/docker-compose.yml, started here with
// Debian's docker-compose under a project name of this test's own), drills
// it with a fault through HAProxy's runtime API and one in a container's
// network namespace, and leaves every container exactly as it found it:
// `docker inspect` before and after, the configs' bytes, and each
// container's own nft ruleset and qdiscs compared. The project is taken
// down at the end whatever happened (ComposeProject's destructor).

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include "compose_project.h"
#include "harness/common/scratch_dir.h"
#include "harness/platform/cgroup.h"
#include "harness/stack/http_probe.h"
#include "harness/stack/run_registry.h"
#include "harness/stack/runtime.h"
#include "journal_helpers.h"
#include "tests/skip.h"

namespace fs = std::filesystem;
using namespace faultline::testing;

TEST_CASE("runtime compose: a running project is drilled and left exactly as found",
          "[integration][compose][docker-host]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root to enter the containers' namespaces (CI runs as root)");
  }
  if (const std::string missing = docker_missing(); !missing.empty()) {
    FAULTLINE_SKIP(missing);
  }
  ComposeProject project(project_name("a"));
  INFO(project.up_log());
  json before = project.inspect();
  REQUIRE(all_running(before, 3));
  REQUIRE(wait_until_serving(before));
  before = project.inspect();
  const auto inside_before = inside_state(before);
  const std::string host_cfg = read_file(kComposeDir + "/haproxy.cfg");
  const std::string host_web = read_file(kComposeDir + "/web.conf");

  const std::string out = fresh_out_dir("compose_attach");
  const json j =
      run_to_journal(kComposeDir + "/attach.yaml", out, {"--set", "stack.project=" + project.name()});
  CHECK(j["expect"] == "breach");
  CHECK(j["verdict"]["expectation_met"] == true);
  REQUIRE(j["activities"].size() == 2);

  // The maintenance was in force: from half a second into it until the
  // partition, web1 answered nothing and nothing failed.
  const double maint_in = j["activities"][0]["injected_s"].get<double>() + 0.5;
  const double part_in = j["activities"][1]["injected_s"].get<double>();
  const double part_out = j["activities"][1]["reverted_s"].get<double>();
  const WindowSum maint = windows_between(j, maint_in, part_in);
  INFO(maint.backends.dump());
  CHECK(maint.requests > 50);
  CHECK(backend_share(maint.backends, "web1") < 0.01);
  CHECK(backend_share(maint.backends, "web2") > 0.99);
  // The partition was in force: web2 unreachable, web1 out, so requests
  // failed for the whole of it.
  const WindowSum cut = windows_between(j, part_in + 0.5, part_out);
  CHECK(cut.requests > 100);
  CHECK(cut.errors > cut.requests / 2);

  // The journal names the servers the team's images run, asked inside
  // their containers, not this machine's.
  const json& env = j["environment"];
  INFO("environment: " << env.dump());
  CHECK(env["haproxy"] == "");
  REQUIRE(env["servers"].size() == 3);
  for (const auto& s : env["servers"]) {
    const bool haproxy = s["image"].get<std::string>().find("haproxy") != std::string::npos;
    CHECK(s["version"].get<std::string>().find(haproxy ? "HAProxy version" : "nginx version") !=
          std::string::npos);
  }

  // The project as found: the same containers, processes, settings,
  // mounts and addresses; no table, qdisc or edit inside any of them; the
  // team's files untouched.
  const json after = project.inspect();
  const auto b = by_id(before);
  const auto a = by_id(after);
  REQUIRE(a.size() == b.size());
  for (const auto& [id, part] : b) {
    INFO(id);
    REQUIRE(a.count(id) == 1);
    CHECK(a.at(id) == part);
  }
  CHECK(inside_state(after) == inside_before);
  CHECK(read_file(kComposeDir + "/haproxy.cfg") == host_cfg);
  CHECK(read_file(kComposeDir + "/web.conf") == host_web);
  CHECK(leftovers(j["run_id"].get<std::string>()).empty());
}

TEST_CASE("runtime compose: a missing service or a stopped project is refused with what exists",
          "[integration][compose][docker-host]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root to enter the containers' namespaces (CI runs as root)");
  }
  if (const std::string missing = docker_missing(); !missing.empty()) {
    FAULTLINE_SKIP(missing);
  }
  ComposeProject project(project_name("r"));
  INFO(project.up_log());
  const json before = project.inspect();
  REQUIRE(all_running(before, 3));

  const std::string out = fresh_out_dir("compose_refused");
  const std::string file = out + "/missing.yaml";
  {
    std::string text = read_file(kComposeDir + "/attach.yaml");
    // A service the project does not have, as the backend the drill hits.
    const std::string web2 = "web2: { kind: nginx }";
    text.replace(text.find(web2), web2.size(), web2 + "\n    api: { kind: nginx }");
    std::ofstream(file) << text;
  }
  const std::vector<std::string> set = {"--set", "stack.project=" + project.name()};
  std::vector<std::string> argv = {FAULTLINE_BINARY, "run", file, "--out", out + "/missing"};
  argv.insert(argv.end(), set.begin(), set.end());
  CHECK(run(argv, out + "/missing.log", std::chrono::seconds(60)) != 0);
  const std::string missing_log = read_file(out + "/missing.log");
  INFO(missing_log);
  CHECK_THAT(missing_log, Catch::Contains("Compose project '" + project.name() +
                                          "' has no service 'api'; its services are lb (1 running), web1 (1 "
                                          "running), web2 (1 running)"));

  shell(project.compose("stop -t 2") + " >/dev/null 2>&1");
  argv = {FAULTLINE_BINARY, "run", kComposeDir + "/attach.yaml", "--out", out + "/stopped"};
  argv.insert(argv.end(), set.begin(), set.end());
  CHECK(run(argv, out + "/stopped.log", std::chrono::seconds(60)) != 0);
  const std::string stopped_log = read_file(out + "/stopped.log");
  INFO(stopped_log);
  CHECK_THAT(stopped_log, Catch::Contains("Compose project '" + project.name() +
                                          "' is not running: none of its containers runs (services: lb ("));
  CHECK_THAT(stopped_log, Catch::Contains(project.name() + "_web2_1 exited"));
  // Refused before anything was touched: the containers are the ones
  // started, still stopped (faultline starts nothing of a team's).
  const json after = project.inspect();
  REQUIRE(after.size() == before.size());
  for (const auto& c : after) {
    CHECK_FALSE(c["State"]["Running"].get<bool>());
  }
}

TEST_CASE("runtime compose: an nginx config is edited in its container, checked, reloaded and put back",
          "[integration][compose][docker-host]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root to enter the containers' namespaces (CI runs as root)");
  }
  if (const std::string missing = docker_missing(); !missing.empty()) {
    FAULTLINE_SKIP(missing);
  }
  // The web config mounted read-write (writable_copy).
  faultline::ScratchDir dir("faultline-compose-edit");
  const std::string compose_file = writable_copy(dir.path());
  const std::string host_file = dir.path() + "/web.conf";
  const std::string original = read_file(host_file);
  struct stat found {};
  REQUIRE(::stat(host_file.c_str(), &found) == 0);

  ComposeProject project(project_name("e"), compose_file);
  INFO(project.up_log());
  REQUIRE(all_running(project.inspect(), 3));

  const auto exp = nginx_attach(project.name(), {"web1", "web2"});
  faultline::ScratchDir registry("faultline-compose-registry");
  auto id = faultline::stack::create_run(registry.path());
  REQUIRE(id.ok());
  auto up = faultline::stack::compose_bring_up(exp, *id);
  INFO((up ? std::string() : up.error().message));
  REQUIRE(up.ok());
  auto& stack = **up;
  const std::string address = stack.find("web1")->planned.address;
  CHECK(body_becomes(address, "ok from web1\n") == "ok from web1\n");

  std::string changed = original;
  const std::string answer = "return 200 \"ok from $hostname\\n\";";
  REQUIRE(changed.find(answer) != std::string::npos);
  changed.replace(changed.find(answer), answer.size(), "return 200 \"changed\\n\";");
  REQUIRE(stack.reload("web1", changed).ok());
  CHECK(body_becomes(address, "changed\n") == "changed\n");
  // Written in place: the host's file is the one the container reads.
  CHECK(read_file(host_file) == changed);

  // A config nginx -t rejects is not applied, and the file stays as it was.
  const auto rejected = stack.reload("web1", "events {}\nhttp { no_such_directive on; }\n");
  REQUIRE_FALSE(rejected.ok());
  CHECK_THAT(rejected.error().message, Catch::Contains("fails nginx -t"));
  CHECK(read_file(host_file) == changed);

  // Teardown puts the bytes found back, in the same file, and reloads them.
  stack.teardown();
  CHECK(read_file(host_file) == original);
  struct stat now {};
  REQUIRE(::stat(host_file.c_str(), &now) == 0);
  CHECK(now.st_ino == found.st_ino);
  CHECK(body_becomes(address, "ok from web1\n") == "ok from web1\n");
  // The bind mount is intact: the container still reads the host's file.
  const json after = project.inspect();
  REQUIRE(all_running(after, 3));
  for (const auto& c : after) {
    if (c["Config"]["Labels"]["com.docker.compose.service"] == "web1") {
      const std::string pid = std::to_string(c["State"]["Pid"].get<int>());
      CHECK(read_file("/proc/" + pid + "/root/etc/nginx/nginx.conf") == original);
      CHECK(c["RestartCount"] == 0);
    }
  }
  faultline::stack::release_run(*id);
}

TEST_CASE("runtime compose: a container its restart policy restarted is found again, with its new namespace",
          "[integration][compose][docker-host]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root to enter the containers' namespaces (CI runs as root)");
  }
  if (const std::string missing = docker_missing(); !missing.empty()) {
    FAULTLINE_SKIP(missing);
  }
  ComposeProject project(project_name("k"));
  INFO(project.up_log());
  REQUIRE(all_running(project.inspect(), 3));
  const auto exp = nginx_attach(project.name(), {"web1"});
  faultline::ScratchDir registry("faultline-compose-registry");
  auto id = faultline::stack::create_run(registry.path());
  REQUIRE(id.ok());
  auto up = faultline::stack::compose_bring_up(exp, *id);
  INFO((up ? std::string() : up.error().message));
  REQUIRE(up.ok());
  auto& stack = **up;
  const pid_t before = stack.find("web1")->pid;
  REQUIRE(before > 0);

  // A crash, as the restart policy sees one: a signal from the host, not
  // the Engine API (after which Docker would leave the container down).
  REQUIRE(::kill(before, SIGKILL) == 0);
  pid_t now = before;
  for (int i = 0; i < 150 && (now == before || now <= 0); ++i) {
    const auto alive = stack.check_alive();
    INFO((alive ? std::string() : alive.error().message));
    CHECK(alive.ok());  // restarting or restarted: not a dead server
    now = stack.find("web1")->pid;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(now != before);
  bool said = false;
  for (const auto& e : stack.take_service_exits()) {
    CHECK_FALSE(e.fatal);
    said |= e.service == "web1";
  }
  CHECK(said);
  // in_netns enters the new process's namespace. (The kernel may give a
  // new namespace the old one's inode number, so this shows that the new
  // pid was used, which the pid check above already requires to differ.)
  struct stat expected {};
  REQUIRE(::stat(("/proc/" + std::to_string(now) + "/ns/net").c_str(), &expected) == 0);
  ino_t entered = 0;
  REQUIRE(stack
              .in_netns("web1",
                        [&]() -> faultline::Status {
                          struct stat self {};
                          ::stat("/proc/thread-self/ns/net", &self);
                          entered = self.st_ino;
                          return {};
                        })
              .ok());
  CHECK(entered == expected.st_ino);
  // Back already: restart() starts nothing more.
  REQUIRE(stack.restart("web1").ok());
  for (const auto& c : project.inspect()) {
    if (c["Config"]["Labels"]["com.docker.compose.service"] == "web1") {
      CHECK(c["RestartCount"] == 1);
      CHECK(c["State"]["Running"] == true);
    }
  }
  stack.teardown();
  faultline::stack::release_run(*id);
}

TEST_CASE("runtime compose: a pause and a CPU limit on an attached container are undone and it is as found",
          "[integration][compose][docker-host]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root to write the containers' cgroups (CI runs as root)");
  }
  if (const std::string missing = docker_missing(); !missing.empty()) {
    FAULTLINE_SKIP(missing);
  }
  ComposeProject project(project_name("p"));
  INFO(project.up_log());
  json before = project.inspect();
  REQUIRE(all_running(before, 3));
  REQUIRE(wait_until_serving(before));
  before = project.inspect();
  const auto exp = nginx_attach(project.name(), {"web1"});
  faultline::ScratchDir registry("faultline-compose-registry");
  auto id = faultline::stack::create_run(registry.path());
  REQUIRE(id.ok());
  auto up = faultline::stack::compose_bring_up(exp, *id);
  INFO((up ? std::string() : up.error().message));
  REQUIRE(up.ok());
  auto& stack = **up;

  // A kill would be a signal from the host, so the restart policy applies.
  auto said = stack.kill_mechanism("web1", "KILL");
  REQUIRE(said.ok());
  CHECK_THAT(*said, Catch::Contains("kill(2)") && Catch::Contains("restart policy"));

  // Paused through the Engine API, thawed by the hold.
  auto hold = stack.freeze_service("web1");
  INFO((hold ? std::string() : hold.error().message));
  REQUIRE(hold.ok());
  CHECK(container_of(project.inspect(), "web1")["State"]["Paused"] == true);
  CHECK_THAT((*hold)->mechanism(), Catch::Contains("Engine API pause"));
  REQUIRE((*hold)->release().ok());
  CHECK(container_of(project.inspect(), "web1")["State"]["Paused"] == false);

  // A CPU quota written into the container's own group, and the original
  // written back.
  auto limit = stack.limit_service("web1", "cpu");
  INFO((limit ? std::string() : limit.error().message));
  REQUIRE(limit.ok());
  const bool v2 = (*limit)->version() == faultline::platform::CgroupVersion::v2;
  const std::string file = v2 ? "cpu.max" : "cpu.cfs_quota_us";
  auto original = (*limit)->read(file);
  REQUIRE(original.ok());
  REQUIRE((*limit)->write(file, v2 ? "5000 100000" : "5000").ok());
  auto during = (*limit)->read(file);
  REQUIRE(during.ok());
  CHECK_THAT(*during, Catch::StartsWith("5000"));
  CHECK(*during != *original);
  CHECK((*limit)->active());
  REQUIRE((*limit)->lift().ok());
  auto after_lift = (*limit)->read(file);
  REQUIRE(after_lift.ok());
  CHECK(*after_lift == *original);

  stack.teardown();
  faultline::stack::release_run(*id);
  // The project as found: same containers, settings, state.
  const auto b = by_id(before);
  const auto a = by_id(project.inspect());
  REQUIRE(a.size() == b.size());
  for (const auto& [cid, part] : b) {
    INFO(cid);
    REQUIRE(a.count(cid) == 1);
    CHECK(a.at(cid) == part);
  }
}
