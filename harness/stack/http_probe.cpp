#include "harness/stack/http_probe.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <memory>
#include <system_error>
#include <utility>

#include "harness/common/text.h"
#include "harness/platform/unique_fd.h"

namespace faultline::stack {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Waits for `events` on fd until the deadline. False on timeout.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, remaining_ms(deadline));
    if (r > 0) {
      return true;
    }
    if (r == 0) {
      return false;
    }
    if (errno != EINTR) {
      return true;  // let the following call report the error
    }
  }
}

Result<HttpResponse> parse(const std::string& raw) {
  const auto head_end = raw.find("\r\n\r\n");
  const std::string head = raw.substr(0, head_end);
  HttpResponse resp;
  const auto line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) {
    return Error{"not an HTTP response: " + status_line.substr(0, 80)};
  }
  try {
    resp.status = std::stoi(status_line.substr(9, 3));
  } catch (const std::exception&) {
    return Error{"bad HTTP status line: " + status_line.substr(0, 80)};
  }
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    auto next = head.find("\r\n", pos);
    if (next == std::string::npos) {
      next = head.size();
    }
    const std::string line = head.substr(pos, next - pos);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      resp.headers[lower(line.substr(0, colon))] = value;
    }
    pos = next + 2;
  }
  if (head_end != std::string::npos) {
    resp.body = raw.substr(head_end + 4);
  }
  return resp;
}

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? std::string{} : it->second;
}

namespace {

// A connected, non-blocking TCP socket to address:port, by the deadline.
Result<platform::UniqueFd> connect_by(const std::string& address, int port, Clock::time_point deadline) {
  const std::string target = fmt::format("{}:{}", address, port);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, address.c_str(), &sa.sin_addr) != 1) {
    return Error{"not an IPv4 address: " + address};
  }
  platform::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return Error{"socket: " + std::system_category().message(errno)};
  }
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 && errno != EINPROGRESS) {
    return Error{fmt::format("connect to {}: {}", target, std::system_category().message(errno))};
  }
  if (!wait_for(fd.get(), POLLOUT, deadline)) {
    return Error{fmt::format("connect to {}: timed out", target)};
  }
  int so_error = 0;
  socklen_t len = sizeof so_error;
  ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &so_error, &len);
  if (so_error != 0) {
    return Error{fmt::format("connect to {}: {}", target, std::system_category().message(so_error))};
  }
  return fd;
}

}  // namespace

Status tcp_connect(const std::string& address, int port, std::chrono::milliseconds timeout) {
  auto fd = connect_by(address, port, Clock::now() + timeout);
  if (!fd) {
    return fd.error();
  }
  return {};
}

namespace {

// One read or write on a probe's connection: n > 0 bytes moved, n == 0 the
// peer closed, n < 0 and `wait` set: try again once poll says so; n < 0
// without: failed, for `error`.
struct Io {
  ssize_t n = 0;
  short wait = 0;
  std::string error;
};

struct SslFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
  void operator()(SSL* s) const { SSL_free(s); }
};

// The probe's byte stream: the socket, or TLS over it. A readiness probe
// asks whether the server answers, not who it is, so TLS verifies nothing
// (the load does, with the run's CA).
class ProbeStream {
 public:
  explicit ProbeStream(int fd) : fd_(fd) {}

  Status start_tls(Clock::time_point deadline) {
    ctx_.reset(SSL_CTX_new(TLS_client_method()));
    ssl_.reset(ctx_ ? SSL_new(ctx_.get()) : nullptr);
    if (!ssl_ || SSL_set_fd(ssl_.get(), fd_) != 1) {
      return Error{"TLS: cannot set up a client: " + ssl_errors()};
    }
    SSL_set_verify(ssl_.get(), SSL_VERIFY_NONE, nullptr);
    while (true) {
      ERR_clear_error();
      const int r = SSL_connect(ssl_.get());
      if (r == 1) {
        return {};
      }
      const Io io = ssl_result(r);
      if (io.wait == 0) {
        return Error{"TLS handshake: " + (io.error.empty() ? std::string("the server closed") : io.error)};
      }
      if (!wait_for(fd_, io.wait, deadline)) {
        return Error{"TLS handshake: timed out"};
      }
    }
  }

  Io send(const char* data, size_t size) {
    if (ssl_) {
      ERR_clear_error();
      return ssl_result(SSL_write(ssl_.get(), data, static_cast<int>(size)));
    }
    const ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL);
    return n >= 0 ? Io{n, 0, {}} : socket_error(POLLOUT);
  }

  Io recv(char* data, size_t size) {
    if (ssl_) {
      ERR_clear_error();
      return ssl_result(SSL_read(ssl_.get(), data, static_cast<int>(size)));
    }
    const ssize_t n = ::recv(fd_, data, size, 0);
    return n >= 0 ? Io{n, 0, {}} : socket_error(POLLIN);
  }

 private:
  static std::string ssl_errors() {
    char buf[256] = "";
    const unsigned long e = ERR_get_error();
    ERR_error_string_n(e, buf, sizeof buf);
    return e != 0 ? std::string(buf) : std::string("unknown error");
  }

  static Io socket_error(short wait) {
    if (errno == EAGAIN || errno == EINTR) {
      return {-1, wait, {}};
    }
    return {-1, 0, std::system_category().message(errno)};
  }

  Io ssl_result(int r) {
    if (r > 0) {
      return {r, 0, {}};
    }
    switch (SSL_get_error(ssl_.get(), r)) {
      case SSL_ERROR_WANT_READ:
        return {-1, POLLIN, {}};
      case SSL_ERROR_WANT_WRITE:
        return {-1, POLLOUT, {}};
      case SSL_ERROR_ZERO_RETURN:
        return {0, 0, {}};
      case SSL_ERROR_SYSCALL:
        // errno 0: the peer closed without close_notify, as servers do.
        return errno == 0 ? Io{0, 0, {}} : Io{-1, 0, std::system_category().message(errno)};
      default:
        return {-1, 0, ssl_errors()};
    }
  }

  int fd_;
  std::unique_ptr<SSL_CTX, SslFree> ctx_;
  std::unique_ptr<SSL, SslFree> ssl_;
};

}  // namespace

Result<HttpResponse> http_get(const std::string& address, int port, const std::string& path,
                              std::chrono::milliseconds timeout, bool tls) {
  const auto deadline = Clock::now() + timeout;
  const std::string target = fmt::format("{}:{}", address, port);
  auto connected = connect_by(address, port, deadline);
  if (!connected) {
    return connected.error();
  }
  platform::UniqueFd fd = std::move(*connected);
  ProbeStream stream(fd.get());
  if (tls) {
    if (auto st = stream.start_tls(deadline); !st) {
      return Error{fmt::format("{}: {}", target, st.error().message)};
    }
  }
  const std::string request =
      fmt::format("GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: faultline-probe\r\nConnection: close\r\n\r\n",
                  path, target);
  size_t sent = 0;
  while (sent < request.size()) {
    const Io io = stream.send(request.data() + sent, request.size() - sent);
    if (io.n > 0) {
      sent += static_cast<size_t>(io.n);
      continue;
    }
    if (io.wait == 0) {
      return Error{fmt::format("send to {}: {}", target, io.error.empty() ? "connection closed" : io.error)};
    }
    if (!wait_for(fd.get(), io.wait, deadline)) {
      return Error{fmt::format("send to {}: timed out", target)};
    }
  }
  std::string raw;
  char buf[4096];
  constexpr size_t kMaxResponse = 1 << 20;
  while (raw.size() < kMaxResponse) {
    const Io io = stream.recv(buf, sizeof buf);
    if (io.n > 0) {
      raw.append(buf, static_cast<size_t>(io.n));
      continue;
    }
    if (io.n == 0) {
      break;
    }
    if (io.wait == 0) {
      if (raw.empty()) {
        return Error{fmt::format("receive from {}: {}", target, io.error)};
      }
      break;
    }
    if (!wait_for(fd.get(), io.wait, deadline)) {
      if (raw.find("\r\n\r\n") != std::string::npos) {
        break;
      }
      return Error{fmt::format("no HTTP response from {} within {} ms", target, timeout.count())};
    }
  }
  if (raw.empty()) {
    return Error{fmt::format("{} closed the connection without a response", target)};
  }
  return parse(raw);
}

}  // namespace faultline::stack
