// Reading HAProxy's `show stat`: a capture taken from HAProxy 2.6.12
// (tests/data/haproxy/, the config beside it says how), typed into rows
// with each server's address and the requests it answered.

#include <catch2/catch.hpp>
#include <string>

#include "harness/common/text.h"
#include "harness/platform/haproxy_runtime_api.h"

namespace faultline::platform {
namespace {

std::string capture() {
  std::string path = FAULTLINE_TEST_DATA;
  path.append("/haproxy/show_stat_2.6.csv");
  return read_text(path);
}

const StatRow* row_of(const std::vector<StatRow>& rows, const std::string& proxy, const std::string& server) {
  for (const auto& r : rows) {
    if (r.proxy == proxy && r.server == server) {
      return &r;
    }
  }
  return nullptr;
}

TEST_CASE("show stat of HAProxy 2.6 reads into typed rows", "[platform][haproxy]") {
  const auto rows = parse_show_stat(capture());
  REQUIRE(rows.size() == 7);  // web's frontend, api's three servers and backend, static's server and backend

  const StatRow* frontend = row_of(rows, "web", "FRONTEND");
  REQUIRE(frontend != nullptr);
  CHECK(frontend->type == StatRow::Type::frontend);
  CHECK(frontend->addr.empty());
  CHECK(row_of(rows, "api", "BACKEND")->type == StatRow::Type::backend);

  // api1 is written `localhost:18481` in the config: HAProxy shows the
  // address it resolved.
  const StatRow* api1 = row_of(rows, "api", "api1");
  REQUIRE(api1 != nullptr);
  CHECK(api1->type == StatRow::Type::server);
  CHECK(api1->addr == "127.0.0.1:18481");
  CHECK(api1->requests == std::optional<uint64_t>(3));
  CHECK(row_of(rows, "api", "api2")->addr == "127.0.0.2:18482");
  CHECK(row_of(rows, "api", "api2")->requests == std::optional<uint64_t>(3));
  // api3 refused every connection: it answered nothing, though HAProxy
  // tried it 12 times (stot).
  CHECK(row_of(rows, "api", "api3")->requests == std::optional<uint64_t>(0));
  CHECK(row_of(rows, "static", "files")->requests == std::optional<uint64_t>(2));
  CHECK(row_of(rows, "static", "files")->addr == "127.0.0.1:18481");
}

TEST_CASE("show stat columns are found by name, quoted fields kept whole", "[platform][haproxy]") {
  const std::string answer =
      "# svname,pxname,type,check_desc,req_tot,addr,\n"
      "s1,be,2,\"Layer7 \"\"wrong\"\", status 500\",41,10.0.0.2:80,\n"
      "s2,be,2,,,10.0.0.3:80,\n"    // no count: a HAProxy that keeps none per server
      "s3,be,2,,x7,10.0.0.4:80,\n"  // not a number
      "s4,be,2\n"                   // cut short
      "Unknown command. Please enter one of the following commands only :\n";
  const auto rows = parse_show_stat(answer);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].proxy == "be");
  CHECK(rows[0].server == "s1");
  CHECK(rows[0].requests == std::optional<uint64_t>(41));
  CHECK(rows[0].addr == "10.0.0.2:80");
  CHECK_FALSE(rows[1].requests.has_value());
  CHECK_FALSE(rows[2].requests.has_value());
  CHECK(parse_show_stat("Permission denied\n").empty());
  CHECK(parse_show_stat("").empty());
}

}  // namespace
}  // namespace faultline::platform
