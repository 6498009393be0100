// lb_config: applies a user-supplied fragment to a load balancer's config,
// the general case of "a config change went out". The fragment goes into
// one section of the live config, the result is checked by the server's
// own check mode (`haproxy -c`, `nginx -t`) BEFORE it is applied, and a
// rejected fragment leaves the running config untouched: inject fails with
// the server's complaint. Revert reloads the config that was there before.
// `faultline validate` makes the same check before any run
// (check_before_run), against the config the run would render, and points
// at the fragment's line the server complains about.
// On a team's own config the fragment goes into the section or block the
// step names as the file has it ("frontend fe_main", "location /api") of
// the copy the run made; validate checks that the section exists and that
// the fragment fits in it, and the check mode judges it at inject, where
// the server runs (with the stack's names), before anything is reloaded.

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include "faults/common/blast_radius.h"
#include "faults/common/lb_measures.h"
#include "faults/common/lb_precheck.h"
#include "faults/common/lb_reconfig.h"
#include "faults/common/lb_team_edit.h"
#include "faults/common/lb_team_precheck.h"
#include "faults/fault_type.h"
#include "harness/common/text.h"
#include "harness/experiment/scalar_lines.h"

namespace faultline::faults {
namespace {

// Line `n` (1-based) of `text`, without its indentation.
std::string config_line(const std::string& text, size_t n) {
  std::stringstream ss(text);
  std::string line;
  for (size_t i = 0; i < n && std::getline(ss, line); ++i) {
  }
  const auto b = line.find_first_not_of(" \t");
  return b == std::string::npos ? std::string() : line.substr(b);
}

// Where the fragment is written, so a complaint about one of its lines can
// point there: inside the experiment file (`fragment`, any YAML style) or
// in the file named by `file`.
struct FragmentSource {
  experiment::SourcePos param;  // the `fragment` or `file` value
  std::string file;             // the fragment's own file; empty when inline

  experiment::SourcePos line_pos(const std::string& fragment, size_t line) const {
    if (file.empty()) {
      return experiment::position_of_line(param, fragment, static_cast<int>(line));
    }
    std::stringstream ss(fragment);
    std::string text;
    for (size_t i = 0; i < line && std::getline(ss, text); ++i) {
    }
    const auto col = text.find_first_not_of(" \t");
    return {file, static_cast<int>(line), col == std::string::npos ? 1 : static_cast<int>(col) + 1};
  }
};

class LbConfig final : public ReconfigFault {
 public:
  static constexpr const char* kName = "lb_config";
  static constexpr const char* kSummary =
      "Apply a config fragment to a load balancer (checked first, rolled back if rejected)";
  static Needs needs() { return lb_needs(); }

  struct Params {
    std::optional<std::string> fragment;
    std::optional<std::string> file;
    std::optional<std::string> section;
  };
  // `fragment` or `file`, exactly one: make() checks that.
  static const ParamTable<Params>& params() {
    static const ParamTable<Params> table{{
        param(&Params::fragment, "fragment", kind::text())
            .absent_means("file instead")
            .doc("config lines to add"),
        param(&Params::file, "file", kind::text("path"))
            .absent_means("fragment instead")
            .doc("file holding the lines, relative to the experiment file"),
        // Read as text: on the team's own config it names a section as the
        // file has it; make() holds a rendered config to the four words.
        param(&Params::section, "section", kind::text("global|defaults|frontend|backend, or a section"))
            .defaults_to("backend")
            .doc(
                "where the lines go (nginx: main, http, server, upstream block); on the team's own config, a "
                "section or block as its file names it: \"frontend fe_main\", \"location /api\""),
    }};
    return table;
  }
  static std::unique_ptr<Fault> make(const Params& p, ParamReader& params, const experiment::Experiment& exp);

  // `section`: on a team's config (`team_config` not empty), the selector
  // of the section or block of its file.
  LbConfig(FaultSite site, std::string section, std::string fragment, std::string origin,
           FragmentSource source, std::vector<experiment::ExternalTarget> external, std::string team_config)
      : ReconfigFault(kName, std::move(site), std::move(team_config)),
        section_(std::move(section)),
        fragment_(std::move(fragment)),
        origin_(std::move(origin)),
        source_(std::move(source)),
        external_(std::move(external)) {}

  std::string describe() const override {
    std::string first = fragment_.substr(0, fragment_.find('\n'));
    return fmt::format("a configuration change ({}) was applied to {} of load balancer {}: '{}'{}", origin_,
                       on_team_config() ? section_ : "the " + section_ + " section", lb(), first,
                       first.size() < fragment_.size() ? " ..." : "");
  }

  std::vector<Measure> suggested_measures() const override {
    const Balancer lb = balancer();
    return {
        {fmt::format(
             "Validate every change to {} with {} in CI and before rollout", lb.name_text(),
             by_kind(lb, "`haproxy -c -f <file>`", "`nginx -t -c <file>`", "the server's check mode")),
         MeasureType::prevent},
        {"Roll config changes out to one load balancer first and compare its error rate with the others",
         MeasureType::process},
        {"Keep the previous config one command away (versioned configs, automatic rollback on alert)",
         MeasureType::mitigate},
    };
  }

  void check_before_run(const PreRunContext& ctx, experiment::Diagnostics& diags) const override;

 private:
  Result<std::string> edit(const stack::RunningStack& stack, experiment::ServiceKind kind,
                           const std::string& text) const override {
    // Blast radius: a server line in the fragment is a destination too.
    for (const auto& address : addresses_in(fragment_)) {
      if (auto st = check_address_at_inject(stack, address, external_); !st) {
        return st.error();
      }
    }
    auto changed = with_fragment(kind, text);
    if (!changed) {
      return changed.error();
    }
    return std::move(changed->text);
  }

  Status edit_team(const stack::RunningStack& stack, TeamConfig& config) const override {
    for (const auto& address : addresses_in(fragment_)) {
      if (auto st = check_address_at_inject(stack, address, external_); !st) {
        return st;
      }
    }
    auto put = insert_team_fragment(config, section_, fragment_);
    if (!put) {
      return put.error();
    }
    return {};
  }

  // The one way the fragment goes into a config, at inject and in
  // check_before_run.
  Result<SectionInsert> with_fragment(experiment::ServiceKind kind, const std::string& text) const {
    return insert_in_section(kind, text, section_, fragment_);
  }

  void report_rejection(experiment::ServiceKind kind, const ConfigCheck& check, const SectionInsert& changed,
                        experiment::Diagnostics& diags) const;
  // The same for a team's config (`file`, as the experiment names it).
  void report_team_rejection(const TeamFragmentCheck& check, const std::string& file,
                             experiment::Diagnostics& diags) const;
  // The last of the fragment's first `up_to` lines (1-based) that starts
  // with the directive a complaint quotes ("keepalive" directive is
  // duplicate); 0 when none does.
  size_t fragment_line_naming(const std::string& complaint, size_t up_to) const;

  std::string section_;
  std::string fragment_;
  std::string origin_;
  FragmentSource source_;
  std::vector<experiment::ExternalTarget> external_;  // reachable, see reachable_external
};

void LbConfig::check_before_run(const PreRunContext& ctx, experiment::Diagnostics& diags) const {
  const auto* svc = ctx.exp.stack.find(lb());
  if (svc == nullptr) {
    return;
  }
  const char* checker = svc->kind == experiment::ServiceKind::haproxy ? "haproxy -c" : "nginx -t";
  auto not_checked = [&](const std::string& why) {
    diags.warning(
        source_.param,
        fmt::format("could not check the lb_config fragment for {} with {}: {}", lb(), checker, why),
        "faultline run checks it again before injecting it (a rejected fragment fails the inject)");
  };
  if (svc->has_own_config()) {
    // Not rendered: the copy a run would make of the team's file.
    auto check = check_team_fragment(ctx.exp, *svc, section_, fragment_);
    if (!check) {
      not_checked(check.error().message);
    } else if (!check->passed) {
      report_team_rejection(*check, shown_path(ctx.exp, svc->own.config), diags);
    }
    return;
  }
  if (!ctx.plan) {
    not_checked(ctx.plan.error().message);
    return;
  }
  // The config, the candidate and whatever the checker writes (nginx's
  // temp folders and logs) stay in here; it goes when the check is done.
  auto dir = ScratchDir::make("faultline-check");
  if (!dir) {
    not_checked(dir.error().message);
    return;
  }
  auto rendered = render_lb_config(ctx.exp, *ctx.plan, lb(), dir->path());
  if (!rendered) {
    not_checked(rendered.error().message);
    return;
  }
  auto changed = with_fragment(svc->kind, *rendered);
  if (!changed) {
    diags.error(source_.param,
                fmt::format("lb_config cannot add the fragment to {}: {}", lb(), changed.error().message));
    return;
  }
  auto check = check_on_host(svc->kind, changed->text, dir->path());
  if (!check) {
    not_checked(check.error().message);
  } else if (!check->passed) {
    report_rejection(svc->kind, *check, *changed, diags);
  }
}

void LbConfig::report_team_rejection(const TeamFragmentCheck& check, const std::string& file,
                                     experiment::Diagnostics& diags) const {
  const std::string hint = fmt::format(
      "the fragment goes {} {} of faultline's copy of {}; at run time the inject would fail and leave "
      "the load balancer unchanged",
      on_team_config() && check.checker == "haproxy -c" ? "at the end of" : "at the start of", section_,
      file);
  for (const auto& c : check.complaints) {
    if (c.fragment_line) {
      diags.error(source_.line_pos(fragment_, *c.fragment_line),
                  fmt::format("{} rejects this line of the lb_config fragment for {}: {}", check.checker,
                              lb(), c.text),
                  hint);
    } else {
      diags.error(source_.param,
                  fmt::format("{} rejects {} with the lb_config fragment for {}: {}", check.checker, file,
                              lb(), c.text),
                  hint);
    }
  }
}

void LbConfig::report_rejection(experiment::ServiceKind kind, const ConfigCheck& check,
                                const SectionInsert& changed, experiment::Diagnostics& diags) const {
  const bool haproxy = kind == experiment::ServiceKind::haproxy;
  // add_to_section's placement, in words.
  const std::string nginx_block = section_ == "global"     ? "main context"
                                  : section_ == "defaults" ? "http block"
                                  : section_ == "frontend" ? "server block"
                                                           : "upstream block";
  const std::string hint = fmt::format(
      "the fragment goes {} of {}'s config as the run renders it; at run time the inject would fail and "
      "leave the load balancer unchanged",
      haproxy ? fmt::format("at the end of the HAProxy '{}' section", section_)
              : fmt::format("at the start of the nginx {}", nginx_block),
      lb());
  const size_t first = changed.first_line;
  const size_t count = changed.line_count;
  for (const auto& c : complaints_of(check)) {
    // The fragment line the checker names, if it names one. HAProxy's
    // line is exact. nginx names the line where a directive ENDS, so a
    // line missing its `;` shows up on a later line (or, past the
    // fragment, at the config's next `;`); a setting the fragment
    // duplicates, at the config's own. When the complaint quotes a
    // directive, the last fragment line up to there that starts with it
    // is the one to fix.
    const bool inside = c.line && *c.line > first && *c.line <= first + count;
    size_t line = inside ? *c.line - first : 0;  // in the fragment, 1-based; 0: none
    if (!(inside && haproxy)) {
      if (const size_t named = fragment_line_naming(c.text, inside ? line : count); named > 0) {
        line = named;
      }
    }
    // A line outside the fragment is quoted: the user has never seen the
    // rendered config.
    const std::string outside = c.line && !inside
                                    ? fmt::format(" (at line {} of the config, outside the fragment: '{}')",
                                                  *c.line, config_line(changed.text, *c.line))
                                    : std::string();
    if (line > 0) {
      diags.error(source_.line_pos(fragment_, line),
                  fmt::format("{} rejects this line of the lb_config fragment for {}: {}{}", check.checker,
                              lb(), c.text, outside),
                  hint);
    } else {
      diags.error(source_.param,
                  fmt::format("{} rejects the config with the lb_config fragment for {}: {}{}", check.checker,
                              lb(), c.text, outside),
                  hint);
    }
  }
}

size_t LbConfig::fragment_line_naming(const std::string& complaint, size_t up_to) const {
  std::vector<std::string> first_words;
  std::stringstream ss(fragment_);
  std::string line;
  while (std::getline(ss, line)) {
    std::stringstream words(line);
    std::string word;
    words >> word;
    first_words.push_back(word.empty() || word.back() != ';' ? word : word.substr(0, word.size() - 1));
  }
  for (const char quote : {'"', '\''}) {
    const auto open = complaint.find(quote);
    const auto close = open == std::string::npos ? open : complaint.find(quote, open + 1);
    if (close == std::string::npos || close == open + 1) {
      continue;
    }
    const std::string directive = complaint.substr(open + 1, close - open - 1);
    for (size_t n = std::min(up_to, first_words.size()); n >= 1; --n) {
      if (first_words[n - 1] == directive) {
        return n;
      }
    }
  }
  return 0;
}

std::unique_ptr<Fault> LbConfig::make(const Params& p, ParamReader& params,
                                      const experiment::Experiment& exp) {
  const experiment::MethodStep& step = params.step();
  std::optional<std::string> fragment = p.fragment;
  const std::optional<std::string>& file = p.file;
  const auto* lb = lb_target(step, exp, params.diags());
  std::string origin = "inline fragment";
  FragmentSource source{params.pos_of("fragment"), {}};
  if (fragment && file) {
    params.error_at("file", "give either 'fragment' or 'file', not both");
  } else if (!fragment && !file) {
    params.diags().error(step.fault_pos, "fault 'lb_config' needs parameter 'fragment' or 'file'",
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
      source = FragmentSource{params.pos_of("file"), path};
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
  std::optional<std::string> section = p.section;
  if (lb != nullptr && lb->has_own_config() && section) {
    section = team_section(params, exp, *lb, *section);
    if (section && fragment && params.ok()) {
      // The fragment must fit where it goes: HAProxy refuses lines that
      // open a section of their own, nginx lines its grammar rejects.
      auto config = read_team_config(exp, *lb);
      auto st =
          config ? insert_team_fragment(*config, *section, *fragment) : Result<InsertedLines>(config.error());
      if (!st) {
        // HAProxy's reader names the file already; nginx's does not.
        const std::string shown = shown_path(exp, lb->own.config);
        const std::string& why = st.error().message;
        params.error_at(file ? "file" : "fragment",
                        fmt::format("lb_config cannot add the fragment to {}{}: {}", *section,
                                    starts_with(why, shown + ": ") ? "" : " of " + shown,
                                    starts_with(why, shown + ": ") ? why.substr(shown.size() + 2) : why));
      }
    }
  } else if (const auto* node = params.find("section"); node != nullptr) {
    // A rendered config has these four sections (nginx: blocks) only.
    section = params.values().choice(*node, "section", {"global", "defaults", "frontend", "backend"});
  }
  if (!params.ok() || !fragment || !section || lb == nullptr) {
    return nullptr;
  }
  return std::make_unique<LbConfig>(fault_site(step, exp), *section, *fragment, origin, std::move(source),
                                    reachable_external(exp), team_config_of(lb));
}

const Registration registration{fault_type<LbConfig>()};

}  // namespace
}  // namespace faultline::faults
