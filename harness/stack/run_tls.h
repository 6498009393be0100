#pragma once

#include <string>

#include "harness/common/result.h"
#include "harness/platform/run_ca.h"
#include "harness/stack/render.h"
#include "harness/stack/stack.h"

// TLS for the load balancers faultline renders with `tls: true`: one CA per
// run (made at the first such service, kept in memory: its key is never
// written), a certificate per service signed by it, and the files in the
// service's own folder of the run, which go when the run folder goes.
namespace faultline::stack {

class RunTls {
 public:
  // Writes the service's certificate files into `dir`, points `paths` at
  // them for the renderer and `inst.tls_ca` at the CA the load is to trust.
  // The certificate names the service (DNS SAN, also the SNI the load sends
  // by default) and its address (IP SAN).
  Status prepare(const PlannedService& ps, const std::string& dir, RenderPaths& paths, ServiceInstance& inst);

  // The run's CA; empty until prepare made it. For a fault serving a broken
  // certificate (platform::issue_expired_cert and the others).
  const platform::PemPair& ca() const { return ca_; }
  // The CA, or null before prepare made one (RunningStack::run_ca).
  const platform::PemPair* ca_if_made() const { return ca_.cert.empty() ? nullptr : &ca_; }

 private:
  platform::PemPair ca_;
};

}  // namespace faultline::stack
