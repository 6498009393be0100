#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "harness/platform/docker_result.h"

// The transport under the Docker Engine API client: one HTTP/1.1 exchange
// over the daemon's Unix socket (Boost.Beast on an Asio local stream), and
// the URL encoding its query strings need.
namespace faultline::platform {

// What the daemon answered: the status and the whole body, with a chunked
// body already put back together.
struct HttpAnswer {
  int status = 0;
  std::string content_type;
  std::string body;
};

class DockerHttp {
 public:
  explicit DockerHttp(std::string socket_path) : socket_path_(std::move(socket_path)) {}

  // Sends `method target` (a JSON `body` when not empty) on a connection of
  // its own, and reads the answer whatever its status. The whole exchange,
  // connecting included, ends within `timeout`: a daemon that accepts and
  // never answers (or a socket whose daemon is stopped) must not hang a run.
  // Fails only when no complete answer came; the status is the caller's.
  DockerResult<HttpAnswer> exchange(const std::string& method, const std::string& target,
                                    const std::string& body, std::chrono::milliseconds timeout) const;

  const std::string& socket_path() const { return socket_path_; }

 private:
  std::string socket_path_;
};

// Percent-encodes everything but RFC 3986's unreserved characters: for a
// query value such as the filters JSON.
std::string url_encode(std::string_view text);

// Percent-encodes what may not stand in a path, keeping '/', ':' and '@',
// which an image reference holds and the daemon's router takes as they are
// ("registry:5000/shop/web:1.4", "web@sha256:...").
std::string url_encode_path(std::string_view text);

}  // namespace faultline::platform
