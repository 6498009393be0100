// A request mix through a real load balancer, with http_delay on one path:
// only checkout requests are held, so the checkout objective breaches while
// the home objective holds, on HAProxy (path_beg) and on nginx (a map of
// the share and $uri), and the journal breaks the figures down by name.

#include <catch2/catch.hpp>

#include "journal_helpers.h"
#include "tests/skip.h"

using namespace faultline::testing;

namespace {

const json& objective(const json& j, const std::string& name) {
  for (const auto& o : j["slo"]["objectives"]) {
    if (o["name"] == name) {
      return o;
    }
  }
  FAIL("no objective " << name);
  static const json none;
  return none;
}

}  // namespace

TEST_CASE("http_delay with a path prefix breaches the per-name objective of that request only",
          "[integration][http][mix]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const std::string kind = GENERATE("haproxy", "nginx");
  const std::string out = fresh_out_dir("http_mix_" + kind);
  INFO(kind << ": reports and log in " << out);
  const json j =
      run_to_journal(fault_experiment("http_mix"), out, {"--set", "stack.services.lb.kind=" + kind});

  CHECK(objective(j, "checkout-latency")["breached"] == true);
  CHECK(objective(j, "home-latency")["breached"] == false);
  CHECK(objective(j, "errors")["breached"] == false);

  const json& fault = journal_phase(j, "fault", 0);
  INFO(fault.dump());
  const json& by_name = fault["requests_by_name"];
  REQUIRE(by_name.contains("home"));
  REQUIRE(by_name.contains("checkout"));
  const double home = by_name["home"]["requests"].get<double>();
  const double checkout = by_name["checkout"]["requests"].get<double>();
  CHECK(home + checkout == fault["requests"].get<double>());
  // Weights 3:1 over some 800 requests.
  CHECK(checkout / (home + checkout) == Approx(0.25).margin(0.07));
  CHECK(by_name["checkout"]["errors"] == 0);
  CHECK(by_name["checkout"]["p99_ms"].get<double>() >= 399.0);
  CHECK(by_name["home"]["p99_ms"].get<double>() < 100.0);

  const json& baseline = journal_phase(j, "baseline");
  CHECK(baseline["requests_by_name"]["checkout"]["p99_ms"].get<double>() < 100.0);
  CHECK(leftovers(j["run_id"].get<std::string>()).empty());

  // The postmortem shows the table per request.
  const std::string md = read_file(out + "/postmortem.md");
  CHECK(md.find("| Request | Requests | Errors | p99 |") != std::string::npos);
  CHECK(md.find("| checkout | ") != std::string::npos);
}
