// Shares from HAProxy's own counters: each read's increase per server,
// told apart by the server's address (never its name), summed per service
// of the stack; a server the stack does not know counts as unknown.

#include "harness/runner/haproxy_counters.h"

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "harness/common/text.h"

using namespace faultline;
using namespace faultline::runner;

namespace {

stack::Plan plan_of(const std::vector<std::pair<std::string, std::string>>& services) {
  stack::Plan plan;
  for (const auto& [name, address] : services) {
    stack::PlannedService ps;
    ps.name = name;
    ps.address = address;
    plan.services.push_back(ps);
  }
  return plan;
}

platform::StatRow server(const std::string& proxy, const std::string& name, const std::string& addr,
                         uint64_t requests) {
  platform::StatRow row;
  row.proxy = proxy;
  row.server = name;
  row.type = platform::StatRow::Type::server;
  row.addr = addr;
  row.requests = requests;
  return row;
}

std::map<std::string, uint64_t> by_service(const std::vector<verify::BackendCount>& counts) {
  std::map<std::string, uint64_t> out;
  for (const auto& c : counts) {
    out[c.backend] += c.requests;
  }
  return out;
}

}  // namespace

TEST_CASE("a server address names its service, whatever the config calls it", "[runner][shares]") {
  const auto plan = plan_of({{"lb", "10.213.7.2"}, {"api1", "10.213.7.3"}, {"api2", "10.213.7.4"}});
  CHECK(host_of("10.213.7.3:9000") == "10.213.7.3");
  CHECK(host_of("10.213.7.3") == "10.213.7.3");
  CHECK(host_of("[fd00::3]:80") == "fd00::3");
  CHECK(host_of("fd00::3") == "fd00::3");
  CHECK(service_at(plan, "10.213.7.4") == "api2");
  CHECK(service_at(plan, "10.213.7.40").empty());
  CHECK(service_at(plan, "").empty());
}

TEST_CASE("each read counts the increase since the one before, per service", "[runner][shares]") {
  // The team named its servers s1 and s2, and s1 is at api2's address.
  CounterDeltas deltas(plan_of({{"lb", "10.0.0.2"}, {"api1", "10.0.0.3"}, {"api2", "10.0.0.4"}}));
  // The first read finds the bring-up's requests: where counting starts.
  CHECK(
      deltas.add_read({server("be", "s1", "10.0.0.4:9000", 40), server("be", "s2", "10.0.0.3:9000", 7)}, 100)
          .empty());

  const auto second =
      deltas.add_read({server("be", "s1", "10.0.0.4:9000", 45), server("be", "s2", "10.0.0.3:9000", 7)}, 200);
  REQUIRE(second.size() == 1);
  CHECK(second[0].at_ns == 200);
  CHECK(second[0].backend == "api2");
  CHECK(second[0].requests == 5);

  // Two servers at one service add up; rows other than servers are not
  // counted (a backend's own req_tot sums its servers').
  platform::StatRow backend_row = server("be", "BACKEND", "", 1000);
  backend_row.type = platform::StatRow::Type::backend;
  const auto third =
      deltas.add_read({server("be", "s1", "10.0.0.4:9000", 46), server("be", "s2", "10.0.0.3:9000", 9),
                       server("other", "again", "10.0.0.3:80", 3), backend_row},
                      300);
  CHECK(by_service(third) == std::map<std::string, uint64_t>{{"api1", 5}, {"api2", 1}});
  CHECK(deltas.unknown_servers().empty());
}

TEST_CASE("a server the plan does not know counts as unknown and is named", "[runner][shares]") {
  CounterDeltas deltas(plan_of({{"api1", "10.0.0.3"}}));
  deltas.add_read({server("be", "s1", "10.0.0.3:9000", 0), server("be", "s9", "10.9.9.9:80", 0)}, 100);
  const auto counts =
      deltas.add_read({server("be", "s1", "10.0.0.3:9000", 4), server("be", "s9", "10.9.9.9:80", 6)}, 200);
  CHECK(by_service(counts) == std::map<std::string, uint64_t>{{"", 6}, {"api1", 4}});
  CHECK(deltas.unknown_servers() == std::set<std::string>{"be/s9 at 10.9.9.9:80"});
}

TEST_CASE("a reloaded HAProxy's counters, and a server new since, count from zero", "[runner][shares]") {
  CounterDeltas deltas(plan_of({{"api1", "10.0.0.3"}, {"api2", "10.0.0.4"}}));
  deltas.add_read({server("be", "s1", "10.0.0.3:9000", 500)}, 100);
  // The new process started its counters again, with a server the old
  // config did not have.
  const auto counts =
      deltas.add_read({server("be", "s1", "10.0.0.3:9000", 12), server("be", "s2", "10.0.0.4:9000", 8)}, 200);
  CHECK(by_service(counts) == std::map<std::string, uint64_t>{{"api1", 12}, {"api2", 8}});
  // A server without a count is passed over.
  platform::StatRow uncounted = server("be", "s1", "10.0.0.3:9000", 0);
  uncounted.requests.reset();
  CHECK(deltas.add_read({uncounted}, 300).empty());
}

TEST_CASE("the counts of a real show stat capture map to services by address", "[runner][shares]") {
  std::string path = FAULTLINE_TEST_DATA;
  path.append("/haproxy/show_stat_2.6.csv");
  const auto rows = platform::parse_show_stat(read_text(path));
  // The capture's servers at 127.0.0.1 (api1 and files) and 127.0.0.2; the
  // plan knows only the first.
  CounterDeltas deltas(plan_of({{"app", "127.0.0.1"}}));
  std::vector<platform::StatRow> zero = rows;
  for (auto& r : zero) {
    r.requests = 0;
  }
  deltas.add_read(zero, 0);
  const auto counts = deltas.add_read(rows, 100);
  CHECK(by_service(counts) == std::map<std::string, uint64_t>{{"", 3}, {"app", 5}});
  CHECK(deltas.unknown_servers() == std::set<std::string>{"api/api2 at 127.0.0.2:18482"});
}
