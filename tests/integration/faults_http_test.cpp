// End-to-end HTTP faults at the load balancer, on HAProxy (Lua action,
// `http-request return`) and on nginx (split_clients, echo module): the
// measured share of aborted requests and of delayed ones through real load,
// and the return to steady state after each revert.

#include <catch2/catch.hpp>

#include "http_fault_checks.h"
#include "tests/skip.h"

using namespace faultline::testing;

TEST_CASE("http_abort fails its share of requests and http_delay holds its share, on HAProxy and nginx",
          "[integration][http]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const std::string kind = GENERATE("haproxy", "nginx");
  const std::string out = fresh_out_dir("http_" + kind);
  INFO(kind << ": reports and log in " << out);
  const json j = run_to_journal(fault_experiment("http"), out, {"--set", "stack.services.lb.kind=" + kind});

  check_abort_then_delay(j);
  // What the aborts never sent on: every answer a backend gave is a 200.
  const json& abort = journal_phase(j, "fault", 0);
  long answered = 0;
  for (const auto& [name, n] : abort["backends"].items()) {
    answered += n.get<long>();
  }
  CHECK(answered == status_count(abort, "200"));
  CHECK(leftovers(j["run_id"].get<std::string>()).empty());
}
