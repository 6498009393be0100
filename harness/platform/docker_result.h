#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "harness/common/result.h"

namespace faultline::platform {

// A failed call to the Docker Engine API. The HTTP status is kept apart
// from the words because callers act on it: a 404 on remove means the
// thing is already gone, a 409 on create means the name is taken.
struct DockerError {
  // The daemon's HTTP status; 0 when no answer came (no daemon, the call
  // timed out, an answer that does not parse). A pull that the daemon
  // accepted (200) and then failed in its progress stream keeps the 200.
  int status = 0;
  // The daemon's own {"message": ...}, or what went wrong on the way.
  std::string message;
  // The call, "POST /containers/create?name=web1", so a message read in a
  // log says what was asked.
  std::string call;

  bool not_found() const { return status == 404; }
  bool conflict() const { return status == 409; }
  // One sentence for a person: the call, the status, the daemon's words.
  std::string describe() const {
    if (status == 0) {
      return "Docker Engine API, " + call + ": " + message;
    }
    return "Docker Engine API, " + call + ": " + std::to_string(status) + " " + message;
  }
  Error to_error() const { return Error{describe()}; }
};

// Either a value or a DockerError, like Result; to_result() hands the
// failure on as a plain Error to code that does not care for the status.
template <typename T>
class DockerResult {
 public:
  DockerResult(T value) : v_(std::move(value)) {}            // NOLINT(google-explicit-constructor)
  DockerResult(DockerError error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<T>(v_); }
  const T& value() const { return std::get<T>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const DockerError& error() const { return std::get<DockerError>(v_); }
  Result<T> to_result() const {
    if (ok()) {
      return value();
    }
    return error().to_error();
  }

 private:
  std::variant<T, DockerError> v_;
};

// A call that gives nothing back but may fail.
class DockerStatus {
 public:
  DockerStatus() = default;
  DockerStatus(DockerError error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const DockerError& error() const { return *error_; }
  Status to_status() const {
    if (ok()) {
      return {};
    }
    return error_->to_error();
  }

 private:
  std::optional<DockerError> error_;
};

}  // namespace faultline::platform
