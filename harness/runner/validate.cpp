#include "harness/runner/validate.h"

#include <fmt/format.h>

#include <fstream>
#include <variant>

#include "harness/runner/crossing_faults.h"
#include "harness/runner/recovery_tail.h"
#include "harness/stack/compose_check.h"
#include "harness/stack/own_config.h"
#include "harness/stack/stack.h"

namespace faultline::runner {

namespace {

// Whether the scalar at `pos` is written in quotes: yaml-cpp's mark points at
// the opening quote, and a grammar error's column counts from inside it.
bool quoted_at(const experiment::SourcePos& pos) {
  std::ifstream in(pos.file);
  std::string line;
  for (int i = 0; i < pos.line && std::getline(in, line); ++i) {
  }
  const auto col = static_cast<size_t>(pos.col - 1);
  return col < line.size() && (line[col] == '"' || line[col] == '\'');
}

// A grammar error, reported at its column inside the expression at `pos`.
void report_in_expression(experiment::Diagnostics& diags, experiment::SourcePos pos, const std::string& what,
                          const verify::ObjectiveError& err) {
  pos.col += err.column + (quoted_at(pos) ? 1 : 0);
  diags.error(pos, what + ": " + err.message, err.hint);
}

// The names a backend can answer with: every service that is not a load
// balancer names itself in the backend header.
std::vector<std::string> backend_names(const experiment::Stack& stack) {
  std::vector<std::string> names;
  for (const auto& s : stack.services) {
    if (!s.is_load_balancer()) {
      names.push_back(s.name);
    }
  }
  return names;
}

// The faults' own checks, against a plan of the stack: names and addresses
// as a run would pick them, read from the host without creating anything.
void check_faults_before_run(const ValidatedExperiment& v, experiment::Diagnostics& diags) {
  if (v.faults.empty()) {
    return;
  }
  stack::RunIdentity id;
  id.run_id = "000000";  // names only; nothing is made under it
  const auto plan = stack::make_plan(v.exp, id);
  for (const auto& bound : v.faults) {
    bound.fault->check_before_run(faults::PreRunContext{v.exp, plan}, diags);
  }
}

}  // namespace

std::vector<std::string> filtered_requests(const std::vector<verify::NamedObjective>& objectives,
                                           const std::vector<AbortRule>& rules) {
  std::vector<const verify::ObjectiveExpr*> exprs;
  for (const auto& o : objectives) {
    exprs.push_back(&o.expr);
  }
  for (const auto& r : rules) {
    exprs.push_back(&r.condition);
  }
  return verify::filtered_requests(exprs);
}

std::vector<std::string> filtered_requests(const ValidatedExperiment& v) {
  return filtered_requests(v.objectives, v.abort_rules);
}

std::optional<ValidatedExperiment> validate(const std::string& path,
                                            const std::vector<experiment::Override>& overrides,
                                            experiment::Diagnostics& diags, bool allow_external) {
  ValidateOptions options;
  options.allow_external = allow_external;
  return validate(path, overrides, diags, options);
}

std::optional<ValidatedExperiment> validate(const std::string& path,
                                            const std::vector<experiment::Override>& overrides,
                                            experiment::Diagnostics& diags, const ValidateOptions& options) {
  ValidatedExperiment v;
  v.exp = experiment::load_file(path, overrides, diags);
  v.exp.allow_external = options.allow_external;
  if (diags.has_errors() && v.exp.stack.services.empty()) {
    return std::nullopt;  // nothing usable was loaded; later checks would only add noise
  }
  if (!diags.has_errors()) {
    // Only on a file that loaded cleanly: a bad duration would read as its
    // default here and the warning would be about numbers nobody wrote.
    warn_short_recovery_tail(v.exp, diags);
  }
  const auto backends = backend_names(v.exp.stack);
  // A file whose request mix had errors has none; its filters are not
  // judged again (the mix's own errors say what to fix).
  const auto requests = v.exp.load.request_names();
  auto unknown_request =
      [&requests](const verify::ObjectiveExpr& expr) -> std::optional<verify::ObjectiveError> {
    return requests.empty() ? std::nullopt : verify::unknown_request(expr, requests);
  };
  for (const auto& objective : v.exp.slo.objectives) {
    auto parsed = verify::parse_objective(objective.expr);
    if (auto* err = std::get_if<verify::ObjectiveError>(&parsed)) {
      report_in_expression(diags, objective.pos, "in SLO expression", *err);
      continue;
    }
    const auto& expr = std::get<verify::ObjectiveExpr>(parsed);
    if (auto err = verify::unknown_backend(expr, backends)) {
      report_in_expression(diags, objective.pos, "in SLO expression", *err);
      continue;
    }
    if (auto err = unknown_request(expr)) {
      report_in_expression(diags, objective.pos, "in SLO expression", *err);
      continue;
    }
    v.objectives.push_back({objective.name, expr});
  }
  for (const auto& condition : v.exp.slo.abort_when) {
    auto parsed = parse_abort_rule(condition.expr);
    if (auto* err = std::get_if<verify::ObjectiveError>(&parsed)) {
      report_in_expression(diags, condition.pos, "in abort condition", *err);
      continue;
    }
    auto& rule = std::get<AbortRule>(parsed);
    if (auto err = verify::unknown_backend(rule.condition, backends)) {
      report_in_expression(diags, condition.pos, "in abort condition", *err);
      continue;
    }
    if (auto err = unknown_request(rule.condition)) {
      report_in_expression(diags, condition.pos, "in abort condition", *err);
      continue;
    }
    if (rule.sustained > v.exp.load.duration) {
      diags.error(
          condition.pos,
          fmt::format("abort condition lasts {}, longer than the load", format_duration(rule.sustained)),
          fmt::format("the load runs for {} (load.duration)", format_duration(v.exp.load.duration)));
      continue;
    }
    v.abort_rules.push_back(std::move(rule));
  }
  // Bound faults point at v.exp.method's elements; moving v below keeps the
  // vector's buffer, so those pointers stay valid.
  if (!diags.has_errors()) {
    // The team's own configs and programs: names, routes, ports, and the
    // server's own check mode on the copy the run would use.
    stack::check_own_configs(v.exp, diags, &v.config_changes);
  }
  v.faults = faults::bind_method(v.exp, diags);
  if (!diags.has_errors()) {
    check_crossing_faults(v.exp, v.faults, diags);
  }
  if (!diags.has_errors()) {
    // runtime compose: the project as it runs, read only (a warning when
    // there is no daemon or it is not running; the run then refuses).
    stack::compose::check_project(v.exp, diags);
  }
  if (!diags.has_errors() && options.check_faults_before_run) {
    // Last, and only on an otherwise valid file: these run the servers'
    // check modes, which is worth it only for a file that could run.
    check_faults_before_run(v, diags);
  }
  diags.sort_by_position();
  if (diags.has_errors()) {
    return std::nullopt;
  }
  return std::optional<ValidatedExperiment>(std::move(v));
}

std::string external_targets_refusal(const ValidatedExperiment& v, bool allow_external) {
  const auto& targets = v.exp.stack.external_targets;
  if (allow_external || targets.empty()) {
    return {};
  }
  std::string out;
  for (const auto& t : targets) {
    out += fmt::format(
        "{}:{}:{}: error: external target '{}' ({}) is outside the experiment's own stack: refused "
        "without --allow-external\n",
        t.pos.file, t.pos.line, t.pos.col, t.name, t.address);
  }
  out += fmt::format(
      "  hint: faults of this experiment may send traffic to {}; run again with --allow-external if "
      "that is intended\n",
      targets.size() == 1 ? "this host" : "these hosts");
  return out;
}

std::string describe_external_targets(const experiment::Stack& stack) {
  std::string out;
  for (const auto& t : stack.external_targets) {
    out += fmt::format("{}{} ({})", out.empty() ? "" : ", ", t.name, t.address);
  }
  return out;
}

}  // namespace faultline::runner
