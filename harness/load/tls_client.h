#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>
#include <memory>
#include <string>

namespace faultline::load {

struct LoadSpec;

// HTTPS for the load generator: the client context all shards share, the
// session a shard offers when it opens a connection again, and the reason
// a handshake failed, in OpenSSL's words.

// The context for spec.https: TLS 1.2 or newer, ALPN http/1.1, the peer
// verified against spec.ca_file (else the system's store) unless
// spec.insecure. Throws std::invalid_argument when the CA file cannot be
// read (the experiment loader checked it, so that is a file changed since).
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const LoadSpec& spec);

// The newest session the server gave one shard, offered on the shard's
// next handshake (session resumption). A shard's connections all run on
// its thread, so nothing here is locked.
class TlsSessionSlot {
 public:
  TlsSessionSlot() = default;
  ~TlsSessionSlot();
  TlsSessionSlot(const TlsSessionSlot&) = delete;
  TlsSessionSlot& operator=(const TlsSessionSlot&) = delete;

  // Readies `ssl` for a handshake: the server name (SNI, and the name the
  // certificate must carry; with an empty `sni` the certificate must carry
  // `ip` instead), the session to resume (with `resume`), and this slot to
  // receive the sessions the server issues (with TLS 1.3 they arrive after
  // the handshake, so they are taken from OpenSSL's new-session callback).
  void prepare(SSL* ssl, const std::string& sni, const std::string& ip, bool resume);

  // OpenSSL's new-session callback hands the session over here.
  void keep(SSL_SESSION* session);

 private:
  SSL_SESSION* session_ = nullptr;
};

// Why a handshake failed: the certificate verification's reason when that
// was it ("unable to get local issuer certificate"), else OpenSSL's reason
// ("wrong version number"), else the error's own message (a reset).
std::string tls_failure_reason(SSL* ssl, const boost::system::error_code& ec);

}  // namespace faultline::load
