// faultline app: the synthetic application backend (`kind: app` in an
// experiment), a server with a fixed capacity. The stack starts it inside a
// backend's namespace; it can also be run by hand to try a capacity.

#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdlib>
#include <iostream>

#include "harness/app/app_server.h"
#include "harness/cli/command.h"
#include "harness/common/units.h"

namespace faultline::cli {
namespace {

struct AppOptions {
  app::AppConfig config;
  std::string listen = "0.0.0.0:80";
  std::string service_time = "10ms";
};

int run_app(AppOptions opts) {
  const auto colon = opts.listen.rfind(':');
  try {
    if (colon == std::string::npos) {
      throw std::invalid_argument("no port");
    }
    opts.config.address = opts.listen.substr(0, colon);
    const int port = std::stoi(opts.listen.substr(colon + 1));
    if (port < 0 || port > 65535) {
      throw std::invalid_argument("port out of range");
    }
    opts.config.port = static_cast<uint16_t>(port);
  } catch (const std::exception&) {
    std::cerr << fmt::format("faultline app: --listen '{}': expected ADDRESS:PORT, e.g. 10.213.0.11:80\n",
                             opts.listen);
    return 2;
  }
  const auto service_time = parse_duration(opts.service_time);
  if (!service_time || service_time->count() < 0) {
    std::cerr << fmt::format("faultline app: --service-time '{}': expected a duration, e.g. 20ms\n",
                             opts.service_time);
    return 2;
  }
  opts.config.service_time = *service_time;

  boost::asio::io_context io(1);
  std::unique_ptr<app::AppServer> server;
  try {
    server = std::make_unique<app::AppServer>(io, opts.config);
  } catch (const std::exception& e) {
    std::cerr << fmt::format("faultline app: cannot listen on {}: {}\n", opts.listen, e.what());
    return 3;
  }
  // SIGTERM and SIGINT end it cleanly, as they do nginx.
  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&io](const boost::system::error_code&, int) { io.stop(); });
  std::cerr << fmt::format("app {} on {}:{}: {} workers, {} service time, queue {}{}\n", opts.config.name,
                           opts.config.address, server->port(), opts.config.workers,
                           format_duration(opts.config.service_time), opts.config.queue,
                           opts.config.crash_on_overflow ? ", crashes when the queue overflows" : "");
  io.run();
  const auto& stats = server->stats();
  if (server->crashed()) {
    std::cerr << fmt::format("app {}: queue overflow ({} waiting): crashing, as configured\n",
                             opts.config.name, opts.config.queue);
    // The abrupt end of an overloaded process: no cleanup, connections reset.
    std::_Exit(app::kCrashExitStatus);
  }
  std::cerr << fmt::format("app {}: served {}, shed {}, longest queue {}\n", opts.config.name, stats.served,
                           stats.shed, stats.peak_queue);
  return 0;
}

const CommandRegistration registration{Command{
    "app", 60, [](CLI::App& cli) -> std::function<int()> {
      cli.description(
          "The synthetic application backend (kind: app): `workers` requests are served at once,\n"
          "each for `service-time`; up to `queue` more wait; past that the app answers 503, or with\n"
          "--crash-on-overflow it dies. Too much traffic first slows it down, then makes it fail.\n"
          "Every answer names the app in its X-Backend header. Example:\n"
          "  faultline app --name web1 --listen 127.0.0.1:8080 --service-time 20ms --workers 4 --queue 32");
      auto opts = std::make_shared<AppOptions>();
      cli.add_option("--name", opts->config.name, "backend name, sent as the X-Backend header")
          ->capture_default_str();
      cli.add_option("--backend-header", opts->config.backend_header, "header that carries the name")
          ->capture_default_str();
      cli.add_option("--listen", opts->listen, "ADDRESS:PORT to listen on")->capture_default_str();
      cli.add_option("--service-time", opts->service_time, "time a worker spends on each request")
          ->capture_default_str();
      cli.add_option("--workers", opts->config.workers, "requests served at once")
          ->check(CLI::Range(1, 100000))
          ->capture_default_str();
      cli.add_option("--queue", opts->config.queue, "requests that may wait for a worker")
          ->check(CLI::Range(0, 1000000))
          ->capture_default_str();
      cli.add_flag("--crash-on-overflow", opts->config.crash_on_overflow,
                   "exit abruptly when a request finds the queue full, instead of answering 503");
      cli.add_option("--health-path", opts->config.health_path, "path of health checks (served by a worker)")
          ->capture_default_str();
      return [opts] { return run_app(*opts); };
    }}};

}  // namespace
}  // namespace faultline::cli
