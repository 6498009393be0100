// lb_cert: the load balancer serves a broken certificate in place of its
// own, the incident of a missed renewal or a botched deployment: an expired
// certificate, one for another name, or one signed by a CA no client trusts.
// Each is well-formed and signed, so what fails is the clients' check of
// it, with the reason a client would give.
// HAProxy: through the runtime API (`set ssl cert` and `commit ssl cert` on
// the file its bind line loads), no reload; revert sets the file's own
// certificate back the same way (the file on disk is never changed).
// nginx: the broken certificate and key are written beside the config,
// `ssl_certificate` and `ssl_certificate_key` point at them, and nginx
// reloads (checked with nginx -t first); revert reloads the config found.
// Only on a load balancer faultline renders with `tls: true`: the broken
// twins of a certificate are signed by the run's own CA, and a team's
// certificates come from a CA whose key faultline does not have.

#include <fmt/format.h>

#include <optional>

#include "faults/common/lb_measures.h"
#include "faults/common/lb_reconfig.h"
#include "faults/fault_type.h"
#include "harness/common/text.h"
#include "harness/platform/haproxy_runtime_api.h"
#include "harness/platform/run_ca.h"

namespace faultline::faults {
namespace {

// What the clients are served, as the parameter names it.
enum class Broken { expired, wrong_name, unknown_ca };

Broken broken_of(const std::string& name) {
  if (name == "expired") {
    return Broken::expired;
  }
  return name == "wrong_name" ? Broken::wrong_name : Broken::unknown_ca;
}

class LbCert final : public Fault {
 public:
  static constexpr const char* kName = "lb_cert";
  static constexpr const char* kSummary =
      "Serve an expired, wrong-name or unknown-CA certificate on a TLS load balancer, restore on revert";
  static Needs needs() { return lb_needs(); }

  struct Params {
    std::optional<std::string> serve;
  };
  static const ParamTable<Params>& params() {
    static const ParamTable<Params> table{{
        param(&Params::serve, "serve", kind::choice({"expired", "wrong_name", "unknown_ca"}))
            .required()
            .doc(
                "the certificate clients get: expired (signed by the run's CA for the right names, but its "
                "validity ended), wrong_name (valid, signed by the run's CA, for another name) or unknown_ca "
                "(valid, the right names, signed by a CA no client trusts)"),
    }};
    return table;
  }
  static std::unique_ptr<Fault> make(const Params& p, ParamReader& params, const experiment::Experiment& exp);

  LbCert(FaultSite site, std::string serve)
      : site_(std::move(site)), lb_(site_.target), serve_(std::move(serve)), reconfig_(lb_) {}

  std::string describe() const override {
    switch (broken_of(serve_)) {
      case Broken::expired:
        return fmt::format("load balancer {} served an expired certificate", lb_);
      case Broken::wrong_name:
        return fmt::format("load balancer {} served a certificate issued for another name", lb_);
      case Broken::unknown_ca:
        break;
    }
    return fmt::format("load balancer {} served a certificate signed by a CA its clients do not trust", lb_);
  }

  Status inject(stack::RunningStack& stack) override {
    const auto* lb = stack.find(lb_);
    if (lb == nullptr || lb->tls_cert.empty()) {
      return Error{fmt::format("lb_cert: {} serves no certificate the run made (tls: true)", lb_)};
    }
    auto broken = make_broken(stack, *lb);
    if (!broken) {
      return broken.error();
    }
    if (lb->planned.kind == experiment::ServiceKind::haproxy) {
      if (lb->runtime_socket.empty()) {
        return Error{fmt::format("lb_cert: {} has no HAProxy runtime API socket", lb_)};
      }
      // Marked before the call: a commit that went through but whose answer
      // was lost still gets the file's certificate set back by revert.
      haproxy_changed_ = true;
      return platform::HaproxyRuntimeApi(lb->runtime_socket)
          .replace_ssl_cert(lb->tls_combined, broken->cert + broken->key);
    }
    return inject_nginx(stack, *broken);
  }

  Status revert(stack::RunningStack& stack) override {
    if (!haproxy_changed_) {
      return reconfig_.restore(stack);
    }
    const auto* lb = stack.find(lb_);
    if (lb == nullptr || lb->runtime_socket.empty()) {
      return Error{fmt::format("lb_cert: {} has no HAProxy runtime API socket", lb_)};
    }
    const std::string own = read_text(lb->tls_combined);
    if (own.empty()) {
      return Error{fmt::format("lb_cert: cannot read {}'s own certificate {}", lb_, lb->tls_combined)};
    }
    if (auto st = platform::HaproxyRuntimeApi(lb->runtime_socket).replace_ssl_cert(lb->tls_combined, own);
        !st) {
      return st;
    }
    haproxy_changed_ = false;
    return {};
  }

  std::vector<std::string> restores() const override {
    if (site_.target_kind == experiment::ServiceKind::nginx) {
      return {config_state(lb_)};
    }
    return {fmt::format("the certificate of {}", lb_)};
  }

  std::string mechanism() const override {
    if (site_.target_kind == experiment::ServiceKind::nginx) {
      return fmt::format(
          "a certificate and key written beside {}'s configuration, `ssl_certificate` and "
          "`ssl_certificate_key` pointed at them, checked with `nginx -t` and reloaded gracefully (its "
          "workers close their idle keep-alive connections, so clients connect and handshake again)",
          lb_);
    }
    return fmt::format(
        "HAProxy's runtime API on {}: `set ssl cert` and `commit ssl cert` on the file its bind line "
        "loads, no reload (established connections keep the certificate they were opened with, and "
        "HAProxy still resumes sessions made before the change)",
        lb_);
  }

  std::vector<Measure> suggested_measures() const override {
    return {
        {"Renew certificates automatically (ACME) well before expiry, and deploy them with a check that the "
         "certificate served matches the expected names and chain",
         MeasureType::prevent},
        {"Alert on the days left on every certificate the load balancers serve (probe from outside, as "
         "clients see it), at 30 and 7 days",
         MeasureType::detect},
        {"Alert on TLS handshake failures at the load balancer and in client-side error rates, apart from "
         "HTTP errors",
         MeasureType::detect},
        {"Keep an owner and a runbook for each certificate, including who rotates it and how to roll back",
         MeasureType::process},
    };
  }

 private:
  Result<platform::PemPair> make_broken(const stack::RunningStack& stack,
                                        const stack::ServiceInstance& lb) const {
    const auto now = platform::SystemClock::now();
    const platform::ServerNames names{{lb.planned.address}, {lb.planned.name}};
    const platform::PemPair* ca = stack.run_ca();
    switch (broken_of(serve_)) {
      case Broken::expired:
      case Broken::wrong_name:
        if (ca == nullptr) {
          return Error{fmt::format("lb_cert: the run has no CA to sign {}'s broken certificate with", lb_)};
        }
        return broken_of(serve_) == Broken::expired ? platform::issue_expired_cert(*ca, names, now)
                                                    : platform::issue_wrong_name_cert(*ca, now);
      case Broken::unknown_ca:
        break;
    }
    return platform::issue_unknown_ca_cert(names, now);
  }

  Status inject_nginx(stack::RunningStack& stack, const platform::PemPair& broken) {
    auto dir = lb_dir(stack, lb_);
    if (!dir) {
      return dir.error();
    }
    const std::string cert_path = *dir + "/tls-fault-cert.pem";
    const std::string key_path = *dir + "/tls-fault-key.pem";
    if (auto st = platform::write_pem_file(cert_path, broken.cert, 0644); !st) {
      return st;
    }
    if (auto st = platform::write_pem_file(key_path, broken.key, 0600); !st) {
      return st;
    }
    auto text = current_lb_config(stack, lb_);
    if (text) {
      text = set_directive(experiment::ServiceKind::nginx, *text, "frontend", "ssl_certificate",
                           fmt::format("ssl_certificate {};", cert_path));
    }
    if (text) {
      text = set_directive(experiment::ServiceKind::nginx, *text, "frontend", "ssl_certificate_key",
                           fmt::format("ssl_certificate_key {};", key_path));
    }
    if (!text) {
      return text.error();
    }
    return reconfig_.apply(stack, *text);
  }

  FaultSite site_;
  std::string lb_;
  std::string serve_;
  bool haproxy_changed_ = false;
  LbReconfig reconfig_;  // nginx
};

std::unique_ptr<Fault> LbCert::make(const Params& p, ParamReader& params, const experiment::Experiment& exp) {
  const auto* lb = lb_target(params.step(), exp, params.diags());
  if (lb != nullptr && exp.stack.runtime == experiment::kRuntimeCompose) {
    params.diags().error(
        params.step().target_pos,
        fmt::format("lb_cert cannot target {}: an attached Compose project's load balancers serve their own "
                    "certificates, from a CA faultline has no key of",
                    lb->name),
        "run the stack on runtime netns or docker, with tls: true on the load balancer");
    return nullptr;
  }
  if (lb != nullptr && lb->has_own_config()) {
    params.diags().error(
        params.step().target_pos,
        fmt::format("lb_cert cannot target {}: it runs the team's own config, whose certificates come from a "
                    "CA faultline has no key of, so it cannot make their broken twins",
                    lb->name),
        "target a load balancer faultline renders, with tls: true");
    return nullptr;
  }
  if (lb != nullptr && !lb->tls) {
    params.diags().error(
        params.step().target_pos,
        fmt::format("lb_cert cannot target {}: it serves no certificate (plain HTTP)", lb->name),
        fmt::format("give {} `tls: true` and the load `scheme: https`", lb->name));
    return nullptr;
  }
  if (!params.ok() || !p.serve || lb == nullptr) {
    return nullptr;
  }
  // Measured with HAProxy 2.6.12 and TLS 1.3: a session made before
  // `commit ssl cert` is still resumed after it, and a resumed handshake
  // checks no certificate, so a load that resumes sees nothing of the fault.
  if (lb->kind == experiment::ServiceKind::haproxy && exp.load.target == lb->name && exp.load.https() &&
      exp.load.resume) {
    params.diags().warning(
        params.step().target_pos,
        fmt::format("HAProxy resumes TLS sessions made before the certificate changes, and "
                    "the load offers one on every new connection: only connections "
                    "that make a full handshake will see lb_cert's certificate on {}",
                    lb->name),
        "write resume: false in the load section to make every new connection check the "
        "certificate, as clients without a session do");
  }
  return std::make_unique<LbCert>(fault_site(params.step(), exp), *p.serve);
}

const Registration registration{fault_type<LbCert>()};

}  // namespace
}  // namespace faultline::faults
