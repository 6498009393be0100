#include "harness/stack/run_tls.h"

#include <fmt/format.h>

namespace faultline::stack {

Status RunTls::prepare(const PlannedService& ps, const std::string& dir, RenderPaths& paths,
                       ServiceInstance& inst) {
  const auto now = platform::SystemClock::now();
  if (ca_.cert.empty()) {
    auto ca = platform::make_run_ca("faultline run CA", now);
    if (!ca) {
      return Error{fmt::format("service {}: cannot make the run's CA: {}", ps.name, ca.error().message)};
    }
    ca_ = std::move(*ca);
  }
  auto cert = platform::issue_server_cert(ca_, {{ps.address}, {ps.name}}, now);
  if (!cert) {
    return Error{fmt::format("service {}: cannot make its certificate: {}", ps.name, cert.error().message)};
  }
  auto files = platform::write_server_files(dir, ca_.cert, *cert);
  if (!files) {
    return Error{fmt::format("service {}: {}", ps.name, files.error().message)};
  }
  paths.tls_combined = files->combined;
  paths.tls_cert = files->cert;
  paths.tls_key = files->key;
  inst.tls_ca = files->ca_cert;
  inst.tls_combined = files->combined;
  inst.tls_cert = files->cert;
  inst.tls_key = files->key;
  return {};
}

}  // namespace faultline::stack
