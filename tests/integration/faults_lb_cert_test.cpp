// lb_cert end to end (issue 21): a rendered HAProxy or nginx with tls: true
// serves an expired certificate, one for another name, or one from an
// unknown CA, from 2 s to 4 s of the load. Every request closes its
// connection, so each makes a handshake: those of the fault fail as `tls`
// errors with the reason a client gives, the ones before and after it
// succeed.

#include <catch2/catch.hpp>

#include "journal_helpers.h"
#include "tests/skip.h"

using namespace faultline::testing;

namespace {

std::string lb_cert_experiment(const std::string& lb) {
  return std::string(FAULTLINE_TEST_DATA) + "/experiments/https/lb_cert_" + lb + ".yaml";
}

// What OpenSSL's verification says of each broken certificate
// (X509_verify_cert_error_string), as the journal records it.
std::string reason_of(const std::string& serve) {
  if (serve == "expired") {
    return "certificate has expired";
  }
  if (serve == "wrong_name") {
    return "hostname mismatch";
  }
  return "unable to get local issuer certificate";
}

void check_lb_cert(const std::string& lb, const std::string& serve) {
  const std::string out = fresh_out_dir("lb_cert/" + lb + "_" + serve);
  INFO("reports and log in " << out);
  const json j = run_to_journal(lb_cert_experiment(lb), out, {"--set", "method.0.params.serve=" + serve},
                                std::chrono::seconds(90));
  CHECK(j["expectation_met"] == true);
  const json& fault = j["activities"][0];
  INFO(fault.dump());
  const double injected = fault["injected_s"].get<double>();
  const double reverted = fault["reverted_s"].get<double>();
  CHECK(injected == Approx(2.0).margin(0.3));
  CHECK(reverted == Approx(4.0).margin(0.5));

  const json& tls = j["load"]["tls"];
  INFO(tls.dump());
  REQUIRE(tls["errors"].size() == 1);
  CHECK(tls["errors"].begin().key() == reason_of(serve));
  const auto failed_handshakes = tls["errors"].begin().value().get<uint64_t>();

  // Before the fault and once it is reverted (a window later) every request
  // is answered; while the broken certificate is served, nearly every
  // request fails its handshake (a few may still be on a connection made
  // just before the inject).
  const WindowSum before = windows_between(j, 0.0, injected);
  const WindowSum during = windows_between(j, injected + 0.5, reverted);
  const WindowSum after = windows_between(j, reverted + 0.5, 1e9);
  INFO("before: " << before.requests << " requests, " << before.errors
                  << " errors; during: " << during.requests << ", " << during.errors
                  << "; after: " << after.requests << ", " << after.errors);
  CHECK(before.requests >= 150);
  CHECK(before.errors == 0);
  CHECK(during.requests >= 100);
  CHECK(during.errors >= 0.9 * during.requests);
  CHECK(after.requests >= 100);
  CHECK(after.errors == 0);
  // The errors are the handshakes the journal counts, each a tls error.
  double tls_errors = 0;
  for (const auto& w : j["windows"]) {
    tls_errors += count_of(w["transport_errors"], "tls");
  }
  CHECK(tls_errors == static_cast<double>(failed_handshakes));
  CHECK(tls_errors >= during.errors);
  CHECK(leftovers(j["run_id"].get<std::string>()).empty());
}

}  // namespace

TEST_CASE("lb_cert on HAProxy: each broken certificate fails the clients' handshakes, and revert mends them",
          "[integration][lb_cert]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const std::string serve = GENERATE(as<std::string>{}, "expired", "wrong_name", "unknown_ca");
  check_lb_cert("haproxy", serve);
}

TEST_CASE("lb_cert on nginx: each broken certificate fails the clients' handshakes, and revert mends them",
          "[integration][lb_cert]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const std::string serve = GENERATE(as<std::string>{}, "expired", "wrong_name", "unknown_ca");
  check_lb_cert("nginx", serve);
}
