// HTTPS load end to end (issue 21): the real faultline binary renders HAProxy
// or nginx with tls: true, makes the run's CA and the certificate, and the
// load trusts that CA. Requests succeed and spread as on plain HTTP; a load
// that trusts another CA fails every request as a `tls` error with the
// reason in the journal.

#include <catch2/catch.hpp>
#include <filesystem>

#include "journal_helpers.h"
#include "tests/skip.h"

using namespace faultline::testing;

namespace {

std::string https_experiment(const std::string& name) {
  return std::string(FAULTLINE_TEST_DATA) + "/experiments/https/" + name + ".yaml";
}

void check_served_over_tls(const std::string& name) {
  const std::string out = fresh_out_dir(name);
  INFO("reports and log in " << out);
  const json j = run_to_journal(https_experiment(name), out, {}, std::chrono::seconds(90));
  REQUIRE(j["expectation_met"] == true);
  const json& load = j["load"];
  INFO(load.dump());
  CHECK(load["scheme"] == "https");
  const json& tls = load["tls"];
  CHECK(tls["trust"] == "run-ca");
  CHECK(tls["sni"] == "lb");
  // The run's CA, in the load balancer's folder of the run (gone with it).
  CHECK(tls["ca"].get<std::string>().find("/lb/tls-ca.pem") != std::string::npos);
  CHECK(tls["errors"].empty());
  CHECK(tls["handshakes"].get<uint64_t>() >= 8);  // the pre-opened connections
  const uint64_t requests = load["requests"].get<uint64_t>();
  CHECK(requests == 800);
  // Every request answered 200, none failed in any way.
  const json& impact = journal_phase(j, "baseline");
  INFO(impact.dump());
  CHECK(impact["requests"].get<uint64_t>() == requests);
  CHECK(impact["errors"] == 0);
  CHECK(status_count(impact, "200") == static_cast<long>(requests));
  // Round robin spreads the load as it does on plain HTTP.
  for (const char* web : {"web1", "web2", "web3"}) {
    CHECK(backend_share(impact["backends"], web) == Approx(1.0 / 3).margin(0.05));
  }
}

}  // namespace

TEST_CASE("HTTPS load through a rendered HAProxy with tls: every request served, shares as on HTTP",
          "[integration][https]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  check_served_over_tls("https_haproxy");
}

TEST_CASE("HTTPS load through a rendered nginx with tls: every request served, shares as on HTTP",
          "[integration][https]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  check_served_over_tls("https_nginx");
}

TEST_CASE("HTTPS load that trusts another CA fails every request as tls, the reason in the journal",
          "[integration][https]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const std::string out = fresh_out_dir("https_wrong_ca");
  INFO("reports and log in " << out);
  // The run completes, and its availability objective breaches from the
  // first window: a regression, exit code 1 (not run_to_journal's 0).
  const int code = run({FAULTLINE_BINARY, "run", https_experiment("https_wrong_ca"), "--out", out},
                       out + "/faultline.log", std::chrono::seconds(90));
  INFO(read_file(out + "/faultline.log"));
  CHECK(code == 1);
  const json j = json::parse(read_file(out + "/journal.json"));
  REQUIRE(j["status"] == "completed");
  CHECK(j["expectation_met"] == false);
  // The terminal summary names the reason too.
  CHECK(read_file(out + "/faultline.log")
            .find("TLS handshakes failed: unable to get local issuer certificate") != std::string::npos);
  const json& load = j["load"];
  INFO(load.dump());
  const json& tls = load["tls"];
  CHECK(tls["trust"] == "ca");
  CHECK(tls["ca"].get<std::string>().find("tests/data/tls/other-ca.pem") != std::string::npos);
  CHECK(tls["handshakes"] == 0);
  REQUIRE(tls["errors"].size() == 1);
  CHECK(tls["errors"].begin().key() == "unable to get local issuer certificate");
  const uint64_t requests = load["requests"].get<uint64_t>();
  CHECK(requests == 300);
  CHECK(tls["errors"].begin().value().get<uint64_t>() >= requests);
  // Every request of the run is a tls transport error, window by window.
  double tls_errors = 0;
  double windowed = 0;
  for (const auto& w : j["windows"]) {
    INFO(w.dump());
    CHECK(w["transport_errors"].size() == (w["requests"].get<double>() > 0 ? 1U : 0U));
    tls_errors += count_of(w["transport_errors"], "tls");
    windowed += w["requests"].get<double>();
  }
  CHECK(windowed == static_cast<double>(requests));
  CHECK(tls_errors == windowed);
  CHECK(journal_phase(j, "baseline")["errors"].get<uint64_t>() == requests);
}
