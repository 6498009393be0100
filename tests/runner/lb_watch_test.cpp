// Reading the load balancer's view of its servers: HAProxy's `show servers
// state` rows turned into state words and timeline events.

#include "harness/runner/lb_watch.h"

#include <fmt/format.h>

#include <catch2/catch.hpp>

using namespace faultline;
using namespace faultline::runner;

namespace {

// The shape of HAProxy 2.6's answer (columns trimmed to the ones read, and
// a few around them, as HAProxy prints many more).
std::string answer(int web1_op, int web1_admin, int web2_op, int web2_admin) {
  return "1\n"
         "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight\n" +
         fmt::format("3 app 1 web1 10.0.0.11 {} {} 1\n", web1_op, web1_admin) +
         fmt::format("3 app 2 web2 10.0.0.12 {} {} 1\n", web2_op, web2_admin);
}

}  // namespace

TEST_CASE("a server's state word puts maintenance and drain before its health", "[runner][lb]") {
  const auto rows = platform::parse_servers_state(answer(2, 0, 0, 0));
  REQUIRE(rows.size() == 2);
  CHECK(server_state_word(rows[0]) == "UP");
  CHECK(server_state_word(rows[1]) == "DOWN");
  CHECK(server_state_word(platform::parse_servers_state(answer(1, 0, 3, 0))[0]) == "STARTING");
  CHECK(server_state_word(platform::parse_servers_state(answer(1, 0, 3, 0))[1]) == "STOPPING");
  // Forced maintenance (0x01) on a running server; forced drain (0x08).
  CHECK(server_state_word(platform::parse_servers_state(answer(2, 1, 2, 8))[0]) == "MAINT");
  CHECK(server_state_word(platform::parse_servers_state(answer(2, 1, 2, 8))[1]) == "DRAIN");
  CHECK(server_state_word({{"srv_name", "web1"}}).empty());
  CHECK(server_state_word({{"srv_op_state", "x"}, {"srv_admin_state", "0"}}).empty());
}

TEST_CASE("only changes after the first sight of a server become events", "[runner][lb]") {
  std::map<std::string, std::string> known;
  std::vector<LbEvent> events;
  diff_server_states("lb", platform::parse_servers_state(answer(2, 0, 2, 0)), 100, known, events);
  CHECK(events.empty());
  diff_server_states("lb", platform::parse_servers_state(answer(2, 0, 2, 0)), 200, known, events);
  CHECK(events.empty());

  diff_server_states("lb", platform::parse_servers_state(answer(2, 0, 0, 0)), 300, known, events);
  REQUIRE(events.size() == 1);
  CHECK(events[0].at_ns == 300);
  CHECK(events[0].service == "lb");
  CHECK(events[0].server == "web2");
  CHECK(events[0].from == "UP");
  CHECK(events[0].to == "DOWN");
  CHECK(events[0].text == "lb marked web2 DOWN");

  diff_server_states("lb", platform::parse_servers_state(answer(2, 1, 2, 0)), 400, known, events);
  REQUIRE(events.size() == 3);
  CHECK(events[1].server == "web1");
  CHECK(events[1].text == "lb put web1 in maintenance");
  CHECK(events[2].server == "web2");
  CHECK(events[2].text == "lb marked web2 UP");

  diff_server_states("lb", platform::parse_servers_state(answer(2, 0, 2, 0)), 500, known, events);
  REQUIRE(events.size() == 4);
  CHECK(events[3].text == "lb took web1 out of maintenance (UP now)");
}
