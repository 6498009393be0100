#include "harness/app/app_server.h"

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <string_view>
#include <utility>

namespace faultline::app {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;

// One client connection: reads a request, hands it to the server's
// admission, and once a worker has spent the service time on it, answers
// and reads the next. A connection whose request waits in the queue reads
// nothing more until it is answered (HTTP/1.1 without pipelining).
class AppServer::Session : public std::enable_shared_from_this<AppServer::Session> {
 public:
  Session(AppServer& server, asio::ip::tcp::socket socket)
      : server_(server), socket_(std::move(socket)), timer_(socket_.get_executor()) {}

  void read() {
    request_ = {};
    http::async_read(socket_, buffer_, request_, [self = shared_from_this()](error_code ec, std::size_t) {
      if (!ec) {
        self->server_.admit(self);
      }
    });
  }

  // Runs on a worker: holds it for the service time, then answers.
  void serve() {
    timer_.expires_after(server_.config_.service_time);
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      self->server_.release();
      if (!ec) {
        ++self->server_.stats_.served;
        const auto target = self->request_.target();
        const bool health =
            std::string_view(target.data(), target.size()) == self->server_.config_.health_path;
        self->respond(http::status::ok, health ? "healthy\n" : "ok\n");
      }
    });
  }

  void respond(http::status status, const char* body) {
    response_ = http::response<http::string_body>(status, request_.version());
    response_.set(server_.config_.backend_header, server_.config_.name);
    response_.set(http::field::content_type, "text/plain");
    response_.body() = body;
    response_.keep_alive(request_.keep_alive());
    response_.prepare_payload();
    http::async_write(socket_, response_, [self = shared_from_this()](error_code ec, std::size_t) {
      if (ec) {
        return;
      }
      if (!self->response_.keep_alive()) {
        error_code ignored;
        self->socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        return;
      }
      self->read();
    });
  }

 private:
  AppServer& server_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  boost::beast::flat_buffer buffer_;
  http::request<http::empty_body> request_;
  http::response<http::string_body> response_;
};

AppServer::AppServer(asio::io_context& io, AppConfig config)
    : io_(io), config_(std::move(config)), acceptor_(io) {
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(config_.address), config_.port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  accept();
}

AppServer::~AppServer() = default;

uint16_t AppServer::port() const {
  return acceptor_.local_endpoint().port();
}

void AppServer::accept() {
  acceptor_.async_accept([this](error_code ec, asio::ip::tcp::socket socket) {
    if (ec) {
      return;  // the acceptor was closed (crash or shutdown)
    }
    std::make_shared<Session>(*this, std::move(socket))->read();
    accept();
  });
}

void AppServer::admit(std::shared_ptr<Session> session) {
  if (busy_ < config_.workers) {
    ++busy_;
    session->serve();
    return;
  }
  if (static_cast<int>(waiting_.size()) < config_.queue) {
    waiting_.push_back(std::move(session));
    stats_.peak_queue = std::max<uint64_t>(stats_.peak_queue, waiting_.size());
    return;
  }
  if (config_.crash_on_overflow) {
    // Everything goes at once, as when the process dies: open connections
    // are reset by the kernel when the process exits.
    crashed_ = true;
    io_.stop();
    return;
  }
  ++stats_.shed;
  session->respond(http::status::service_unavailable, "overloaded\n");
}

void AppServer::release() {
  --busy_;
  if (!waiting_.empty()) {
    auto next = std::move(waiting_.front());
    waiting_.pop_front();
    ++busy_;
    next->serve();
  }
}

}  // namespace faultline::app
