#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "harness/common/result.h"

// A throwaway certificate authority for one run: the load generator trusts
// it, a rendered load balancer serves a certificate it signed. Everything
// is made in process with OpenSSL (EC P-256 keys, SHA-256 signatures), so
// no `openssl` command is needed on the host and no key leaves the run.
namespace faultline::platform {

using SystemClock = std::chrono::system_clock;

// A certificate and its private key, both PEM.
struct PemPair {
  std::string cert;
  std::string key;
};

// What a server certificate is for: its subject alternative names.
struct ServerNames {
  std::vector<std::string> ips;  // dotted quads (IP SANs)
  std::vector<std::string> dns;  // host names (DNS SANs); the first is also the subject CN
};

// The run's CA: valid from an hour before `now` for a day, so a host whose
// clock is a little behind the load generator's still accepts it.
Result<PemPair> make_run_ca(const std::string& common_name, SystemClock::time_point now);

// A server certificate for `names`, signed by `ca`, valid as the CA is.
Result<PemPair> issue_server_cert(const PemPair& ca, const ServerNames& names, SystemClock::time_point now);

// The broken certificates a TLS fault may serve (each still signed and
// well-formed, so the client's verification is what fails):
// - expired: signed by `ca` for the right names, but valid only for a day
//   that ended an hour before `now`;
// - for the wrong names: signed by `ca`, valid now, for none of `names`
//   (wrong.faultline.invalid and 192.0.2.1, which nothing answers as);
// - from an unknown CA: right names, valid now, signed by a CA made for the
//   purpose and thrown away, which no client trusts.
Result<PemPair> issue_expired_cert(const PemPair& ca, const ServerNames& names, SystemClock::time_point now);
Result<PemPair> issue_wrong_name_cert(const PemPair& ca, SystemClock::time_point now);
Result<PemPair> issue_unknown_ca_cert(const ServerNames& names, SystemClock::time_point now);

// Where write_server_files put a service's TLS files.
struct TlsFiles {
  std::string ca_cert;   // the CA's certificate (what the load trusts)
  std::string cert;      // the server's certificate
  std::string key;       // its key, mode 0600
  std::string combined;  // certificate then key in one file, mode 0600 (HAProxy's `crt`)
};

// The paths write_server_files uses in `dir` (`faultline plan` shows them).
TlsFiles server_file_paths(const std::string& dir);

// Writes a server's certificate, key and the CA's certificate into `dir`
// (tls-ca.pem, tls-cert.pem, tls-key.pem, tls-combined.pem). The CA's key
// is never written: nothing after the run's start signs anything.
Result<TlsFiles> write_server_files(const std::string& dir, const std::string& ca_cert,
                                    const PemPair& server);

// Writes `text` to `path` with `mode` (0600 for a key), set on the open file
// so that a key is never readable by others, even for a moment; an existing
// file is truncated and gets the mode too. write_server_files writes with it,
// and so does a fault writing a broken pair beside a server's config.
Status write_pem_file(const std::string& path, const std::string& text, mode_t mode);

// OpenSSL's queued errors as one line ("" when none), emptying the queue.
std::string openssl_errors();

}  // namespace faultline::platform
