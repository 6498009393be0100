#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace faultline::load::testing {

// How the test server treats each request.
enum class ServerMode {
  answer,            // answer after the service time and keep the connection
  stall,             // read requests and never answer
  close_after_each,  // answer with keep-alive, then close anyway (like a server dropping idle connections)
  close_announced,   // answer with "Connection: close", then close
};

// A small HTTP/1.1 server on 127.0.0.1 (port 0) with its own thread, for the
// load generator's tests. It answers `200 ok` with `X-Backend: a` and `b`
// alternating, after a fixed service time per request, each connection on
// its own (so the service time does not grow with concurrency).
//
// A stall (stall_between) imitates a server that freezes, e.g. for a
// garbage collection: a request arriving during it is held until the stall
// ends and then served, so it is answered at stall end + service time.
// Requests that arrived before the stall are answered as usual.
class TestHttpServer {
 public:
  explicit TestHttpServer(ServerMode mode,
                          std::chrono::milliseconds service_time = std::chrono::milliseconds(5))
      : mode_(mode),
        service_time_(service_time),
        acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }

  ~TestHttpServer() {
    io_.stop();
    thread_.join();
  }

  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  uint16_t port() const { return port_; }

  // Sets the stall; may be called while the server runs.
  void stall_between(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to) {
    stall_to_.store(to.time_since_epoch().count());
    stall_from_.store(from.time_since_epoch().count());
  }
  uint64_t requests() const { return requests_.load(); }
  // From now on, one request in `n` (the n-th, 2n-th, ... to arrive, counted
  // over all connections) is never answered, as if a load balancer sent it
  // to one of n backends that has frozen; 0 answers every request. Its
  // connection stays open until the client gives up and closes it.
  void stall_one_in(uint64_t n) { stall_one_in_.store(n); }

 private:
  class Session : public std::enable_shared_from_this<Session> {
   public:
    Session(TestHttpServer& server, boost::asio::ip::tcp::socket socket)
        : server_(server), socket_(std::move(socket)), timer_(socket_.get_executor()) {}

    void read() {
      request_ = {};
      boost::beast::http::async_read(socket_, buffer_, request_,
                                     [self = shared_from_this()](boost::beast::error_code ec, std::size_t) {
                                       if (!ec) {
                                         self->on_request();
                                       }
                                     });
    }

   private:
    void on_request() {
      const uint64_t number = ++server_.requests_;
      const uint64_t one_in = server_.stall_one_in_.load();
      if (server_.mode_ == ServerMode::stall || (one_in > 0 && number % one_in == 0)) {
        read();  // notices when the client gives up and closes
        return;
      }
      const auto now = std::chrono::steady_clock::now();
      const auto from = std::chrono::steady_clock::time_point(
          std::chrono::steady_clock::duration(server_.stall_from_.load()));
      const auto to = std::chrono::steady_clock::time_point(
          std::chrono::steady_clock::duration(server_.stall_to_.load()));
      timer_.expires_at((now >= from && now < to ? to : now) + server_.service_time_);
      timer_.async_wait([self = shared_from_this()](boost::beast::error_code ec) {
        if (!ec) {
          self->respond();
        }
      });
    }

    void respond() {
      namespace http = boost::beast::http;
      response_ = http::response<http::string_body>(http::status::ok, 11);
      response_.set("X-Backend", server_.next_backend_++ % 2 == 0 ? "a" : "b");
      response_.set(http::field::content_type, "text/plain");
      response_.body() = "ok\n";
      response_.keep_alive(server_.mode_ != ServerMode::close_announced);
      response_.prepare_payload();
      if (request_.method() == http::verb::head) {
        // As servers answer HEAD: the length a GET's body would have, and no body.
        response_.body().clear();
      }
      server_.note(request_);
      http::async_write(socket_, response_,
                        [self = shared_from_this()](boost::beast::error_code ec, std::size_t) {
                          if (ec) {
                            return;
                          }
                          if (self->server_.mode_ == ServerMode::close_after_each ||
                              self->server_.mode_ == ServerMode::close_announced) {
                            boost::beast::error_code ignored;
                            self->socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
                            self->socket_.close(ignored);
                            return;
                          }
                          self->read();
                        });
    }

    TestHttpServer& server_;
    boost::asio::ip::tcp::socket socket_;
    boost::asio::steady_timer timer_;
    boost::beast::flat_buffer buffer_;
    boost::beast::http::request<boost::beast::http::string_body> request_;
    boost::beast::http::response<boost::beast::http::string_body> response_;
  };

 public:
  // Each request received, as "METHOD target body" (the body as sent).
  std::vector<std::string> seen() const {
    std::lock_guard lock(seen_mutex_);
    return seen_;
  }

 private:
  void note(const boost::beast::http::request<boost::beast::http::string_body>& request) {
    const auto method = request.method_string();
    const auto target = request.target();
    std::string line(method.data(), method.size());
    line.append(" ").append(target.data(), target.size()).append(" ").append(request.body());
    std::lock_guard lock(seen_mutex_);
    seen_.push_back(std::move(line));
  }

  void accept() {
    acceptor_.async_accept([this](boost::beast::error_code ec, boost::asio::ip::tcp::socket socket) {
      if (ec) {
        return;
      }
      std::make_shared<Session>(*this, std::move(socket))->read();
      accept();
    });
  }

  ServerMode mode_;
  std::chrono::milliseconds service_time_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  uint16_t port_ = 0;
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> stall_one_in_{0};
  // The stall, as steady_clock ticks; none while from == to.
  std::atomic<std::chrono::steady_clock::rep> stall_from_{0};
  std::atomic<std::chrono::steady_clock::rep> stall_to_{0};
  uint64_t next_backend_ = 0;  // only touched on the server thread
  mutable std::mutex seen_mutex_;
  std::vector<std::string> seen_;
};

// A loopback listener that never accepts and has a backlog of 0: Linux
// completes one handshake into the accept queue, then drops further SYNs,
// so later connects hang until the client gives up.
class FullListener {
 public:
  FullListener() : acceptor_(io_) {
    acceptor_.open(boost::asio::ip::tcp::v4());
    acceptor_.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen(0);
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

// A loopback port that nothing listens on (bound, then released).
inline uint16_t unused_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

}  // namespace faultline::load::testing
