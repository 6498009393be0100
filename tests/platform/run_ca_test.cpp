// The run's CA and the certificates it signs, checked the way a client
// would: OpenSSL's own chain verification, with host and IP checks and a
// chosen verification time.

#include "harness/platform/run_ca.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

namespace faultline::platform {
namespace {

using std::chrono::hours;

struct CertFree {
  void operator()(X509* x) const { X509_free(x); }
};
using Cert = std::unique_ptr<X509, CertFree>;

Cert parse(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  Cert cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  REQUIRE(cert);
  return cert;
}

struct Check {
  std::string host;
  std::string ip;
  SystemClock::time_point at = SystemClock::now();
  bool ignore_time = false;  // X509_V_FLAG_NO_CHECK_TIME
};

// X509_verify_cert's verdict for `leaf` against `ca` alone: X509_V_OK or
// the reason.
int verify(const std::string& ca, const std::string& leaf, const Check& check) {
  Cert ca_cert = parse(ca);
  Cert leaf_cert = parse(leaf);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca_cert.get());
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf_cert.get(), nullptr);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
  // A set time would win over NO_CHECK_TIME.
  if (check.ignore_time) {
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_CHECK_TIME);
  } else {
    X509_VERIFY_PARAM_set_time(param, SystemClock::to_time_t(check.at));
  }
  if (!check.host.empty()) {
    X509_VERIFY_PARAM_set1_host(param, check.host.c_str(), 0);
  }
  if (!check.ip.empty()) {
    X509_VERIFY_PARAM_set1_ip_asc(param, check.ip.c_str());
  }
  const int ok = X509_verify_cert(ctx);
  const int error = ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return error;
}

const ServerNames kNames{{"10.213.7.10"}, {"lb"}};

}  // namespace

TEST_CASE("the run's CA signs a server certificate that verifies for the LB's name and address") {
  const auto now = SystemClock::now();
  auto ca = make_run_ca("faultline run CA", now);
  REQUIRE(ca);
  auto server = issue_server_cert(*ca, kNames, now);
  REQUIRE(server);
  CHECK(verify(ca->cert, server->cert, {"lb", "", now}) == X509_V_OK);
  CHECK(verify(ca->cert, server->cert, {"", "10.213.7.10", now}) == X509_V_OK);
  // The names are checked, not merely present.
  CHECK(verify(ca->cert, server->cert, {"other", "", now}) == X509_V_ERR_HOSTNAME_MISMATCH);
  CHECK(verify(ca->cert, server->cert, {"", "10.213.7.11", now}) == X509_V_ERR_IP_ADDRESS_MISMATCH);

  // The SANs as written.
  Cert cert = parse(server->cert);
  BIO* bio = BIO_new(BIO_s_mem());
  const int san = X509_get_ext_by_NID(cert.get(), NID_subject_alt_name, -1);
  REQUIRE(san >= 0);
  X509V3_EXT_print(bio, X509_get_ext(cert.get(), san), 0, 0);
  char* text = nullptr;
  const long n = BIO_get_mem_data(bio, &text);
  const std::string sans(text, static_cast<size_t>(n));
  BIO_free(bio);
  CHECK(sans == "DNS:lb, IP Address:10.213.7.10");
}

TEST_CASE("the run's certificates are valid from an hour before now for a day") {
  const auto now = SystemClock::now();
  auto ca = make_run_ca("faultline run CA", now);
  REQUIRE(ca);
  auto server = issue_server_cert(*ca, kNames, now);
  REQUIRE(server);
  CHECK(verify(ca->cert, server->cert, {"lb", "", now - hours(1) + std::chrono::minutes(1)}) == X509_V_OK);
  CHECK(verify(ca->cert, server->cert, {"lb", "", now + hours(22)}) == X509_V_OK);
  CHECK(verify(ca->cert, server->cert, {"lb", "", now - hours(2)}) == X509_V_ERR_CERT_NOT_YET_VALID);
  CHECK(verify(ca->cert, server->cert, {"lb", "", now + hours(24)}) == X509_V_ERR_CERT_HAS_EXPIRED);

  Cert cert = parse(server->cert);
  const time_t expected_from = SystemClock::to_time_t(now - hours(1));
  const time_t expected_until = SystemClock::to_time_t(now + hours(23));
  CHECK(X509_cmp_time(X509_get0_notBefore(cert.get()), nullptr) < 0);
  int days = 0;
  int secs = 0;
  REQUIRE(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert.get()), X509_get0_notAfter(cert.get())) == 1);
  CHECK(days == 1);
  CHECK(secs == 0);
  // X509_cmp_time: -1 when the certificate's time is at or before t.
  time_t t = expected_from;
  CHECK(X509_cmp_time(X509_get0_notBefore(cert.get()), &t) == -1);
  t = expected_from - 1;
  CHECK(X509_cmp_time(X509_get0_notBefore(cert.get()), &t) == 1);
  t = expected_until;
  CHECK(X509_cmp_time(X509_get0_notAfter(cert.get()), &t) == -1);
  t = expected_until - 1;
  CHECK(X509_cmp_time(X509_get0_notAfter(cert.get()), &t) == 1);
}

TEST_CASE("the broken variants fail verification each for its own reason") {
  const auto now = SystemClock::now();
  auto ca = make_run_ca("faultline run CA", now);
  REQUIRE(ca);
  auto expired = issue_expired_cert(*ca, kNames, now);
  auto wrong_name = issue_wrong_name_cert(*ca, now);
  auto unknown = issue_unknown_ca_cert(kNames, now);
  REQUIRE(expired);
  REQUIRE(wrong_name);
  REQUIRE(unknown);
  CHECK(verify(ca->cert, expired->cert, {"lb", "", now}) == X509_V_ERR_CERT_HAS_EXPIRED);
  // Only its dates are wrong: the chain and the names are right.
  CHECK(verify(ca->cert, expired->cert, {"lb", "", now, true}) == X509_V_OK);
  CHECK(verify(ca->cert, expired->cert, {"", "10.213.7.10", now, true}) == X509_V_OK);
  CHECK(verify(ca->cert, wrong_name->cert, {"lb", "", now}) == X509_V_ERR_HOSTNAME_MISMATCH);
  CHECK(verify(ca->cert, wrong_name->cert, {"", "10.213.7.10", now}) == X509_V_ERR_IP_ADDRESS_MISMATCH);
  CHECK(verify(ca->cert, wrong_name->cert, {"", "", now}) == X509_V_OK);
  CHECK(verify(ca->cert, unknown->cert, {"lb", "", now}) == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

TEST_CASE("a server's TLS files are written with its key readable by the owner only") {
  const auto now = SystemClock::now();
  auto ca = make_run_ca("faultline run CA", now);
  REQUIRE(ca);
  auto server = issue_server_cert(*ca, kNames, now);
  REQUIRE(server);
  const auto dir =
      std::filesystem::temp_directory_path() / ("faultline-run-ca-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto files = write_server_files(dir.string(), ca->cert, *server);
  REQUIRE(files);
  auto mode = [](const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 0777;
  };
  auto text = [](const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  CHECK(mode(files->key) == 0600);
  CHECK(mode(files->combined) == 0600);
  CHECK(mode(files->cert) == 0644);
  CHECK(text(files->ca_cert) == ca->cert);
  CHECK(text(files->key) == server->key);
  CHECK(text(files->combined) == server->cert + server->key);
  // The CA's key stays in memory.
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    CHECK(text(entry.path().string()).find(ca->key) == std::string::npos);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace faultline::platform
