#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>

#include "harness/common/units.h"

// Header-only: the experiment loader resolves the same default for
// load.max_connections without linking the load generator.
namespace faultline::load {

// The default limit never goes above this (unless `connections` does):
// faultline renders HAProxy with `maxconn 4096` and nginx with
// `worker_connections 4096`, so more client connections than that would
// only wait in the load balancer's accept queue. It also keeps the open
// files a run needs (two per load connection in preflight's count) under
// the usual 20000 limit that load.connections' own bound of 10000 assumes.
inline constexpr int kDefaultConnectionLimitCap = 4096;

// The default for LoadSpec::max_connections / load.max_connections: the
// pre-opened pool plus one connection for every request that can be in
// flight at once. In the open model a request gives up `timeout` after its
// intended time, so at most rate x timeout are outstanding even when every
// one of them stalls (Little's law); with that many connections a request
// never waits for one, whatever the target does, and the pre-opened pool
// covers the few milliseconds by which a timeout is noticed late. A fixed
// multiple of `connections` would not: at 300/s with one of three backends
// paused and a 2 s timeout, 200 connections are held by the paused one.
// Capped at kDefaultConnectionLimitCap; never below `connections`.
inline int default_max_connections(int connections, double rate, Duration timeout) {
  connections = std::max(1, connections);
  const double in_flight =
      std::max(0.0, rate) * std::max(0.0, std::chrono::duration<double>(timeout).count());
  const double wanted = static_cast<double>(connections) + std::ceil(in_flight);
  const double cap = static_cast<double>(std::max(connections, kDefaultConnectionLimitCap));
  return static_cast<int>(std::min(wanted, cap));
}

}  // namespace faultline::load
