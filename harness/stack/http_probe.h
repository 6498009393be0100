#pragma once

#include <chrono>
#include <map>
#include <string>

#include "harness/common/result.h"

// A tiny blocking HTTP/1.1 client for readiness checks and tests: one
// request per connection, everything bounded by one deadline.
namespace faultline::stack {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string header(const std::string& name) const;  // case-insensitive; empty when absent
};

// Whether address:port accepts a TCP connection within the timeout (the
// connection is closed at once): readiness of a `ready: { tcp: true }`
// service.
Status tcp_connect(const std::string& address, int port, std::chrono::milliseconds timeout);

// With `tls`, over TLS (no SNI, no certificate checked: the
// question is whether the server answers, and the load checks the rest).
Result<HttpResponse> http_get(const std::string& address, int port, const std::string& path,
                              std::chrono::milliseconds timeout, bool tls = false);

}  // namespace faultline::stack
