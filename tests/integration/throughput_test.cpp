// Throughput counts responses, not requests: the real faultline binary
// drives 300 requests/s through HAProxy to three nginx and pauses one of
// them for 3 s (tests/data/experiments/throughput_paused_backend.yaml).
// With no health check, a third of the requests go to the paused backend
// and time out, so the responses that arrive fall to about two thirds of
// the rate: `throughput > 250/s` must breach in the fault's windows and
// hold in the baseline, while `offered_rate > 250/s` (what `throughput`
// used to measure: requests by intended send time) holds throughout.

#include <catch2/catch.hpp>
#include <string>

#include "journal_helpers.h"
#include "tests/skip.h"

using namespace faultline::testing;

namespace {

const std::string kExperiment =
    std::string(FAULTLINE_TEST_DATA) + "/experiments/throughput_paused_backend.yaml";

const json& objective_named(const json& j, const std::string& name) {
  for (const auto& o : j["slo"]["objectives"]) {
    if (o["name"] == name) {
      return o;
    }
  }
  FAIL("no objective " << name);
  static const json none;
  return none;
}

// The window's figures, for failure messages.
std::string describe(const json& w) {
  return "window " + w["start_s"].dump() + "-" + w["end_s"].dump() + " s: requests " + w["requests"].dump() +
         ", responses " + w["responses"].dump() + ", good " + w["good_responses"].dump() + ", throughput " +
         w["throughput"].dump() + "/s, goodput " + w["goodput"].dump() + "/s, offered " +
         w["offered_rate"].dump() + "/s";
}

}  // namespace

TEST_CASE("throughput counts the responses that arrive: pausing one backend of three breaches it",
          "[integration][throughput]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const std::string out = fresh_out_dir("throughput_paused_backend");
  INFO("reports and log in " << out);
  const json j = run_to_journal(kExperiment, out, {}, std::chrono::seconds(90));
  REQUIRE(j["expectation_met"] == true);  // expect: breach, and it was met

  const double rate = j["load"]["rate"].get<double>();
  const double window = j["slo"]["window_s"].get<double>();
  const double injected = j["activities"][0]["injected_s"].get<double>();
  const double reverted = j["activities"][0]["reverted_s"].get<double>();
  REQUIRE(reverted - injected == Approx(3.0).margin(0.3));

  // Every window states its counts and the rates made from them.
  for (const auto& w : j["windows"]) {
    INFO(describe(w));
    const double span = w["end_s"].get<double>() - w["start_s"].get<double>();
    REQUIRE(span > 0);
    CHECK(w["offered_rate"].get<double>() == Approx(w["requests"].get<double>() / span));
    CHECK(w["throughput"].get<double>() == Approx(w["responses"].get<double>() / span));
    CHECK(w["goodput"].get<double>() == Approx(w["good_responses"].get<double>() / span));
    CHECK(w["good_responses"].get<double>() <= w["responses"].get<double>());
  }

  // Baseline: all three answer, and every rate is the load's rate.
  size_t baseline = 0;
  for (const auto& w : j["windows"]) {
    if (w["end_s"].get<double>() > injected) {
      continue;
    }
    ++baseline;
    INFO(describe(w));
    CHECK(w["objectives"]["throughput"]["holds"] == true);
    CHECK(w["throughput"].get<double>() == Approx(rate).epsilon(0.1));
    CHECK(w["goodput"].get<double>() == Approx(rate).epsilon(0.1));
    CHECK(w["offered_rate"].get<double>() == Approx(rate).epsilon(0.1));
  }
  CHECK(baseline >= 5);

  // While web1 is paused: the load still offers the rate, but only web2
  // and web3 answer, so about two thirds of it arrives.
  const auto during = fault_windows(j, 0);
  CHECK(during.size() >= 4);
  for (const auto& w : during) {
    INFO(describe(w));
    CHECK(w["objectives"]["throughput"]["holds"] == false);
    CHECK(w["objectives"]["goodput"]["holds"] == false);
    CHECK(w["objectives"]["offered"]["holds"] == true);
    CHECK(w["throughput"].get<double>() == Approx(rate * 2 / 3).epsilon(0.15));
    CHECK(w["offered_rate"].get<double>() == Approx(rate).epsilon(0.1));
  }

  // The throughput breach lies within the fault (give or take the windows
  // that straddle its edges); the offered rate never breached.
  const json& throughput = objective_named(j, "throughput");
  CHECK(throughput["breached"] == true);
  for (const auto& b : throughput["breaches"]) {
    CHECK(b["start_s"].get<double>() >= injected - window);
    CHECK(b["end_s"].get<double>() <= reverted + window);
  }
  CHECK(objective_named(j, "offered")["breached"] == false);
}
