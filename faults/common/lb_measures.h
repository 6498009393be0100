#pragma once

#include <optional>
#include <string>

#include "faults/common/fault_site.h"
#include "faults/common/measures.h"

// The remedies a load balancer offers against a failing, slow or overloaded
// server, worded with the settings of the balancer's kind: HAProxy 2.x, or
// open-source nginx, which has no active health checks and no slow start
// (both are nginx Plus only), so none of its remedies names them. A
// balancer of no single known kind gets the remedy in general words.
namespace faultline::faults {

// `haproxy` or `nginx` for a balancer of that kind, `other` otherwise: for
// a fault's own kind-specific measures.
std::string by_kind(const Balancer& lb, std::string haproxy, std::string nginx, std::string other);

// A dead or unreachable server leaves the pool: HAProxy's active checks,
// nginx's count of failed requests (max_fails).
Measure take_failed_server_out(const Balancer& lb);

// A server that accepts connections but answers nothing (frozen, hung)
// leaves the pool: a check timeout, or nginx's read timeout counting as a
// failure.
Measure take_hung_server_out(const Balancer& lb);

// A server that answers with errors leaves the pool from live traffic,
// between checks: HAProxy `observe layer7`, nginx 5xx counted by max_fails.
Measure take_erroring_server_out(const Balancer& lb);

// A request that failed on one server is sent to another.
Measure retry_on_another_server(const Balancer& lb);

// Each server takes a bounded number of requests at once.
Measure limit_per_server(const Balancer& lb);

// A slow server gets fewer new requests.
Measure balance_by_least_connections(const Balancer& lb);

// Requests to a slow or unreachable server fail fast.
Measure bound_server_timeouts(const Balancer& lb);

// A server back from a failure gets its traffic gradually. HAProxy only:
// nullopt for nginx (slow_start is nginx Plus) and for an unknown kind.
std::optional<Measure> ramp_up_recovered_server(const Balancer& lb);

// For a fault on the stack's entry load balancer itself, which no other
// load balancer routes around: run it redundantly.
Measure redundant_load_balancer(const std::string& lb);

}  // namespace faultline::faults
