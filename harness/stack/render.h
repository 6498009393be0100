#pragma once

#include <optional>
#include <string>

#include "harness/experiment/model.h"
#include "harness/stack/stack.h"

// Config rendering: pure functions from the experiment and the plan to the
// text of a server's configuration, so they can be tested without root.
namespace faultline::stack {

// Paths a rendered config refers to (pid file, logs, sockets, temp dirs).
struct RenderPaths {
  std::string dir;             // the service's own directory in the run dir
  std::string runtime_socket;  // HAProxy only
  // --- TLS (issue 21) --- set for a load balancer with tls: true
  std::string tls_combined;  // HAProxy: certificate then key in one PEM file
  std::string tls_cert;      // nginx: the certificate
  std::string tls_key;       // nginx: its key
  // --- end of TLS ---
};

// The HAProxy backend section name used for a load balancer's servers.
inline std::string haproxy_backend_name(const std::string& lb_service) {
  return "be_" + lb_service;
}

// HAProxy as load balancer: frontend on the service address, one backend
// with a `server` line per backend service (weights, health checks),
// a stats socket at admin level for runtime changes. With lb.tls the
// frontend terminates TLS with paths.tls_combined.
std::string render_haproxy(const experiment::Service& lb, const Plan& plan, const RenderPaths& paths);

// nginx as a backend web server: answers `/` and the health path with 200
// and names itself in the `X-Backend` response header (`backend_header`).
std::string render_nginx_backend(const experiment::Service& svc, const Plan& plan, const RenderPaths& paths,
                                 const std::string& backend_header);

// nginx as a load balancer over the backend services (upstream block).
// With lb.tls it listens with TLS (paths.tls_cert, paths.tls_key).
std::string render_nginx_lb(const experiment::Service& lb, const Plan& plan, const RenderPaths& paths);

// The experiment's balance algorithm in HAProxy's words ("leastconn" for
// "least_conn"); nullopt when HAProxy has no such algorithm.
std::optional<std::string> haproxy_balance(const std::string& balance);

// The nginx upstream directive for a balance algorithm: "" for round robin
// (nginx's default), "least_conn;", "ip_hash;" for source, "hash
// $request_uri consistent;" for uri, "random;"; nullopt when nginx has none.
std::optional<std::string> nginx_balance_directive(const std::string& balance);

}  // namespace faultline::stack
