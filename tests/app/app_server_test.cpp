// The synthetic app backend's capacity model, driven by faultline's own
// load generator: within capacity it answers in its service time; beyond
// it, waiting in the queue shows in the latency, then it sheds with 503,
// or crashes when told to.

#include "harness/app/app_server.h"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <thread>

#include "harness/load/generator.h"

using namespace faultline;
using namespace std::chrono_literals;

namespace {

// Runs an app on 127.0.0.1 (a free port) on a thread of its own.
class RunningApp {
 public:
  explicit RunningApp(app::AppConfig config) {
    config.address = "127.0.0.1";
    config.port = 0;
    server_ = std::make_unique<app::AppServer>(io_, config);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~RunningApp() {
    io_.stop();
    thread_.join();
  }
  app::AppServer& server() { return *server_; }

 private:
  boost::asio::io_context io_{1};
  std::unique_ptr<app::AppServer> server_;
  std::thread thread_;
};

load::LoadResult drive(uint16_t port, double rate, Duration duration, int connections) {
  load::LoadSpec spec;
  spec.host = "127.0.0.1";
  spec.port = port;
  spec.rate = rate;
  spec.duration = duration;
  spec.connections = connections;
  spec.timeout = 2s;
  RunClock clock;
  load::LoadGenerator generator(spec, clock);
  return generator.run(clock.now_ns() + 50'000'000);
}

double percentile_ms(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<size_t>(std::ceil(p / 100 * static_cast<double>(v.size())));
  return v.empty() ? 0 : v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

}  // namespace

TEST_CASE("within its capacity the app answers in its service time, naming itself", "[app]") {
  // 4 workers x 20 ms: 200 requests/s at most; 50/s leaves them mostly idle.
  RunningApp app({.name = "web1", .service_time = 20ms, .workers = 4, .queue = 16});
  const auto r = drive(app.server().port(), 50, 1s, 8);
  REQUIRE(r.samples.size() == 50);
  std::vector<double> ms;
  for (const auto& s : r.samples) {
    CHECK(s.status == 200);
    CHECK(r.backends.at(s.backend) == "web1");
    ms.push_back(double(s.latency_ns()) / 1e6);
  }
  CHECK(percentile_ms(ms, 50) >= 20.0);
  CHECK(percentile_ms(ms, 50) < 25.0);
  CHECK(app.server().stats().served == 50);
  CHECK(app.server().stats().shed == 0);
}

TEST_CASE("past its capacity the app first queues, then sheds with 503", "[app]") {
  // Capacity 4 x 20 ms = 200/s, sent 400/s: the queue (8) fills within
  // tens of ms, then every request beyond it is shed. Served requests wait
  // up to 8 / 4 x 20 ms = 40 ms in the queue.
  RunningApp app({.name = "web1", .service_time = 20ms, .workers = 4, .queue = 8});
  const auto r = drive(app.server().port(), 400, 1s, 64);
  uint64_t ok = 0;
  uint64_t shed = 0;
  std::vector<double> ok_ms;
  for (const auto& s : r.samples) {
    if (s.status == 200) {
      ++ok;
      ok_ms.push_back(double(s.latency_ns()) / 1e6);
    } else if (s.status == 503) {
      ++shed;
    }
  }
  INFO("ok " << ok << " shed " << shed);
  CHECK(ok + shed == r.samples.size());
  // About 200 served and 200 shed; the margins cover the ramp into overload.
  CHECK(ok >= 180);
  CHECK(ok <= 260);
  CHECK(shed >= 140);
  CHECK(app.server().stats().peak_queue == 8);
  // Served requests were slowed by the queue: well above the service time.
  CHECK(percentile_ms(ok_ms, 90) > 40.0);
}

TEST_CASE("with crash_on_overflow the app stops when its queue overflows", "[app]") {
  RunningApp app({.name = "web1", .service_time = 50ms, .workers = 1, .queue = 2, .crash_on_overflow = true});
  const auto r = drive(app.server().port(), 200, 500ms, 16);
  CHECK(app.server().crashed());
  // Once crashed, nothing more is answered: most requests failed.
  uint64_t failed = 0;
  for (const auto& s : r.samples) {
    failed += s.failed() ? 1 : 0;
  }
  CHECK(failed > r.samples.size() / 2);
}
