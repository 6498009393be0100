#include "harness/load/connection.h"

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/http/error.hpp>

#include "harness/load/shard.h"
#include "harness/load/tls_client.h"

namespace faultline::load {

namespace {

namespace asio = boost::asio;
using boost::system::error_code;

// Room for a response header in one read; bodies stream through it.
constexpr std::size_t read_chunk = 16 * 1024;

ErrorClass classify_connect_error(const error_code& ec) {
  if (ec == asio::error::connection_refused) {
    return ErrorClass::connect_refused;
  }
  if (ec == asio::error::timed_out) {
    return ErrorClass::connect_timeout;
  }
  return ErrorClass::other;
}

bool is_reset(const error_code& ec) {
  // stream_truncated: a TLS peer closed without a close_notify.
  return ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted || ec == boost::beast::http::error::partial_message ||
         ec == asio::ssl::error::stream_truncated;
}

}  // namespace

Connection::Connection(asio::io_context& io, LoadShard& shard) : shard_(shard), socket_(io) {
  buffer_.reserve(read_chunk);
}

void Connection::connect(uint64_t request) {
  state_ = State::connecting;
  request_ = request;
  connect_started_ns_ = shard_.now_ns();
  if (shard_.plan().tls) {
    tls_ = std::make_shared<TlsStream>(socket_.get_executor(), *shard_.plan().tls);
  }
  error_code ec;
  socket().open(asio::ip::tcp::v4(), ec);
  if (ec) {
    // Out of descriptors, typically. Reported through the loop rather than
    // from here, so a burst of waiting requests cannot recurse.
    asio::post(socket_.get_executor(), [this, generation = generation_, ec] {
      if (generation == generation_) {
        on_connect(ec);
      }
    });
    return;
  }
  socket().async_connect(shard_.plan().endpoint,
                         [this, generation = generation_, keep = tls_](const error_code& e) {
                           if (generation == generation_) {
                             on_connect(e);
                           }
                         });
}

void Connection::on_connect(const error_code& ec) {
  if (ec) {
    fail(classify_connect_error(ec));
    return;
  }
  error_code ignored;
  socket().set_option(asio::ip::tcp::no_delay(true), ignored);
  if (!tls_) {
    connected();
    return;
  }
  shard_.tls_session().prepare(tls_->native_handle(), shard_.plan().sni, shard_.plan().host,
                               shard_.plan().resume);
  tls_->async_handshake(asio::ssl::stream_base::client,
                        [this, generation = generation_, keep = tls_](const error_code& e) {
                          if (generation == generation_) {
                            on_handshake(e);
                          }
                        });
}

void Connection::on_handshake(const error_code& ec) {
  if (ec) {
    shard_.on_tls_failure(tls_failure_reason(tls_->native_handle(), ec));
    fail(ErrorClass::tls);
    return;
  }
  shard_.on_tls_handshake(SSL_session_reused(tls_->native_handle()) == 1);
  connected();
}

void Connection::connected() {
  if (request_ == no_request) {
    state_ = State::idle;
    shard_.on_free(*this);
    return;
  }
  start_send();
}

void Connection::send(uint64_t request) {
  request_ = request;
  start_send();
}

void Connection::start_send() {
  state_ = State::busy;
  received_ = 0;
  request_bytes_ = &shard_.request_bytes(request_);
  parser_.emplace(shard_.plan().backend_header, shard_.backend_names());
  // A response to HEAD announces a body it does not send.
  parser_->skip(request_bytes_->head);
  written_ = 0;
  shard_.on_sent(request_, !retried_);
  write_rest();
}

// Plain write_some rather than asio::async_write: a composed write could
// carry on writing into the socket after it was closed and reopened.
void Connection::write_rest() {
  const std::string& request = request_bytes_->bytes;
  const auto rest = asio::buffer(request.data() + written_, request.size() - written_);
  if (tls_) {
    tls_->async_write_some(
        rest, [this, generation = generation_, keep = tls_](const error_code& ec, std::size_t n) {
          if (generation == generation_) {
            on_write(ec, n);
          }
        });
    return;
  }
  socket_.async_write_some(rest, [this, generation = generation_](const error_code& ec, std::size_t n) {
    if (generation == generation_) {
      on_write(ec, n);
    }
  });
}

void Connection::on_write(const error_code& ec, std::size_t n) {
  if (ec) {
    fail_transfer(ec);
    return;
  }
  written_ += n;
  if (written_ < request_bytes_->bytes.size()) {
    write_rest();
    return;
  }
  start_read();
}

void Connection::start_read() {
  if (tls_) {
    tls_->async_read_some(buffer_.prepare(read_chunk),
                          [this, generation = generation_, keep = tls_](const error_code& ec, std::size_t n) {
                            if (generation == generation_) {
                              on_read(ec, n);
                            }
                          });
    return;
  }
  socket_.async_read_some(buffer_.prepare(read_chunk),
                          [this, generation = generation_](const error_code& ec, std::size_t n) {
                            if (generation == generation_) {
                              on_read(ec, n);
                            }
                          });
}

void Connection::on_read(const error_code& ec, std::size_t n) {
  if (ec) {
    if (ec == asio::error::eof && parser_->need_eof()) {
      // A response without length ends when the server closes.
      error_code eof_ec;
      parser_->put_eof(eof_ec);
      if (!eof_ec && parser_->is_done()) {
        finish_response();
        return;
      }
    }
    fail_transfer(ec);
    return;
  }
  received_ += n;
  buffer_.commit(n);
  while (buffer_.size() > 0) {
    error_code parse_ec;
    const std::size_t used = parser_->put(buffer_.data(), parse_ec);
    buffer_.consume(used);
    if (parse_ec == boost::beast::http::error::need_more) {
      break;
    }
    if (parse_ec) {
      fail(ErrorClass::other);
      return;
    }
    if (parser_->is_done()) {
      finish_response();
      return;
    }
  }
  start_read();
}

void Connection::finish_response() {
  const uint64_t request = request_;
  const bool keep_alive = parser_->keep_alive();
  shard_.on_response(request, parser_->status(), parser_->backend());
  request_ = no_request;
  retried_ = false;
  if (keep_alive) {
    reused_ = true;
    state_ = State::idle;
  } else {
    close();
  }
  shard_.on_free(*this);
}

void Connection::fail_transfer(const error_code& ec) {
  if (received_ == 0 && reused_ && !retried_ && is_reset(ec)) {
    const uint64_t request = request_;
    close();
    retried_ = true;
    shard_.on_retry();
    connect(request);
    return;
  }
  fail(is_reset(ec) ? ErrorClass::reset : ErrorClass::other);
}

void Connection::fail(ErrorClass error) {
  const uint64_t request = request_;
  close();
  if (request != no_request) {
    retried_ = false;
    shard_.on_failure(request, error);
  }
  shard_.on_free(*this);
}

void Connection::close() {
  ++generation_;
  error_code ignored;
  // No TLS close_notify: the load is done with the connection, and a
  // server must cope with clients that just close. Marked as shut down all
  // the same: OpenSSL makes the session of an SSL freed without a shutdown
  // unresumable, and it is the one the shard offers next.
  if (tls_) {
    SSL_set_shutdown(tls_->native_handle(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  }
  socket().close(ignored);
  tls_.reset();
  buffer_.clear();
  state_ = State::closed;
  request_ = no_request;
  reused_ = false;
}

}  // namespace faultline::load
