#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>

#include "harness/load/response_parser.h"
#include "harness/load/sample.h"

namespace faultline::load {

class LoadShard;
struct RequestBytes;

// One keep-alive HTTP/1.1 connection of a shard. It carries at most one
// request at a time, reports every outcome to its shard (which records the
// sample and hands out the next request), and never records a request
// twice: once it has reported, stale completions of the old socket are
// ignored. Its buffers are reused from request to request.
//
// With HTTPS (plan.tls) each connect is followed by a TLS handshake, which
// the connection goes through in state connecting (its time, and a timeout
// in it, count as the connect's). The TLS stream is made anew for each
// connection and owns its socket; the handlers of its operations hold it,
// so a stream closed with operations in flight lives until they have
// completed (aborted) and never sees the next connection's socket.
class Connection {
 public:
  enum class State : uint8_t { closed, connecting, idle, busy };
  static constexpr uint64_t no_request = std::numeric_limits<uint64_t>::max();

  Connection(boost::asio::io_context& io, LoadShard& shard);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  State state() const { return state_; }
  uint64_t request() const { return request_; }
  int64_t connect_started_ns() const { return connect_started_ns_; }

  // From closed: opens a connection, then sends `request` on it (or, for
  // no_request, becomes idle: a warm-up connect).
  void connect(uint64_t request);
  // From idle: sends `request`.
  void send(uint64_t request);
  // Gives up on what the connection is doing: the request it carries (if
  // any) is recorded as failed with `error`, and the connection is closed.
  void fail(ErrorClass error);
  // Closes without recording anything.
  void close();

 private:
  using TlsStream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

  boost::asio::ip::tcp::socket& socket() { return tls_ ? tls_->next_layer() : socket_; }
  void on_connect(const boost::system::error_code& ec);
  void on_handshake(const boost::system::error_code& ec);
  void connected();
  void start_send();
  void write_rest();
  void on_write(const boost::system::error_code& ec, std::size_t n);
  void start_read();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  void finish_response();
  void fail_transfer(const boost::system::error_code& ec);

  LoadShard& shard_;
  boost::asio::ip::tcp::socket socket_;  // plain HTTP
  std::shared_ptr<TlsStream> tls_;       // HTTPS: this connection's stream
  boost::beast::flat_buffer buffer_;
  std::optional<ResponseParser> parser_;
  // The template of the request being sent (set by start_send).
  const RequestBytes* request_bytes_ = nullptr;
  State state_ = State::closed;
  uint64_t request_ = no_request;
  // Bumped on every close, so handlers of an earlier socket see that the
  // connection has moved on and do nothing.
  uint32_t generation_ = 0;
  // A keep-alive connection the server has already answered on may have
  // been closed by it while idle; a request that then fails before any byte
  // of response came back is retried once on a fresh connection, as HTTP
  // clients do for idempotent requests.
  bool reused_ = false;
  bool retried_ = false;
  std::size_t written_ = 0;
  std::size_t received_ = 0;
  int64_t connect_started_ns_ = 0;
};

}  // namespace faultline::load
