// run_command: input on stdin, output kept apart per stream, exit status as waitpid gives
// it, a deadline that kills, and (as root) tools started below faultline's
// own CPU priority without changing the caller's.

#include "harness/platform/command.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "tests/skip.h"

namespace faultline::platform {
namespace {

int own_niceness() {
  return ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
}

TEST_CASE("run_command keeps stdout and stderr apart and reports the exit status", "[platform][command]") {
  auto out = run_command({"sh", "-c", "echo listing; echo warning >&2; exit 3"});
  REQUIRE(out);
  CHECK(out->out == "listing\n");
  CHECK(out->err == "warning\n");
  CHECK_FALSE(out->succeeded());
  REQUIRE(WIFEXITED(out->wait_status));
  CHECK(WEXITSTATUS(out->wait_status) == 3);
  CHECK(describe_failure({"sh", "-c", "x"}, *out) == "'sh -c x' exited with status 3: warning");
}

TEST_CASE("run_command gives a tool its input on stdin, and /dev/null without one", "[platform][command]") {
  auto fed = run_command({"sh", "-c", "cat; echo end"}, std::chrono::seconds(5), "*filter\nCOMMIT\n");
  REQUIRE(fed);
  CHECK(fed->out == "*filter\nCOMMIT\nend\n");
  auto empty = run_command({"cat"});
  REQUIRE(empty);
  CHECK(empty->succeeded());
  CHECK(empty->out.empty());
  auto too_much = run_command({"cat"}, std::chrono::seconds(5), std::string(64 * 1024 + 1, 'x'));
  REQUIRE_FALSE(too_much);
  CHECK(too_much.error().message.find("more than the 65536 a pipe holds") != std::string::npos);
}

TEST_CASE("run_command kills a tool that outlives its deadline", "[platform][command]") {
  auto out = run_command({"sleep", "5"}, std::chrono::milliseconds(200));
  REQUIRE_FALSE(out);
  CHECK(out.error().message == "'sleep 5' did not finish within 200 ms");
}

TEST_CASE("first_output_line gives a tool's first line, from stdout or else stderr, by name or by path",
          "[platform][command]") {
  CHECK(first_output_line({"sh", "-c", "echo 'one\r'; echo two"}) == "one");
  CHECK(first_output_line({"sh", "-c", "echo 'nginx version: x' >&2"}) == "nginx version: x");
  CHECK(first_output_line({"/bin/sh", "-c", "echo by-path"}) == "by-path");
  CHECK(first_output_line({"faultline-no-such-tool", "-v"}).empty());
}

TEST_CASE("run_command names a tool that is not installed", "[platform][command]") {
  auto out = run_command({"faultline-no-such-tool"});
  REQUIRE_FALSE(out);
  CHECK(out.error().message.find("faultline-no-such-tool is not installed") == 0);
}

TEST_CASE("run_command starts tools at nice 10 and leaves the caller's priority as it was",
          "[platform][command]") {
  if (::geteuid() != 0) {
    FAULTLINE_SKIP("needs root to raise the caller's priority back after the spawn (CI runs as root)");
  }
  const int before = own_niceness();
  if (before >= 10) {
    FAULTLINE_SKIP("runs at nice 10 or more already: nothing to lower (run it at nice 0)");
  }
  // Field 19 of /proc/<pid>/stat is the niceness.
  auto out = run_command({"sh", "-c", "cut -d' ' -f19 /proc/$$/stat"});
  REQUIRE(out);
  REQUIRE(out->succeeded());
  CHECK(out->out == "10\n");
  CHECK(own_niceness() == before);
}

}  // namespace
}  // namespace faultline::platform
