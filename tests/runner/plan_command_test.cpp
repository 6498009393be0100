// `faultline plan FILE` as the command line runs it: validate's checks
// first (errors as validate prints them, exit 2, no plan), then the plan on
// stdout. Nothing is started, so no root is needed.

#include <catch2/catch.hpp>
#include <regex>
#include <string>

#include "tests/cli_capture.h"
#include "tests/test_data.h"

namespace {

using faultline::testing::CapturedOutput;
using faultline::testing::experiment_data;
using faultline::testing::faultline_main;

}  // namespace

TEST_CASE("faultline plan prints the stack, the team's configs, the load and the method",
          "[runner][plan][cli]") {
  CapturedOutput out;
  const int code = faultline_main({"faultline", "plan", experiment_data("own/good.yaml")});
  const std::string text = out.out();
  INFO(text);
  INFO(out.err());
  CHECK(code == 0);
  CHECK(text.rfind("good.yaml: what 'faultline run' would do; nothing was started\n", 0) == 0);
  // Addresses as a run would get them (or, on a host with no free /24,
  // why there are none).
  CHECK(
      std::regex_search(text, std::regex(R"(\n  lb       haproxy  10\.213\.\d+\.10:8080\n|no addresses: )")));
  CHECK(text.find("           ready: up once GET /health answers with a status below 500\n") !=
        std::string::npos);
  CHECK(text.find("           env: APP_MODE=staging (added to faultline's own environment)\n") !=
        std::string::npos);
  // The copy of the team's haproxy.cfg: the team's lines numbered, the
  // lines faultline adds marked, each with its reason.
  CHECK(text.find("lb: the team's lb/haproxy.cfg, run as the copy <run folder>/lb/haproxy.cfg") !=
        std::string::npos);
  CHECK(text.find(
            "\n      +     stats socket <run folder>/lb/admin.sock mode 600 level admin expose-fd listeners\n"
            "      ^ why: ") != std::string::npos);
  CHECK(text.find("\n   10       bind :8080\n") != std::string::npos);
  CHECK(
      text.find("static1: the team's web/nginx.conf, run as the copy <run folder>/static1/conf/nginx.conf") !=
      std::string::npos);
  CHECK(text.find("\n      + daemon off;\n      ^ why: ") != std::string::npos);
  CHECK(text.find("\nLoad: 50/s to lb") != std::string::npos);
  CHECK(text.find("\nMethod: no steps; the load runs for 10s without faults\n") != std::string::npos);
  CHECK(text.find("\nExpect: hold") != std::string::npos);
}

TEST_CASE("faultline plan of an invalid file prints validate's errors and exits 2 with no plan",
          "[runner][plan][cli]") {
  CapturedOutput out;
  const int code = faultline_main({"faultline", "plan", experiment_data("bad_references.yaml")});
  CHECK(code == 2);
  CHECK(out.out().empty());
  CHECK(out.err().find("bad_references.yaml:") != std::string::npos);
  CHECK(out.err().find(": error: ") != std::string::npos);
  CHECK(std::regex_search(out.err(), std::regex(R"(bad_references\.yaml: \d+ errors?\n$)")));
}

TEST_CASE("faultline plan --set changes the plan as it changes a run", "[runner][plan][cli]") {
  CapturedOutput out;
  const int code = faultline_main(
      {"faultline", "plan", experiment_data("good_minimal.yaml"), "--set", "load.rate=75/s", "--configs"});
  INFO(out.err());
  CHECK(code == 0);
  CHECK(out.out().find("\nLoad: 75/s to web") != std::string::npos);
  // --configs: the nginx faultline renders for web, when there are
  // addresses to render it with.
  CHECK(std::regex_search(
      out.out(),
      std::regex(
          R"(\nweb: rendered by faultline from the experiment, as <run folder>/web/nginx\.conf\n|no addresses: )")));
}
