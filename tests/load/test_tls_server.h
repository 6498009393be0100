#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "harness/platform/run_ca.h"

namespace faultline::load::testing {

// A CA and a server certificate it signed for 127.0.0.1 and `name`.
struct TestPki {
  platform::PemPair ca;
  platform::PemPair server;
};

inline TestPki make_test_pki(const std::string& name = "lb") {
  const auto now = platform::SystemClock::now();
  TestPki pki;
  pki.ca = *platform::make_run_ca("test CA", now);
  pki.server = *platform::issue_server_cert(pki.ca, {{"127.0.0.1"}, {name}}, now);
  return pki;
}

// An HTTPS/1.1 server on 127.0.0.1 (port 0) with its own thread, serving
// `cert`. It answers every request at once with 200 and `X-Backend: a`;
// with `close_each`, with "Connection: close", so the client opens a new
// connection (and handshake) for every request. With `handshake_delay`, it
// waits that long after accepting a connection before it answers the
// client's hello, as a load balancer short of CPU does. It counts the
// handshakes it completed and those that resumed a session.
class TestTlsServer {
 public:
  TestTlsServer(const platform::PemPair& cert, bool close_each,
                std::chrono::milliseconds handshake_delay = std::chrono::milliseconds(0))
      : ctx_(boost::asio::ssl::context::tls_server),
        close_each_(close_each),
        handshake_delay_(handshake_delay),
        acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    ctx_.use_certificate_chain(boost::asio::buffer(cert.cert));
    ctx_.use_private_key(boost::asio::buffer(cert.key), boost::asio::ssl::context::pem);
    port_ = acceptor_.local_endpoint().port();
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TestTlsServer() {
    io_.stop();
    thread_.join();
  }
  TestTlsServer(const TestTlsServer&) = delete;
  TestTlsServer& operator=(const TestTlsServer&) = delete;

  uint16_t port() const { return port_; }
  uint64_t handshakes() const { return handshakes_.load(); }
  uint64_t resumed() const { return resumed_.load(); }
  uint64_t requests() const { return requests_.load(); }

 private:
  using Stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

  class Session : public std::enable_shared_from_this<Session> {
   public:
    Session(TestTlsServer& server, boost::asio::ip::tcp::socket socket)
        : server_(server), stream_(std::move(socket), server.ctx_), delay_(server.io_) {}

    void start() {
      if (server_.handshake_delay_.count() == 0) {
        handshake();
        return;
      }
      delay_.expires_after(server_.handshake_delay_);
      delay_.async_wait([self = shared_from_this()](boost::beast::error_code ec) {
        if (!ec) {
          self->handshake();
        }
      });
    }

   private:
    void handshake() {
      stream_.async_handshake(boost::asio::ssl::stream_base::server,
                              [self = shared_from_this()](boost::beast::error_code ec) {
                                if (ec) {
                                  return;  // the client refused the certificate, typically
                                }
                                ++self->server_.handshakes_;
                                if (SSL_session_reused(self->stream_.native_handle()) == 1) {
                                  ++self->server_.resumed_;
                                }
                                self->read();
                              });
    }

    void read() {
      request_ = {};
      boost::beast::http::async_read(stream_, buffer_, request_,
                                     [self = shared_from_this()](boost::beast::error_code ec, std::size_t) {
                                       if (!ec) {
                                         self->respond();
                                       }
                                     });
    }

    void respond() {
      namespace http = boost::beast::http;
      ++server_.requests_;
      response_ = http::response<http::string_body>(http::status::ok, 11);
      response_.set("X-Backend", "a");
      response_.body() = "ok\n";
      response_.keep_alive(!server_.close_each_);
      response_.prepare_payload();
      http::async_write(stream_, response_,
                        [self = shared_from_this()](boost::beast::error_code ec, std::size_t) {
                          if (ec) {
                            return;
                          }
                          if (self->server_.close_each_) {
                            boost::beast::error_code ignored;
                            self->stream_.next_layer().close(ignored);
                            return;
                          }
                          self->read();
                        });
    }

    TestTlsServer& server_;
    Stream stream_;
    boost::asio::steady_timer delay_;
    boost::beast::flat_buffer buffer_;
    boost::beast::http::request<boost::beast::http::empty_body> request_;
    boost::beast::http::response<boost::beast::http::string_body> response_;
  };

  void accept() {
    acceptor_.async_accept([this](boost::beast::error_code ec, boost::asio::ip::tcp::socket socket) {
      if (ec) {
        return;
      }
      std::make_shared<Session>(*this, std::move(socket))->start();
      accept();
    });
  }

  boost::asio::ssl::context ctx_;
  bool close_each_;
  std::chrono::milliseconds handshake_delay_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  uint16_t port_ = 0;
  std::atomic<uint64_t> handshakes_{0};
  std::atomic<uint64_t> resumed_{0};
  std::atomic<uint64_t> requests_{0};
};

}  // namespace faultline::load::testing
