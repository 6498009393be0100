#include "harness/platform/run_ca.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <system_error>

#include "harness/platform/unique_fd.h"

namespace faultline::platform {

namespace {

template <auto Free>
struct Freer {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Freer<EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Freer<X509_free>>;
using BioPtr = std::unique_ptr<BIO, Freer<BIO_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, Freer<BN_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Freer<X509_EXTENSION_free>>;

constexpr auto kBackdate = std::chrono::hours(1);
constexpr auto kLifetime = std::chrono::hours(24);

Error failed(const std::string& what) {
  const std::string why = openssl_errors();
  return Error{"TLS certificate: " + what + (why.empty() ? std::string{} : ": " + why)};
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string{};
}

std::string cert_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return {};
  }
  return bio_text(bio.get());
}

std::string key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return {};
  }
  return bio_text(bio.get());
}

CertPtr read_cert(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return CertPtr(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
}

KeyPtr read_key(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return KeyPtr(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
}

// One X.509v3 extension in openssl.cnf's words ("critical,CA:TRUE").
bool add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

// A random positive 127-bit serial: unique enough that no client caches
// one run's certificate as another's.
bool set_serial(X509* cert) {
  BignumPtr bn(BN_new());
  return bn && BN_rand(bn.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
         BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) != nullptr;
}

struct Validity {
  SystemClock::time_point from;
  SystemClock::time_point until;
};

// A certificate for `key`, signed by issuer/issuer_key, or self-signed when
// issuer is null. `names` null: a CA.
Result<PemPair> make_cert(const std::string& common_name, const ServerNames* names, X509* issuer,
                          EVP_PKEY* issuer_key, Validity validity) {
  KeyPtr key(EVP_EC_gen("P-256"));
  CertPtr cert(X509_new());
  if (!key || !cert) {
    return failed("cannot make an EC P-256 key");
  }
  X509* x = cert.get();
  if (X509_set_version(x, X509_VERSION_3) != 1 || !set_serial(x) ||
      X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, nullptr) == nullptr) {
    return failed("cannot start a certificate");
  }
  const time_t from = SystemClock::to_time_t(validity.from);
  const time_t until = SystemClock::to_time_t(validity.until);
  if (ASN1_TIME_set(X509_getm_notBefore(x), from) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(x), until) == nullptr) {
    return failed("cannot set the validity");
  }
  X509_NAME* subject = X509_get_subject_name(x);
  if (X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>("faultline run"), -1, -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                                 0) != 1 ||
      X509_set_pubkey(x, key.get()) != 1) {
    return failed("cannot name the certificate " + common_name);
  }
  X509* signer = issuer != nullptr ? issuer : x;
  EVP_PKEY* signer_key = issuer != nullptr ? issuer_key : key.get();
  if (X509_set_issuer_name(x, X509_get_subject_name(signer)) != 1) {
    return failed("cannot set the issuer");
  }
  bool ok = add_extension(x, signer, NID_subject_key_identifier, "hash");
  if (issuer != nullptr) {
    ok = ok && add_extension(x, signer, NID_authority_key_identifier, "keyid:always");
  }
  if (names == nullptr) {
    ok = ok && add_extension(x, signer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
         add_extension(x, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    std::string san;
    for (const auto& dns : names->dns) {
      san += (san.empty() ? "DNS:" : ",DNS:") + dns;
    }
    for (const auto& ip : names->ips) {
      san += (san.empty() ? "IP:" : ",IP:") + ip;
    }
    ok = ok && add_extension(x, signer, NID_basic_constraints, "critical,CA:FALSE") &&
         add_extension(x, signer, NID_key_usage, "critical,digitalSignature") &&
         add_extension(x, signer, NID_ext_key_usage, "serverAuth") &&
         (san.empty() || add_extension(x, signer, NID_subject_alt_name, san));
  }
  if (!ok) {
    return failed("cannot add the extensions of " + common_name);
  }
  if (X509_sign(x, signer_key, EVP_sha256()) <= 0) {
    return failed("cannot sign " + common_name);
  }
  PemPair out{cert_pem(x), key_pem(key.get())};
  if (out.cert.empty() || out.key.empty()) {
    return failed("cannot write " + common_name + " as PEM");
  }
  return out;
}

Validity current(SystemClock::time_point now) {
  return {now - kBackdate, now - kBackdate + kLifetime};
}

Result<PemPair> issue_by(const PemPair& ca, const ServerNames& names, Validity validity) {
  CertPtr ca_cert = read_cert(ca.cert);
  KeyPtr ca_key = read_key(ca.key);
  if (!ca_cert || !ca_key) {
    return failed("cannot read the run's CA");
  }
  const std::string cn = !names.dns.empty()   ? names.dns.front()
                         : !names.ips.empty() ? names.ips.front()
                                              : "server";
  return make_cert(cn, &names, ca_cert.get(), ca_key.get(), validity);
}

}  // namespace

Status write_pem_file(const std::string& path, const std::string& text, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  // O_CREAT's mode is only for a new file; an old one gets it too.
  if (!fd.valid() || ::fchmod(fd.get(), mode) != 0) {
    return Error{"cannot write " + path + ": " + std::system_category().message(errno)};
  }
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return Error{"cannot write " + path + ": " + std::system_category().message(errno)};
    }
    done += static_cast<size_t>(n);
  }
  return {};
}

std::string openssl_errors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += out.empty() ? "" : "; ";
    out += buf;
  }
  return out;
}

Result<PemPair> make_run_ca(const std::string& common_name, SystemClock::time_point now) {
  return make_cert(common_name, nullptr, nullptr, nullptr, current(now));
}

Result<PemPair> issue_server_cert(const PemPair& ca, const ServerNames& names, SystemClock::time_point now) {
  return issue_by(ca, names, current(now));
}

Result<PemPair> issue_expired_cert(const PemPair& ca, const ServerNames& names, SystemClock::time_point now) {
  return issue_by(ca, names, {now - kBackdate - kLifetime, now - kBackdate});
}

Result<PemPair> issue_wrong_name_cert(const PemPair& ca, SystemClock::time_point now) {
  return issue_by(ca, ServerNames{{"192.0.2.1"}, {"wrong.faultline.invalid"}}, current(now));
}

Result<PemPair> issue_unknown_ca_cert(const ServerNames& names, SystemClock::time_point now) {
  auto stranger = make_run_ca("faultline unknown CA", now);
  if (!stranger) {
    return stranger.error();
  }
  return issue_by(*stranger, names, current(now));
}

TlsFiles server_file_paths(const std::string& dir) {
  return {dir + "/tls-ca.pem", dir + "/tls-cert.pem", dir + "/tls-key.pem", dir + "/tls-combined.pem"};
}

Result<TlsFiles> write_server_files(const std::string& dir, const std::string& ca_cert,
                                    const PemPair& server) {
  const TlsFiles files = server_file_paths(dir);
  for (const auto& [path, text, mode] :
       {std::tuple<const std::string&, std::string, mode_t>{files.ca_cert, ca_cert, 0644},
        {files.cert, server.cert, 0644},
        {files.key, server.key, 0600},
        {files.combined, server.cert + server.key, 0600}}) {
    if (auto st = write_pem_file(path, text, mode); !st) {
      return st.error();
    }
  }
  return files;
}

}  // namespace faultline::platform
