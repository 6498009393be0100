#include "harness/load/tls_client.h"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/ssl/error.hpp>
#include <stdexcept>

#include "harness/load/generator.h"

namespace faultline::load {

namespace {

// Where an SSL keeps its shard's slot. Not SSL's app data: Asio's engine
// keeps its verify callback there, and deletes what it finds.
int slot_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Hands a new session to the slot of the connection's shard. Returning 1
// keeps the reference OpenSSL passed.
int on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* slot = static_cast<TlsSessionSlot*>(SSL_get_ex_data(ssl, slot_index()));
  if (slot == nullptr) {
    return 0;
  }
  slot->keep(session);
  return 1;
}

}  // namespace

std::shared_ptr<boost::asio::ssl::context> make_tls_context(const LoadSpec& spec) {
  namespace ssl = boost::asio::ssl;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  // Sessions are kept by the shards (TlsSessionSlot), not in a cache the
  // threads would share.
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(native, on_new_session);
  static const unsigned char alpn[] = "\x08http/1.1";
  SSL_CTX_set_alpn_protos(native, alpn, sizeof alpn - 1);
  boost::system::error_code ec;
  if (spec.insecure) {
    ctx->set_verify_mode(ssl::verify_none);
    return ctx;
  }
  ctx->set_verify_mode(ssl::verify_peer);
  if (!spec.ca_file.empty()) {
    ctx->load_verify_file(spec.ca_file, ec);
  } else {
    ctx->set_default_verify_paths(ec);
  }
  if (ec) {
    throw std::invalid_argument("cannot load the CA certificates " +
                                (spec.ca_file.empty() ? std::string("of the system") : spec.ca_file) + ": " +
                                ec.message());
  }
  return ctx;
}

TlsSessionSlot::~TlsSessionSlot() {
  SSL_SESSION_free(session_);
}

void TlsSessionSlot::prepare(SSL* ssl, const std::string& sni, const std::string& ip, bool resume) {
  SSL_set_ex_data(ssl, slot_index(), this);
  if (!sni.empty()) {
    SSL_set_tlsext_host_name(ssl, sni.c_str());
    SSL_set1_host(ssl, sni.c_str());
  } else {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ip.c_str());
  }
  if (resume && session_ != nullptr) {
    SSL_set_session(ssl, session_);
  }
}

void TlsSessionSlot::keep(SSL_SESSION* session) {
  SSL_SESSION_free(session_);
  session_ = session;
}

std::string tls_failure_reason(SSL* ssl, const boost::system::error_code& ec) {
  if (ssl != nullptr) {
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) {
      return X509_verify_cert_error_string(verify);
    }
  }
  if (ec.category() == boost::asio::error::get_ssl_category()) {
    if (const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()))) {
      return reason;
    }
  }
  if (ec == boost::asio::ssl::error::stream_truncated) {
    return "the server closed the connection during the handshake";
  }
  return ec.message();
}

}  // namespace faultline::load
