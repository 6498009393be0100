#include "harness/load/plan.h"

#include <catch2/catch.hpp>

#include "tests/load/test_specs.h"

namespace faultline::load {
namespace {

using namespace std::chrono_literals;

TEST_CASE("the request carries Host and the User-Agent, and nothing else", "[load][plan]") {
  LoadSpec spec = testing::loopback_spec(8080, 10, 1s, 1);
  spec.path = "/api/items";
  CHECK(make_plan(spec, 0).templates.at(0).bytes ==
        "GET /api/items HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: faultline\r\n\r\n");
  SECTION("an empty user agent leaves the header out, as wrk sends it") {
    spec.user_agent = "";
    spec.port = 80;
    spec.path = "";
    CHECK(make_plan(spec, 0).templates.at(0).bytes == "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  }
}

}  // namespace
}  // namespace faultline::load
