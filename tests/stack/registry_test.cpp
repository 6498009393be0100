#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "harness/stack/cleanup.h"
#include "harness/stack/names.h"
#include "harness/stack/run_registry.h"
#include "tests/stack/stack_fixtures.h"

namespace faultline::stack {
namespace {

namespace fs = std::filesystem;

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A pid that belonged to a process that has exited and been reaped.
pid_t dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return pid;
}

TEST_CASE("create_run makes a fresh run directory owned by this process", "[stack][registry]") {
  testing::ScratchDir base;
  auto a = create_run(base.path());
  auto b = create_run(base.path());
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(is_run_id(a->run_id));
  CHECK(a->run_id != b->run_id);
  CHECK(a->run_dir == base.path() + "/" + a->run_id);
  CHECK(fs::is_directory(a->run_dir));
  CHECK(read_all(a->run_dir + "/owner.pid") == std::to_string(::getpid()) + "\n");
  // No half-made entries are left next to the runs.
  size_t entries = 0;
  for (const auto& e : fs::directory_iterator(base.path())) {
    CHECK(is_run_id(e.path().filename().string()));
    ++entries;
  }
  CHECK(entries == 2);
}

TEST_CASE("the manifest lists resources in the order they were recorded", "[stack][registry]") {
  testing::ScratchDir base;
  auto run = create_run(base.path());
  REQUIRE(run.ok());
  REQUIRE(record_resource(*run, "bridge", bridge_name(run->run_id)).ok());
  REQUIRE(record_resource(*run, "netns", netns_name(run->run_id, "web1")).ok());
  const auto m = read_manifest(run->run_dir);
  REQUIRE(m.size() == 2);
  CHECK(m[0].kind == "bridge");
  CHECK(m[0].name == "flbr-" + run->run_id);
  CHECK(m[1].kind == "netns");
  CHECK(m[1].name == "fl-" + run->run_id + "-web1");
}

TEST_CASE("release_run removes the run directory", "[stack][registry]") {
  testing::ScratchDir base;
  auto run = create_run(base.path());
  REQUIRE(run.ok());
  fs::create_directories(run->run_dir + "/web1");
  release_run(*run);
  CHECK_FALSE(fs::exists(run->run_dir));
}

TEST_CASE("list_runs tells live owners from dead ones, including a reused pid", "[stack][registry]") {
  testing::ScratchDir base;
  auto live = create_run(base.path());
  auto dead = create_run(base.path());
  auto reused = create_run(base.path());
  REQUIRE((live.ok() && dead.ok() && reused.ok()));
  std::ofstream(dead->run_dir + "/owner.pid") << dead_pid() << "\n";
  // Our own pid, but a different start time: the pid was reused.
  std::ofstream(reused->run_dir + "/owner.start") << "1\n";
  for (const auto& r : list_runs(base.path())) {
    INFO(r.run_id);
    CHECK(r.owner_alive == (r.run_id == live->run_id));
  }
  CHECK(list_runs(base.path()).size() == 3);
}

TEST_CASE("owner tokens in link aliases name a live or a dead owner", "[stack][registry]") {
  const std::string alias = link_alias("abc123");
  const std::string token = owner_token_of_alias(alias, "abc123");
  REQUIRE_FALSE(token.empty());
  CHECK(owner_token_alive(token));
  CHECK(owner_token_of_alias(alias, "def456").empty());
  CHECK_FALSE(owner_token_alive(std::to_string(dead_pid())));
  CHECK_FALSE(owner_token_alive("garbage"));
}

TEST_CASE("cleanup removes registry entries of dead owners and keeps live ones",
          "[stack][registry][cleanup]") {
  testing::ScratchDir base;
  auto live = create_run(base.path());
  auto dead = create_run(base.path());
  REQUIRE((live.ok() && dead.ok()));
  std::ofstream(dead->run_dir + "/owner.pid") << dead_pid() << "\n";
  auto report = cleanup_stale_runs(base.path(), CleanupFilter{{live->run_id, dead->run_id}});
  CHECK(report.errors.empty());
  CHECK(fs::exists(live->run_dir));
  CHECK_FALSE(fs::exists(dead->run_dir));
  REQUIRE(report.removed.size() == 1);
  CHECK_THAT(report.removed[0], Catch::Contains(dead->run_id));
}

}  // namespace
}  // namespace faultline::stack
