#include "tests/platform/fake_docker_daemon.h"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>

namespace faultline::testing {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 304:
      return "Not Modified";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    default:
      return "Status";
  }
}

void send_all(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      return;
    }
    sent += static_cast<std::size_t>(n);
  }
}

// Reads one request: the head up to the blank line, then Content-Length
// bytes of body (the client under test never sends a chunked body).
std::optional<RecordedRequest> read_request(int fd) {
  std::string data;
  char buf[4096];
  std::size_t head_end = std::string::npos;
  while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      return std::nullopt;
    }
    data.append(buf, static_cast<std::size_t>(n));
  }
  RecordedRequest request;
  const std::string head = data.substr(0, head_end);
  std::size_t line_end = head.find("\r\n");
  const std::string first = head.substr(0, line_end);
  const auto sp1 = first.find(' ');
  const auto sp2 = first.rfind(' ');
  request.method = first.substr(0, sp1);
  request.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
  while (line_end != std::string::npos && line_end < head.size()) {
    const std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string line =
        head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      request.headers[lower(line.substr(0, colon))] = value;
    }
  }
  std::size_t length = 0;
  if (auto it = request.headers.find("content-length"); it != request.headers.end()) {
    length = std::stoul(it->second);
  }
  request.body = data.substr(head_end + 4);
  while (request.body.size() < length) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      return std::nullopt;
    }
    request.body.append(buf, static_cast<std::size_t>(n));
  }
  return request;
}

}  // namespace

FakeDockerDaemon::FakeDockerDaemon(Handler handler)
    : handler_(std::move(handler)), dir_("faultline-fake-docker") {
  socket_path_ = dir_.path() + "/docker.sock";
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path_.c_str(), sizeof addr.sun_path - 1);
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    throw std::runtime_error("the fake Docker daemon cannot listen on " + socket_path_);
  }
  thread_ = std::thread([this] { serve(); });
}

FakeDockerDaemon::~FakeDockerDaemon() {
  stopping_ = true;
  thread_.join();
  for (const int fd : held_) {
    ::close(fd);
  }
  ::close(listen_fd_);
}

std::vector<RecordedRequest> FakeDockerDaemon::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void FakeDockerDaemon::serve() {
  // Polls with a short timeout so that the destructor's flag is seen.
  while (!stopping_) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (::poll(&pfd, 1, 20) <= 0) {
      continue;
    }
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      answer(fd);
    }
  }
}

void FakeDockerDaemon::answer(int fd) {
  // A client that sends nothing must not block the fake for ever.
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  auto request = read_request(fd);
  if (!request) {
    ::close(fd);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(*request);
  }
  auto reply = handler_(*request);
  if (!reply) {
    held_.push_back(fd);
    return;
  }
  send_all(fd, *reply);
  ::close(fd);
}

std::string http_answer(int status, const std::string& body, const std::string& content_type) {
  std::string head = fmt::format("HTTP/1.1 {} {}\r\nApi-Version: 1.41\r\nServer: Docker/20.10.24 (linux)\r\n",
                                 status, reason(status));
  if (status == 204 || status == 304) {
    return head + "\r\n";
  }
  return head + fmt::format("Content-Type: {}\r\nContent-Length: {}\r\n\r\n", content_type, body.size()) +
         body;
}

std::string chunked_answer(int status, const std::vector<std::string>& chunks,
                           const std::string& content_type) {
  std::string out = fmt::format(
      "HTTP/1.1 {} {}\r\nApi-Version: 1.41\r\nContent-Type: {}\r\nTransfer-Encoding: chunked\r\n\r\n", status,
      reason(status), content_type);
  for (const auto& chunk : chunks) {
    out += fmt::format("{:x}\r\n{}\r\n", chunk.size(), chunk);
  }
  return out + "0\r\n\r\n";
}

}  // namespace faultline::testing
