// A stand-in for dockerd in unit tests: a thread listening on a Unix socket
// in a private temporary folder, recording every request (method, target,
// headers, body) and answering each with the bytes a handler gives, so the
// Docker Engine API client can be checked without a daemon.

#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "harness/common/scratch_dir.h"

namespace faultline::testing {

struct RecordedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

class FakeDockerDaemon {
 public:
  // The raw HTTP answer to a request, or nullopt to never answer: the
  // connection is then held open, as by a daemon that hangs, until the fake
  // is destroyed.
  using Handler = std::function<std::optional<std::string>(const RecordedRequest&)>;

  explicit FakeDockerDaemon(Handler handler);
  ~FakeDockerDaemon();
  FakeDockerDaemon(const FakeDockerDaemon&) = delete;
  FakeDockerDaemon& operator=(const FakeDockerDaemon&) = delete;

  const std::string& socket_path() const { return socket_path_; }
  std::vector<RecordedRequest> requests() const;

 private:
  void serve();
  void answer(int fd);

  Handler handler_;
  ScratchDir dir_;
  std::string socket_path_;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::vector<RecordedRequest> requests_;
  std::vector<int> held_;  // connections left unanswered
  std::thread thread_;
};

// An HTTP/1.1 answer with a Content-Length body.
std::string http_answer(int status, const std::string& body,
                        const std::string& content_type = "application/json");

// An HTTP/1.1 answer whose body is sent in these chunks (Transfer-Encoding: chunked).
std::string chunked_answer(int status, const std::vector<std::string>& chunks,
                           const std::string& content_type = "application/json");

}  // namespace faultline::testing
