// lb_wrong_backend: points a load balancer's server at a wrong address or
// port, the routing-rule mistake behind sudden 502/503s on that server's
// share of the traffic. Default: the same address, port 1 (nothing listens
// there: connection refused, a fast 5xx). An address in the run's subnet
// that nobody holds gives connect timeouts instead.
// Both HAProxy and nginx: the server line is rewritten and the load
// balancer reloads. Not HAProxy's `set server addr`: HAProxy goes on reusing
// its idle connections to the old address, so the mistake would reach only
// part of the traffic, and not at a predictable rate.

#include <fmt/format.h>

#include "faults/common/blast_radius.h"
#include "faults/common/lb_measures.h"
#include "faults/common/lb_reconfig.h"
#include "faults/registry.h"

namespace faultline::faults {
namespace {

class LbWrongBackend final : public ReconfigFault {
 public:
  LbWrongBackend(FaultSite site, std::string server, std::optional<std::string> address,
                 std::optional<int> port, std::vector<experiment::ExternalTarget> external)
      : ReconfigFault("lb_wrong_backend", std::move(site)),
        server_(std::move(server)),
        address_(std::move(address)),
        port_(port),
        external_(std::move(external)) {}

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

  std::vector<Measure> suggested_measures() const override {
    const Balancer lb = balancer();
    std::vector<Measure> out{
        {"Validate routing changes against the service registry before they are applied (the address must "
         "answer the health check)",
         MeasureType::prevent},
        take_failed_server_out(lb),
    };
    if (lb.is(experiment::ServiceKind::haproxy)) {
      out.push_back(take_erroring_server_out(lb));
    }
    out.push_back(retry_on_another_server(lb));
    return out;
  }

 private:
  Result<std::string> edit(const stack::RunningStack& stack, experiment::ServiceKind /*kind*/,
                           const std::string& text) const override {
    const auto* backend = stack.plan().find(server_);  // checked by inject
    const std::string address = address_.value_or(backend->address);
    // Blast radius: the load balancer may be pointed only inside the run's
    // own subnet, at loopback or at an allowed external target.
    if (auto st = check_address_at_inject(stack, address, external_); !st) {
      return st.error();
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
  std::vector<experiment::ExternalTarget> external_;  // reachable, see reachable_external
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
    // Blast radius, checked early: the run's subnet is stack.subnet, or a
    // /24 of faultline's pool; inject checks the exact one.
    check_address_param(params, "address", "address", exp, *address);
  }
  if (!params.ok() || !server || lb == nullptr) {
    return nullptr;
  }
  return std::make_unique<LbWrongBackend>(fault_site(step, exp), *server, address, port,
                                          reachable_external(exp));
}

}  // namespace
}  // namespace faultline::faults
