// End-to-end HTTP faults at the load balancer, on HAProxy (Lua action,
// `http-request return`) and on nginx (split_clients, echo module): the
// measured share of aborted requests and of delayed ones through real load,
// and the return to steady state after each revert.

#include <algorithm>
#include <catch2/catch.hpp>

#include "journal_helpers.h"
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

  const json& baseline = journal_phase(j, "baseline");
  CHECK(baseline["errors"].get<long>() == 0);

  // 20% answered 503 by the load balancer itself: with ~1200 requests the
  // share is within 4 points of 20% (more than 3 standard deviations), and
  // those never reached a backend.
  const json& abort = journal_phase(j, "fault", 0);
  INFO(abort.dump());
  const double requests = abort["requests"].get<double>();
  CHECK(requests > 1000);
  CHECK(status_count(abort, "503") / requests == Approx(0.20).margin(0.04));
  CHECK(abort["errors"].get<long>() == status_count(abort, "503"));
  long answered = 0;
  for (const auto& [name, n] : abort["backends"].items()) {
    answered += n.get<long>();
  }
  CHECK(answered == status_count(abort, "200"));

  // 30% held 100 ms: in every window of the fault the median stays fast and
  // the 90th percentile sits at the delay (it is in the delayed 30%).
  const auto windows = fault_windows(j, 1);
  CHECK(windows.size() >= 4);
  std::vector<double> p90;
  for (const auto& w : windows) {
    INFO(w.dump());
    CHECK(w["errors"].get<long>() == 0);
    CHECK(w["p50_ms"].get<double>() < 20.0);
    p90.push_back(w["p90_ms"].get<double>());
  }
  std::sort(p90.begin(), p90.end());
  const double median_p90 = p90.empty() ? 0 : p90[p90.size() / 2];
  // Down to 99 ms: nginx arms echo_sleep's timer from its cached
  // millisecond clock, so a 100 ms sleep can end up to ~1 ms early, and a
  // window's p90 is read from 1 ms histogram bins (a value in [99, 100)
  // reads 99.5).
  CHECK(median_p90 >= 99.0);
  CHECK(median_p90 < 115.0);

  // After the reverts: no errors and no delay.
  const json& after = journal_phase(j, "recovery");
  INFO(after.dump());
  CHECK(after["errors"].get<long>() == 0);
  CHECK(after["p99_ms"].get<double>() < 20.0);
  CHECK(leftovers(j["run_id"].get<std::string>()).empty());
}
