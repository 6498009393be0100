#include "faults/common/lb_measures.h"

#include <fmt/format.h>

namespace faultline::faults {

using experiment::ServiceKind;

std::string by_kind(const Balancer& lb, std::string haproxy, std::string nginx, std::string other) {
  if (lb.is(ServiceKind::haproxy)) {
    return haproxy;
  }
  if (lb.is(ServiceKind::nginx)) {
    return nginx;
  }
  return other;
}

namespace {

// The wording for `lb`'s kind, with its name in place of `{}`.
Measure worded(const Balancer& lb, MeasureType type, std::string haproxy, std::string nginx,
               std::string other) {
  return {fmt::format(fmt::runtime(by_kind(lb, std::move(haproxy), std::move(nginx), std::move(other))),
                      lb.name_text()),
          type};
}

}  // namespace

Measure take_failed_server_out(const Balancer& lb) {
  return worded(lb, MeasureType::mitigate,
                "Health-check every server of {} actively: `check inter 1s fall 2 rise 2` on each `server` "
                "line, with `option httpchk` on an application path, so a dead or unreachable server leaves "
                "the pool within about 2 s",
                "Let {} take a failing server out by counting its failed requests: `max_fails=2 "
                "fail_timeout=10s` on each `server` line of the upstream (open-source nginx has no active "
                "health checks, so a few real requests fail before it acts)",
                "Have {} take a failing server out of the pool within seconds: active health checks with a "
                "short interval where the load balancer has them, else a count of failed requests");
}

Measure take_hung_server_out(const Balancer& lb) {
  return worded(lb, MeasureType::mitigate,
                "Give the health checks of {} a timeout well below the clients' (`timeout check 1s` with "
                "`check inter 1s fall 2`), so a server that accepts connections but answers nothing is "
                "marked down, not only a dead one",
                "Keep `proxy_read_timeout` at {} well below the clients' timeout: a request that times out "
                "counts towards the server's `max_fails`, which is how open-source nginx (no active health "
                "checks) takes a hung server out",
                "Make {} mark down a server that accepts connections but answers nothing, not only a dead "
                "one: a health-check or read timeout well below the clients' that counts as a failure");
}

Measure take_erroring_server_out(const Balancer& lb) {
  return worded(lb, MeasureType::mitigate,
                "Take a server that answers with errors out between health checks: `observe layer7 "
                "error-limit 10 on-error mark-down` on each `server` line of {} (next to its `check`)",
                "Count error answers as failures: with `proxy_next_upstream error timeout http_502 http_503` "
                "at {}, a server's 502 and 503 answers count towards its `max_fails` and take it out for "
                "`fail_timeout`",
                "Let {} take a server that answers with errors out of the pool from live traffic (passive "
                "health checks), not only from its periodic checks");
}

Measure retry_on_another_server(const Balancer& lb) {
  return worded(lb, MeasureType::mitigate,
                "Send a request that failed on one server to another: `retries 2` and `option redispatch` "
                "in the backend of {}, with `retry-on conn-failure empty-response response-timeout 502 503` "
                "and `http-request disable-l7-retry if METH_POST` so only idempotent requests go out twice",
                "Send a request that failed on one server to another: `proxy_next_upstream error timeout "
                "http_502 http_503` with `proxy_next_upstream_tries 2` at {} (nginx does not resend POST "
                "and other non-idempotent requests unless `non_idempotent` is added)",
                "Retry idempotent requests once on another server at {}, within a budget that caps retries "
                "to a small share of the traffic");
}

Measure limit_per_server(const Balancer& lb) {
  return worded(lb, MeasureType::mitigate,
                "Cap the requests each server of {} handles at once: `maxconn` on every `server` line, "
                "sized from a load test, and `timeout queue` in the backend, so the excess waits briefly "
                "in HAProxy's queue and then gets a 503 instead of overloading the server",
                "Cap the connections each server of {} takes at once with `max_conns` on every `server` "
                "line, sized from a load test (open-source nginx has no queue: once every server is at its "
                "limit, requests fail at once with 502)",
                "Cap the requests each server takes at once at {}, sized from a load test, so an overloaded "
                "server sheds the excess instead of slowing every request");
}

Measure balance_by_least_connections(const Balancer& lb) {
  return worded(lb, MeasureType::mitigate,
                "Use `balance leastconn` in the backend of {}: a slow server holds its connections longer "
                "and so gets fewer new requests",
                "Add `least_conn;` to the upstream of {}: a slow server holds its connections longer and so "
                "gets fewer new requests",
                "Balance by least connections at {}: a slow server holds its connections longer and so gets "
                "fewer new requests");
}

Measure bound_server_timeouts(const Balancer& lb) {
  return worded(lb, MeasureType::mitigate,
                "Set `timeout connect` (about 1s) and `timeout server` (the servers' measured p99.9 plus a "
                "margin) at {}, so a request to a slow or unreachable server fails fast and can be retried",
                "Set `proxy_connect_timeout` (about 1s) and `proxy_read_timeout` (the servers' measured "
                "p99.9 plus a margin) at {}, instead of nginx's 60 s defaults, so a request to a slow or "
                "unreachable server fails fast and can be retried",
                "Set the connect and response timeouts of {} towards its servers from their measured "
                "latency (p99.9 plus a margin), so a request to a slow or unreachable server fails fast");
}

std::optional<Measure> ramp_up_recovered_server(const Balancer& lb) {
  if (!lb.is(ServiceKind::haproxy)) {
    return std::nullopt;
  }
  return Measure{fmt::format("Bring a server that comes back into rotation gradually: `slowstart 30s` on the "
                             "`server` lines of {} (it applies when its checks mark the server up again)",
                             lb.name_text()),
                 MeasureType::mitigate};
}

Measure redundant_load_balancer(const std::string& lb) {
  return {
      fmt::format("Run {} as a redundant pair (a floating address moved by keepalived/VRRP, or DNS over two "
                  "load balancers with health checks), so one failing load balancer does not take the "
                  "service down",
                  lb),
      MeasureType::mitigate};
}

}  // namespace faultline::faults
