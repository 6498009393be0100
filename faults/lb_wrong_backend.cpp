// lb_wrong_backend: points a load balancer's server at a wrong address or
// port, the routing-rule mistake behind sudden 502/503s on that server's
// share of the traffic. Default: the same address, port 1 (nothing listens
// there: connection refused, a fast 5xx). An address in the run's subnet
// that nobody holds gives connect timeouts instead.
// Both HAProxy and nginx: the server line is rewritten and the load
// balancer reloads. Not HAProxy's `set server addr`: HAProxy goes on reusing
// its idle connections to the old address, so the mistake would reach only
// part of the traffic, and not at a predictable rate.

#include <arpa/inet.h>
#include <fmt/format.h>

#include "faults/common/lb_reconfig.h"
#include "faults/registry.h"
#include "harness/stack/subnet.h"

namespace faultline::faults {
namespace {

class LbWrongBackend final : public ReconfigFault {
 public:
  LbWrongBackend(std::string lb, std::string server, std::optional<std::string> address,
                 std::optional<int> port)
      : ReconfigFault("lb_wrong_backend", std::move(lb)),
        server_(std::move(server)),
        address_(std::move(address)),
        port_(port) {}

  std::string describe() const override {
    return fmt::format("server {} on load balancer {} was pointed at the wrong {}", server_, lb(),
                       target_text());
  }

  Status inject(stack::RunningStack& stack) override {
    if (stack.find(lb()) == nullptr || stack.plan().find(server_) == nullptr) {
      return Error{fmt::format("lb_wrong_backend: no service {} or {}", lb(), server_)};
    }
    return ReconfigFault::inject(stack);
  }

  std::vector<std::string> suggested_measures() const override {
    return {
        "Validate routing changes against the service registry before they are applied (the address must "
        "answer the health check)",
        "Keep active health checks on every server so a wrong address is taken out of rotation in seconds",
        "Allow retries on another server (retries + redispatch / proxy_next_upstream) for idempotent "
        "requests",
    };
  }

 private:
  Result<std::string> edit(const stack::RunningStack& stack, experiment::ServiceKind /*kind*/,
                           const std::string& text) const override {
    const auto* backend = stack.plan().find(server_);  // checked by inject
    const std::string address = address_.value_or(backend->address);
    // Blast radius: the load balancer may be pointed only inside the run's
    // own subnet or at loopback, never at a host outside the test stack.
    const auto net = stack::parse_cidr(stack.plan().subnet);
    const auto ip = stack::parse_ipv4(address);
    const bool loopback = ip && (*ip >> 24) == 127;
    if (!net || !ip || !(net->contains(*ip) || loopback)) {
      return Error{
          fmt::format("refused: address {} is outside the run's subnet {} and loopback; a fault may "
                      "only send traffic to the experiment's own stack (pick an unused address of "
                      "the subnet, or leave 'address' out)",
                      address, stack.plan().subnet)};
    }
    // With a wrong address, the port stays the real one unless given.
    const int port = port_.value_or(address_ ? backend->port : 1);
    return edit_server_line(
        stack, lb(), text, server_,
        ServerEdit{.address = address, .port = port, .set = {}, .flags = {}, .remove = {}});
  }

  std::string target_text() const {
    if (address_) {
      return port_ ? fmt::format("address {}:{}", *address_, *port_) : fmt::format("address {}", *address_);
    }
    return fmt::format("port {} (connection refused)", port_.value_or(1));
  }

  std::string server_;
  std::optional<std::string> address_;
  std::optional<int> port_;
};

std::unique_ptr<Fault> parse(const experiment::MethodStep& step, const experiment::Experiment& exp,
                             experiment::Diagnostics& diags);

const Registration registration{FaultType{
    .name = "lb_wrong_backend",
    .summary =
        "Point a load-balancer server at a wrong address or port (5xx on its share), restore on revert",
    .params =
        {
            {"server", "string", "", "backend service whose address is changed"},
            {"address", "IPv4 address", "unchanged",
             "the wrong address (e.g. one nobody holds in the subnet)"},
            {"port", "int 1..65535", "1, or the real one with an address", "the wrong port"},
        },
    .needs = lb_needs(),
    .parse = parse,
}};

std::unique_ptr<Fault> parse(const experiment::MethodStep& step, const experiment::Experiment& exp,
                             experiment::Diagnostics& diags) {
  ParamReader params(step, *Registry::instance().find("lb_wrong_backend"), diags);
  auto server = params.text("server", true);
  auto address = params.text("address", false);
  auto port = params.integer("port", 1, 65535, false);
  const auto* lb = lb_target(step, exp, diags);
  check_backend(params, "server", lb, server);
  if (address) {
    in_addr parsed{};
    if (::inet_pton(AF_INET, address->c_str(), &parsed) != 1) {
      params.error_at("address", fmt::format("'{}' is not an IPv4 address", *address),
                      "use a dotted quad, e.g. an unused address of the run's subnet");
    } else {
      // Blast radius, checked early: the run's subnet is stack.subnet, or a
      // /24 of faultline's pool; inject checks the exact one.
      const std::string allowed = exp.stack.subnet.value_or("10.213.0.0/16");
      const auto net = stack::parse_cidr(allowed);
      const auto ip = stack::parse_ipv4(*address);
      if (net && ip && !net->contains(*ip) && (*ip >> 24) != 127) {
        params.error_at("address",
                        fmt::format("address {} is outside the run's subnet ({})", *address, allowed),
                        "a fault may only send traffic to the experiment's own stack: use an unused address "
                        "of the run's subnet, or leave 'address' out");
      }
    }
  }
  if (!params.ok() || !server || lb == nullptr) {
    return nullptr;
  }
  return std::make_unique<LbWrongBackend>(step.target, *server, address, port);
}

}  // namespace
}  // namespace faultline::faults
