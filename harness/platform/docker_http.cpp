#include "harness/platform/docker_http.h"

#include <fmt/format.h>
#include <sys/un.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace faultline::platform {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

namespace {

// The largest answer read: a list of every container on a busy host, or a
// pull's progress stream, stays far below it; more means something is wrong.
constexpr std::uint64_t kMaxBody = 64ull * 1024 * 1024;

using LocalStream = beast::basic_stream<asio::local::stream_protocol>;

// The steps of one exchange, each started from the one before. They run
// asynchronously only so that the stream's deadline covers all of them:
// basic_stream closes the socket when it passes, which ends whichever step
// is waiting with beast::error::timeout.
struct Exchange {
  LocalStream stream;
  http::request<http::string_body> request;
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  enum class Step { connect, send, read };
  beast::error_code error;
  Step failed_step = Step::connect;

  explicit Exchange(asio::io_context& io) : stream(io) { parser.body_limit(kMaxBody); }

  void start(const std::string& socket_path) {
    stream.async_connect(asio::local::stream_protocol::endpoint(socket_path),
                         [this](beast::error_code ec) { on_connect(ec); });
  }

  void on_connect(beast::error_code ec) {
    if (fail(ec, Step::connect)) {
      return;
    }
    http::async_write(stream, request, [this](beast::error_code wec, std::size_t) { on_write(wec); });
  }

  void on_write(beast::error_code ec) {
    if (fail(ec, Step::send)) {
      return;
    }
    http::async_read(stream, buffer, parser,
                     [this](beast::error_code rec, std::size_t) { fail(rec, Step::read); });
  }

  bool fail(beast::error_code ec, Step step) {
    if (!ec) {
      return false;
    }
    error = ec;
    failed_step = step;
    return true;
  }
};

bool unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

std::string encode(std::string_view text, std::string_view also_kept) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (unreserved(c) || also_kept.find(c) != std::string_view::npos) {
      out += c;
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

}  // namespace

std::string url_encode(std::string_view text) {
  return encode(text, "");
}

std::string url_encode_path(std::string_view text) {
  return encode(text, "/:@");
}

DockerResult<HttpAnswer> DockerHttp::exchange(const std::string& method, const std::string& target,
                                              const std::string& body,
                                              std::chrono::milliseconds timeout) const {
  const std::string call = method + " " + target;
  const http::verb verb = http::string_to_verb(method);
  if (verb == http::verb::unknown) {
    return DockerError{0, fmt::format("'{}' is not an HTTP method", method), call};
  }
  // Asio would throw on a path longer than a socket address holds.
  if (socket_path_.size() >= sizeof(sockaddr_un::sun_path)) {
    return DockerError{
        0, fmt::format("the Docker socket path {} is too long for a Unix socket", socket_path_), call};
  }
  asio::io_context io;
  Exchange ex(io);
  ex.request = http::request<http::string_body>(verb, target, 11);
  // The daemon ignores the host, but HTTP/1.1 requires one.
  ex.request.set(http::field::host, "localhost");
  ex.request.set(http::field::user_agent, "faultline");
  // One exchange per connection: nothing is pooled, so a restarted daemon
  // is simply connected to again.
  ex.request.set(http::field::connection, "close");
  if (!body.empty()) {
    ex.request.set(http::field::content_type, "application/json");
    ex.request.body() = body;
  }
  ex.request.prepare_payload();
  ex.stream.expires_after(timeout);
  ex.start(socket_path_);
  io.run();

  if (ex.error == beast::error::timeout) {
    return DockerError{
        0, fmt::format("the Docker daemon at {} did not answer within {} ms", socket_path_, timeout.count()),
        call};
  }
  if (ex.error && ex.failed_step == Exchange::Step::connect) {
    return DockerError{0,
                       fmt::format("cannot connect to the Docker daemon at {} ({}); is dockerd running?",
                                   socket_path_, ex.error.message()),
                       call};
  }
  if (ex.error) {
    return DockerError{
        0,
        fmt::format("{} on the Docker daemon's socket {}: {}",
                    ex.failed_step == Exchange::Step::send ? "cannot send the request" : "no complete answer",
                    socket_path_, ex.error.message()),
        call};
  }
  auto& response = ex.parser.get();
  HttpAnswer answer;
  answer.status = static_cast<int>(response.result_int());
  answer.content_type = std::string(response[http::field::content_type]);
  answer.body = std::move(response.body());
  return answer;
}

}  // namespace faultline::platform
