// lb_wrong_backend: points a load balancer's server at a wrong address or
// port, the routing-rule mistake behind sudden 502/503s on that server's
// share of the traffic. Default: the same address, port 1 (nothing listens
// there: connection refused, a fast 5xx). An address in the run's subnet
// that nobody holds gives connect timeouts instead.
// Both HAProxy and nginx: the server line is rewritten and the load
// balancer reloads. Not HAProxy's `set server addr`: HAProxy goes on reusing
// its idle connections to the old address, so the mistake would reach only
// part of the traffic, and not at a predictable rate.
// On a team's own config the server is named as the file names it; its
// address is the one its line writes (a service's name, resolved in the
// run), and the default keeps that host with port 1.

#include <fmt/format.h>

#include "faults/common/blast_radius.h"
#include "faults/common/lb_measures.h"
#include "faults/common/lb_reconfig.h"
#include "faults/common/lb_team_edit.h"
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
    std::optional<std::string> backend;
    std::optional<std::string> address;  // checked against the blast radius by make()
    std::optional<int> port;
  };
  static const ParamTable<Params>& params() {
    static const ParamTable<Params> table{{
        param(&Params::server, "server", kind::text())
            .required()
            .doc("backend service whose address is changed; on the team's own config, a server as its file "
                 "names it"),
        backend_param(&Params::backend),
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

  LbWrongBackend(FaultSite site, TeamServer server, std::optional<std::string> address,
                 std::optional<int> port, std::vector<experiment::ExternalTarget> external,
                 std::string team_config)
      : ReconfigFault(kName, std::move(site), std::move(team_config)),
        server_(std::move(server)),
        address_(std::move(address)),
        port_(port),
        external_(std::move(external)) {}

  std::string describe() const override {
    return fmt::format("server {} on load balancer {} was pointed at the wrong {}",
                       on_team_config() ? server_.label() : server_.server, lb(), target_text());
  }

  Status inject(stack::RunningStack& stack) override {
    // On a team's config the server is a line of the file, not a service.
    if (stack.find(lb()) == nullptr || (!on_team_config() && stack.plan().find(server_.server) == nullptr)) {
      return Error{fmt::format("lb_wrong_backend: no service {} or {}", lb(), server_.server)};
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
    const auto* backend = stack.plan().find(server_.server);  // checked by inject
    const std::string address = address_.value_or(backend->address);
    // Blast radius: the load balancer may be pointed only inside the run's
    // own subnet, at loopback or at an allowed external target.
    if (auto st = check_address_at_inject(stack, address, external_); !st) {
      return st.error();
    }
    // With a wrong address, the port stays the real one unless given.
    const int port = port_.value_or(address_ ? backend->port : 1);
    return edit_server_line(
        stack, lb(), text, server_.server,
        ServerEdit{.address = address, .port = port, .set = {}, .flags = {}, .remove = {}});
  }

  Status edit_team(const stack::RunningStack& stack, TeamConfig& config) const override {
    auto now = team_server_address(config, server_);
    if (!now) {
      return now.error();
    }
    // The host the line writes is the server's own; only an address the
    // step gives is held to the blast radius.
    if (address_) {
      if (auto st = check_address_at_inject(stack, *address_, external_); !st) {
        return st;
      }
    }
    const std::optional<int> port = port_ ? port_ : address_ ? now->port : std::optional<int>(1);
    return edit_team_server(
        config, server_, ServerEdit{.address = address_, .port = port, .set = {}, .flags = {}, .remove = {}});
  }

  std::string target_text() const {
    if (address_) {
      return port_ ? fmt::format("address {}:{}", *address_, *port_) : fmt::format("address {}", *address_);
    }
    return fmt::format("port {} (connection refused)", port_.value_or(1));
  }

  TeamServer server_;  // backend empty on a rendered config
  std::optional<std::string> address_;
  std::optional<int> port_;
  std::vector<experiment::ExternalTarget> external_;  // reachable, see reachable_external
};

std::unique_ptr<Fault> LbWrongBackend::make(const Params& p, ParamReader& params,
                                            const experiment::Experiment& exp) {
  const auto* lb = lb_target(params.step(), exp, params.diags());
  const auto server = p.server ? named_servers(params, exp, lb, p.backend, p.server) : std::nullopt;
  if (server && lb != nullptr && lb->has_own_config()) {
    // A server on a Unix socket has no address or port to get wrong.
    auto config = read_team_config(exp, *lb);
    auto now = config ? team_server_address(*config, server->front()) : Result<TeamAddress>(config.error());
    if (now && now->unix_socket) {
      params.error_at("server",
                      fmt::format("server {} of {} listens on a Unix socket: it has no address or port "
                                  "to point elsewhere",
                                  server->front().server, shown_path(exp, lb->own.config)));
    }
  }
  if (p.address) {
    // Blast radius, checked early: the run's subnet is stack.subnet, or a
    // /24 of faultline's pool; inject checks the exact one.
    check_address_param(params, "address", "address", exp, *p.address);
  }
  if (!params.ok() || !server || lb == nullptr) {
    return nullptr;
  }
  return std::make_unique<LbWrongBackend>(fault_site(params.step(), exp), server->front(), p.address, p.port,
                                          reachable_external(exp), team_config_of(lb));
}

const Registration registration{fault_type<LbWrongBackend>()};

}  // namespace
}  // namespace faultline::faults
