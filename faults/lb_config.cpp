// lb_config: applies a user-supplied fragment to a load balancer's config,
// the general case of "a config change went out". The fragment goes into
// one section of the live config, the result is checked by the server's
// own check mode (`haproxy -c`, `nginx -t`) BEFORE it is applied, and a
// rejected fragment leaves the running config untouched: inject fails with
// the server's complaint. Revert reloads the config that was there before.

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "faults/common/blast_radius.h"
#include "faults/common/lb_reconfig.h"
#include "faults/registry.h"

namespace faultline::faults {
namespace {

class LbConfig final : public ReconfigFault {
 public:
  LbConfig(std::string lb, std::string section, std::string fragment, std::string origin,
           std::vector<experiment::ExternalTarget> external)
      : ReconfigFault("lb_config", std::move(lb)),
        section_(std::move(section)),
        fragment_(std::move(fragment)),
        origin_(std::move(origin)),
        external_(std::move(external)) {}

  std::string describe() const override {
    std::string first = fragment_.substr(0, fragment_.find('\n'));
    return fmt::format(
        "a configuration change ({}) was applied to the {} section of load balancer {}: '{}'{}", origin_,
        section_, lb(), first, first.size() < fragment_.size() ? " ..." : "");
  }

  std::vector<std::string> suggested_measures() const override {
    return {
        "Validate every load-balancer change with the server's check mode in CI and before rollout",
        "Roll config changes out to one load balancer first and compare its error rate with the others",
        "Keep the previous config one command away (versioned configs, automatic rollback on alert)",
    };
  }

 private:
  Result<std::string> edit(const stack::RunningStack& stack, experiment::ServiceKind kind,
                           const std::string& text) const override {
    // Blast radius: a server line in the fragment is a destination too.
    for (const auto& address : addresses_in(fragment_)) {
      if (auto st = check_address_at_inject(stack, address, external_); !st) {
        return st.error();
      }
    }
    return add_to_section(kind, text, section_, fragment_);
  }

  std::string section_;
  std::string fragment_;
  std::string origin_;
  std::vector<experiment::ExternalTarget> external_;  // reachable, see reachable_external
};

std::unique_ptr<Fault> parse(const experiment::MethodStep& step, const experiment::Experiment& exp,
                             experiment::Diagnostics& diags);

const Registration registration{FaultType{
    .name = "lb_config",
    .summary = "Apply a config fragment to a load balancer (checked first, rolled back if rejected)",
    .params =
        {
            {"fragment", "string", "", "config lines to add (this or file)"},
            {"file", "path", "",
             "file holding the lines, relative to the experiment file (this or fragment)"},
            {"section", "global|defaults|frontend|backend", "backend",
             "where the lines go (nginx: main, http, server, upstream block)"},
        },
    .needs = lb_needs(),
    .parse = parse,
}};

std::unique_ptr<Fault> parse(const experiment::MethodStep& step, const experiment::Experiment& exp,
                             experiment::Diagnostics& diags) {
  ParamReader params(step, *Registry::instance().find("lb_config"), diags);
  auto fragment = params.text("fragment", false);
  auto file = params.text("file", false);
  auto section = params.choice("section", {"global", "defaults", "frontend", "backend"}, false);
  const auto* lb = lb_target(step, exp, diags);
  std::string origin = "inline fragment";
  if (fragment && file) {
    params.error_at("file", "give either 'fragment' or 'file', not both");
  } else if (!fragment && !file) {
    diags.error(step.fault_pos, "fault 'lb_config' needs parameter 'fragment' or 'file'",
                "e.g. params: { section: backend, fragment: \"timeout queue 10ms\" }");
    return nullptr;
  } else if (file) {
    const std::string path = experiment::resolve_path(exp, *file);
    std::ifstream in(path);
    if (!in) {
      params.error_at("file", fmt::format("cannot read '{}'", path));
    } else {
      std::stringstream ss;
      ss << in.rdbuf();
      fragment = ss.str();
      origin = "from " + *file;
    }
  }
  if (fragment && fragment->find_first_not_of(" \t\n") == std::string::npos) {
    params.error_at(file ? "file" : "fragment", "the config fragment is empty");
  }
  if (fragment) {
    // Blast radius: every address the fragment writes (a server line
    // pointing elsewhere) follows the rule of lb_wrong_backend's `address`.
    for (const auto& address : addresses_in(*fragment)) {
      check_address_param(params, file ? "file" : "fragment", "the fragment's address", exp, address);
    }
  }
  if (!params.ok() || !fragment || lb == nullptr) {
    return nullptr;
  }
  return std::make_unique<LbConfig>(step.target, section.value_or("backend"), *fragment, origin,
                                    reachable_external(exp));
}

}  // namespace
}  // namespace faultline::faults
