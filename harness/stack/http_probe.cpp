#include "harness/stack/http_probe.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
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

Result<HttpResponse> http_get(const std::string& address, int port, const std::string& path,
                              std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const std::string target = fmt::format("{}:{}", address, port);
  auto connected = connect_by(address, port, deadline);
  if (!connected) {
    return connected.error();
  }
  platform::UniqueFd fd = std::move(*connected);
  const std::string request =
      fmt::format("GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: faultline-probe\r\nConnection: close\r\n\r\n",
                  path, target);
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return Error{fmt::format("send to {}: {}", target, std::system_category().message(errno))};
    }
    if (!wait_for(fd.get(), POLLOUT, deadline)) {
      return Error{fmt::format("send to {}: timed out", target)};
    }
  }
  std::string raw;
  char buf[4096];
  constexpr size_t kMaxResponse = 1 << 20;
  while (raw.size() < kMaxResponse) {
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n > 0) {
      raw.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) {
      break;
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno != EAGAIN) {
      if (raw.empty()) {
        return Error{fmt::format("receive from {}: {}", target, std::system_category().message(errno))};
      }
      break;
    }
    if (!wait_for(fd.get(), POLLIN, deadline)) {
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
