#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

namespace faultline::app {

// The exit status of an app that crashed on a full queue (on_overflow:
// crash). The stack tells this modelled crash, part of the system under
// test, from a harness failure by it (EX_SOFTWARE).
inline constexpr int kCrashExitStatus = 70;

// What an app backend can do: `workers` requests are served at once, each
// for `service_time`; up to `queue` more wait their turn (first come, first
// served); past that the app is overloaded. This is the capacity model of
// a thread-pool application server, and it gives the symptoms the example
// postmortems describe: a backend sent more than it can serve first slows
// down (its queue fills, and waiting counts in the latency), then sheds
// (503), and with `crash_on_overflow` dies the way an application server
// that runs out of memory or threads does.
struct AppConfig {
  std::string name = "app";  // sent in the backend header
  // The header naming the answering backend (the experiment's
  // load.backend_header), as faultline's nginx backends send it.
  std::string backend_header = "X-Backend";
  std::string address = "0.0.0.0";
  uint16_t port = 80;
  std::chrono::nanoseconds service_time = std::chrono::milliseconds(10);
  int workers = 4;
  int queue = 64;
  bool crash_on_overflow = false;
  // Health checks (GET of this path) take a worker too, as in a real app:
  // an overloaded app answers them late, and its load balancer sees that.
  std::string health_path = "/health";
};

// Counters for tests and the log.
struct AppStats {
  uint64_t served = 0;
  uint64_t shed = 0;  // answered 503: the queue was full
  uint64_t peak_queue = 0;
};

// A single-threaded HTTP/1.1 keep-alive server on Boost.Asio and Beast.
// One thread is enough: the service time is a timer, not CPU work, so the
// app's capacity is set by `workers` and `service_time`, not by the
// machine.
class AppServer {
 public:
  // Binds and listens; throws boost::system::system_error when it cannot.
  AppServer(boost::asio::io_context& io, AppConfig config);
  ~AppServer();
  AppServer(const AppServer&) = delete;
  AppServer& operator=(const AppServer&) = delete;

  uint16_t port() const;
  const AppStats& stats() const { return stats_; }
  // Set when the queue overflowed with crash_on_overflow: the caller ends
  // the process (the io_context has been stopped).
  bool crashed() const { return crashed_; }

  class Session;

 private:
  friend class Session;
  void accept();
  // A request has been read: serve it now, queue it, or overflow.
  void admit(std::shared_ptr<Session> session);
  // A worker is free again.
  void release();

  boost::asio::io_context& io_;
  AppConfig config_;
  boost::asio::ip::tcp::acceptor acceptor_;
  int busy_ = 0;
  std::deque<std::shared_ptr<Session>> waiting_;
  AppStats stats_;
  bool crashed_ = false;
};

}  // namespace faultline::app
