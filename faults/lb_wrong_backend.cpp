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
#include "faults/fault_type.h"

namespace faultline::faults {
namespace {

class LbWrongBackend final : public ReconfigFault {
 public:
  static constexpr const char* kName = "lb_wrong_backend";
  static constexpr const char* kSummary =
      "Point a load-balancer server at a wrong address or port (5xx on its share), restore on revert";
  static Needs needs() { return lb_needs(); }

  struct Params {
    std::optional<std::string> server;
    std::optional<std::string> address;  // checked against the blast radius by make()
    std::optional<int> port;
  };
  static const ParamTable<Params>& params() {
    static const ParamTable<Params> table{{
        param(&Params::server, "server", kind::text())
            .required()
            .doc("backend service whose address is changed"),
        param(&Params::address, "address", kind::text("IPv4 address"))
            .absent_means("unchanged")
            .doc("the wrong address (e.g. one nobody holds in the subnet)"),
        param(&Params::port, "port", kind::integer(1, 65535))
            .absent_means("1, or the real one with an address")
            .doc("the wrong port"),
    }};
    return table;
  }
  static std::unique_ptr<Fault> make(const Params& p, ParamReader& params, const experiment::Experiment& exp);

  LbWrongBackend(FaultSite site, std::string server, std::optional<std::string> address,
                 std::optional<int> port, std::vector<experiment::ExternalTarget> external)
      : ReconfigFault(kName, std::move(site)),
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

std::unique_ptr<Fault> LbWrongBackend::make(const Params& p, ParamReader& params,
                                            const experiment::Experiment& exp) {
  const auto* lb = lb_target(params.step(), exp, params.diags());
  check_backend(params, "server", lb, p.server);
  if (p.address) {
    // Blast radius, checked early: the run's subnet is stack.subnet, or a
    // /24 of faultline's pool; inject checks the exact one.
    check_address_param(params, "address", "address", exp, *p.address);
  }
  if (!params.ok() || !p.server || lb == nullptr) {
    return nullptr;
  }
  return std::make_unique<LbWrongBackend>(fault_site(params.step(), exp), *p.server, p.address, p.port,
                                          reachable_external(exp));
}

const Registration registration{fault_type<LbWrongBackend>()};

}  // namespace
}  // namespace faultline::faults
