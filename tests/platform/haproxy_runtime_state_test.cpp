// What a reload must carry over from the old HAProxy to the new one: the
// admin states and weights set through the runtime API, read off `show
// servers state` (HAProxy 2.6's columns), and nothing the config itself
// says.

#include "harness/platform/haproxy_runtime_state.h"

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <string>
#include <tuple>
#include <vector>

using faultline::platform::parse_servers_state;
using faultline::platform::runtime_override_commands;

namespace {

// A `show servers state` answer with HAProxy 2.6's first columns; each
// server: name, srv_admin_state, srv_uweight, srv_iweight.
std::string answer(const std::vector<std::tuple<std::string, int, int, int>>& servers) {
  std::string out =
      "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight "
      "srv_time_since_last_change\n";
  int id = 0;
  for (const auto& [name, admin, uweight, iweight] : servers) {
    ++id;
    out += fmt::format("3 be_web {} {} 10.0.0.{} 2 {} {} {} 5\n", id, name, id, admin, uweight, iweight);
  }
  return out + "\n";
}

}  // namespace

TEST_CASE("a reload carries over forced admin states and runtime weights, not the config's",
          "[platform][haproxy]") {
  // web1 drained (0x08), web2 forced into maintenance (0x01) and drained
  // too (maintenance wins), web3 in maintenance from the config (0x04, its
  // `disabled` keyword) and weighted 5 at runtime against 1 in the config,
  // web4 as the config says.
  const auto rows = parse_servers_state(
      answer({{"web1", 8, 1, 1}, {"web2", 9, 1, 1}, {"web3", 4, 5, 1}, {"web4", 0, 10, 10}}));
  REQUIRE(rows.size() == 4);
  CHECK(runtime_override_commands(rows) == std::vector<std::string>{
                                               "set server be_web/web1 state drain",
                                               "set server be_web/web2 state maint",
                                               "set weight be_web/web3 5",
                                           });
  CHECK(runtime_override_commands(parse_servers_state(answer({{"web1", 0, 1, 1}}))).empty());
  // A row without the columns says nothing to carry over.
  CHECK(runtime_override_commands({{{"be_name", "be_web"}, {"srv_name", "web1"}}}).empty());
}
