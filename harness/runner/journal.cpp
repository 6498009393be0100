#include "harness/runner/journal.h"

#include <fmt/format.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "harness/common/version.h"
#include "harness/runner/analysis.h"
#include "harness/runner/load_delivery.h"
#include "harness/runner/shares_basis.h"

namespace faultline::runner {

namespace {

using json = nlohmann::ordered_json;

std::string iso_utc(std::chrono::system_clock::time_point tp) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::array<char, 32> buf{};
  std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03d}Z", buf.data(), static_cast<int>(ms % 1000));
}

// How a fault that applied was carried out: what it recorded at inject
// (netem or the NFQUEUE delayer, the cgroup it made, a signal and a pid, a
// runtime API command or a reload), or for a fault with one path only, that
// path. null when it never applied.
std::optional<std::string> mechanism_taken(const FaultRecord& f) {
  if (f.injected_ns < 0 || f.bound == nullptr || f.bound->fault == nullptr) {
    return std::nullopt;
  }
  if (std::string taken = f.bound->fault->mechanism(); !taken.empty()) {
    return taken;
  }
  if (auto path = f.bound->fault->kernel_path()) {
    return path->mechanism;
  }
  return std::nullopt;
}

// The kernel mechanism a fault that applied took: its mechanism when it
// needs a particular kernel feature; null for the others (a runtime API, a
// signal) and when it never applied.
std::optional<std::string> kernel_path_taken(const FaultRecord& f) {
  if (f.bound == nullptr || f.bound->fault == nullptr || !f.bound->fault->kernel_path()) {
    return std::nullopt;
  }
  return mechanism_taken(f);
}

// Each measure typed, the fields of an action item.
std::vector<journal::SuggestedMeasure> typed_measures(const std::vector<faults::Measure>& measures) {
  std::vector<journal::SuggestedMeasure> out;
  for (const auto& m : measures) {
    out.push_back({m.action, std::string(faults::to_string(m.type))});
  }
  return out;
}

json yaml_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json obj = json::object();
      for (const auto& kv : node) {
        obj[kv.first.as<std::string>()] = yaml_to_json(kv.second);
      }
      return obj;
    }
    case YAML::NodeType::Sequence: {
      json arr = json::array();
      for (const auto& item : node) {
        arr.push_back(yaml_to_json(item));
      }
      return arr;
    }
    case YAML::NodeType::Scalar: {
      const auto& s = node.Scalar();
      if (node.Tag() != "!") {  // plain (unquoted) scalars may be numbers or booleans
        if (s == "true" || s == "false") {
          return s == "true";
        }
        char* end = nullptr;
        const long long i = std::strtoll(s.c_str(), &end, 10);
        if (!s.empty() && *end == '\0') {
          return i;
        }
      }
      return s;
    }
    default:
      return nullptr;
  }
}

std::optional<double> opt_seconds(const std::optional<int64_t>& ns, int64_t origin) {
  return ns ? std::optional<double>(double(*ns - origin) / 1e9) : std::nullopt;
}

std::optional<std::string> text_or_none(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

// Counts by name; a backend that could not be told is "(unknown)".
journal::Counts count_map(const std::map<std::string, uint64_t>& m) {
  journal::Counts out;
  for (const auto& [k, v] : m) {
    out.emplace_back(k.empty() ? "(unknown)" : k, v);
  }
  return out;
}

journal::Counts status_map(const std::map<int, uint64_t>& m) {
  journal::Counts out;
  for (const auto& [k, v] : m) {
    out.emplace_back(std::to_string(k), v);
  }
  return out;
}

// The team's corrective actions, with the columns the experiment filled in
// (the journal writes the text alone when that is all it gave).
std::vector<journal::CorrectiveAction> corrective_actions(
    const std::vector<experiment::CorrectiveAction>& actions) {
  std::vector<journal::CorrectiveAction> out;
  for (const auto& a : actions) {
    out.push_back({a.action, text_or_none(a.type), text_or_none(a.priority), text_or_none(a.owner)});
  }
  return out;
}

journal::Stack stack_of(const ValidatedExperiment& v, const RunRecord& rec) {
  const auto& exp = v.exp;
  journal::Stack out;
  out.runtime = exp.stack.runtime;
  out.subnet = rec.plan ? rec.plan->subnet : "";
  if (rec.plan) {
    for (const auto& ps : rec.plan->services) {
      const auto* s = exp.stack.find(ps.name);
      journal::Service svc;
      svc.name = ps.name;
      svc.kind = experiment::to_string(ps.kind);
      svc.address = ps.address;
      svc.port = ps.port;
      if (s != nullptr && s->has_own_config()) {
        // The team's file decides balancing, checks, limits and retries:
        // the journal names the file instead of faultline's defaults,
        // which the reports would otherwise read as configured.
        svc.load_balancer = s->is_load_balancer();
        svc.backends = s->backends;
        svc.config = experiment::shown_path(exp, s->own.config);
        if (auto it = rec.config_changes.find(ps.name); it != rec.config_changes.end()) {
          svc.config_changes = it->second;
        }
      } else if (s != nullptr && s->is_load_balancer()) {
        svc.load_balancer = true;
        svc.backends = s->backends;
        for (const auto& b : s->backends) {
          svc.weights.emplace_back(b, s->weights.count(b) ? s->weights.at(b) : 1);
        }
        svc.balance = s->balance;
        svc.health_check = s->health_check.has_value();
        if (s->health_check) {
          svc.health_check_interval_s = double(s->health_check->interval.count()) / 1e9;
          svc.health_check_fall = s->health_check->fall;
          svc.health_check_rise = s->health_check->rise;
        }
        // What the stack had to absorb a fault with, as configured: the
        // postmortem's contributing factors name what was missing.
        svc.maxconn = s->maxconn;
        svc.retries = s->retries;
        svc.redispatch = s->redispatch;
        svc.retry_on = s->retry_on;
      }
      if (s != nullptr && s->kind == experiment::ServiceKind::process) {
        std::string line;
        for (const auto& word : s->own.command) {
          line += (line.empty() ? "" : " ") + word;
        }
        svc.command = line;
      }
      if (s != nullptr && s->capacity) {
        svc.capacity =
            journal::Capacity{s->capacity->workers, double(s->capacity->service_time.count()) / 1e6,
                              s->capacity->queue, s->capacity->rps, s->capacity->crash_on_overflow};
      }
      out.services.push_back(std::move(svc));
    }
  }
  // Only what the run was allowed to reach: without --allow-external a run
  // with external targets is refused before it starts.
  if (exp.allow_external) {
    for (const auto& t : exp.stack.external_targets) {
      out.external_targets.push_back({t.name, t.address, text_or_none(t.reason)});
    }
  }
  return out;
}

journal::Load load_of(const ValidatedExperiment& v, const RunRecord& rec) {
  const auto& load = v.exp.load;
  journal::Load out;
  out.target = load.target;
  out.path = load.path;
  out.rate = load.rate;
  out.connections = load.connections;
  out.max_connections = load.max_connections;
  out.users = load.users;
  out.timeout_s = double(load.timeout.count()) / 1e9;
  out.ramp_s = double(load.ramp.count()) / 1e9;
  out.duration_s = double(load.duration.count()) / 1e9;
  out.ran_s = rec.load_end_ns > rec.load_start_ns ? double(rec.load_end_ns - rec.load_start_ns) / 1e9 : 0.0;
  out.requests = rec.load.samples.size();
  out.not_sent = rec.load.not_sent;
  // Whether the generator kept the schedule: requests written more than
  // late_threshold_ms after their intended time, and those that timed out
  // before they could be written (k6's dropped iterations).
  out.late_threshold_ms = double(rec.load.late_threshold_ns) / 1e6;
  out.late_sends = rec.load.late_sends;
  out.send_lateness_p99_ms = double(rec.load.send_lateness_p99_ns) / 1e6;
  out.send_lateness_max_ms = double(rec.load.send_lateness_max_ns) / 1e6;
  out.expired_unsent = rec.load.expired_unsent;
  // Connections opened on demand past `connections`, up to the limit.
  out.peak_connections = rec.load.peak_connections;
  out.connection_limit_waits = rec.load.connection_limit_waits;
  // Requests sent again on a fresh connection after the server closed an
  // idle kept-alive one before answering (as a browser does).
  out.retried = rec.load.retried;
  // --- HTTPS (issue 21) ---
  out.scheme = load.scheme;
  if (load.https()) {
    journal::LoadTls tls;
    tls.sni = load.sni;
    tls.trust = load.insecure ? "none" : load.ca.empty() ? "run-ca" : "ca";
    tls.ca = rec.load_tls_ca;
    tls.handshakes = rec.load.tls_handshakes;
    tls.resumed = rec.load.tls_resumed;
    tls.errors = count_map(rec.load.tls_errors);
    tls.resume = load.resume;
    out.tls = std::move(tls);
  }
  // --- end of HTTPS ---
  const LoadDelivery delivery = judge_delivery(rec.load);
  out.delivery = journal::Delivery{
      delivery.delivered(),
      double(kLateSendThreshold.count()),
      kMaxLateShare,
      delivery.late,
      delivery.requests ? double(delivery.late) / double(delivery.requests) : 0.0,
      delivery.expired_unsent,
      delivery.connection_limit_waits,
      delivery.problems,
  };
  return out;
}

journal::Slo slo_of(const ValidatedExperiment& v, const RunRecord& rec, int64_t t0) {
  auto secs = [&](int64_t ns) { return double(ns - t0) / 1e9; };
  journal::Slo out;
  out.window_s = double(v.exp.slo.window.count()) / 1e9;
  out.steady_state_s = double(v.exp.slo.steady_state.count()) / 1e9;
  out.target = v.exp.slo.target;
  for (const auto& rule : v.abort_rules) {
    out.abort_when.push_back(rule.text);
  }
  for (size_t i = 0; i < v.objectives.size(); ++i) {
    const auto& o = v.objectives[i];
    // The threshold in the unit of the window values (ratios as fractions,
    // latencies in ms, throughput per second), so reports can draw it
    // without parsing the expression again.
    journal::Objective obj;
    obj.name = o.name;
    obj.expr = o.expr.text;
    obj.metric = verify::metric_label(o.expr);
    obj.comparator = std::string(verify::to_string(o.expr.op));
    obj.threshold = o.expr.threshold;
    if (i < rec.verdict.objectives.size()) {
      const auto& ov = rec.verdict.objectives[i];
      obj.breached = ov.breached();
      obj.worst = ov.worst;
      if (ov.worst) {
        obj.worst_text = verify::format_value(o.expr, *ov.worst);
      }
      for (const auto& b : ov.breaches) {
        obj.breaches.push_back({secs(b.start_ns), secs(b.end_ns), b.first_window, b.last_window,
                                b.worst_value, verify::format_value(o.expr, b.worst_value)});
      }
      obj.breach_s = double(ov.breach_ns()) / 1e9;
    }
    out.objectives.push_back(std::move(obj));
  }
  return out;
}

// The method as it happened, in Chaos Toolkit's spirit: activities with
// their planned and actual start and end.
journal::Activity activity_of(const FaultRecord& f, int64_t t0) {
  auto secs = [&](int64_t ns) { return double(ns - t0) / 1e9; };
  auto at = [&](int64_t ns) { return ns >= 0 ? std::optional<double>(secs(ns)) : std::nullopt; };
  const auto* step = f.bound->step;
  journal::Activity a;
  a.type = "fault";
  a.name = step->fault;
  a.target = step->target;
  a.params = yaml_to_json(step->params);
  a.description = f.bound->fault->describe();
  // The kernel mechanism the fault took (netem or the NFQUEUE delayer,
  // cgroup v2 or v1, ...); none when it never applied.
  a.kernel_path = kernel_path_taken(f);
  // How it was carried out, kept out of the description: the kernel path,
  // or the runtime API, signal or reload it used.
  a.mechanism = mechanism_taken(f);
  a.planned_at_s = double(step->at.count()) / 1e9;
  if (step->duration) {
    a.planned_duration_s = double(step->duration->count()) / 1e9;
  }
  // injected_s: in force from (only when inject succeeded); inject_called_s:
  // tried, whether or not it applied.
  a.inject_called_s = at(f.inject_called_ns);
  a.injected_s = at(f.injected_ns);
  if (f.inject_done_ns >= 0 && f.inject_called_ns >= 0) {
    a.inject_took_ms = double(f.inject_done_ns - f.inject_called_ns) / 1e6;
  }
  a.reverted_s = at(f.reverted_ns);
  if (f.reverted_ns >= 0) {
    a.revert_took_ms = double(f.reverted_ns - f.revert_called_ns) / 1e6;
  }
  a.status = f.inject_failed      ? "inject_failed"
             : f.revert_failed    ? "revert_failed"
             : f.reverted_ns >= 0 ? "reverted"
             : f.injected_ns >= 0 ? "injected"
                                  : "not run";
  a.error = text_or_none(f.error);
  a.suggested_measures = typed_measures(f.bound->fault->suggested_measures());
  return a;
}

journal::Analysis analysis_of(const ValidatedExperiment& v, const RunRecord& rec, int64_t t0) {
  auto at = [&](int64_t ns) { return ns >= 0 ? std::optional<double>(double(ns - t0) / 1e9) : std::nullopt; };
  const Timing t = measure_timing(rec);
  const Impact im = measure_impact(rec, v);
  journal::Analysis out;
  out.requests_total = rec.load.samples.size();
  for (const auto& s : rec.load.samples) {
    out.requests_failed += s.failed() ? 1 : 0;
  }
  out.first_inject_s = opt_seconds(t.first_inject_ns, t0);
  out.last_revert_s = opt_seconds(t.last_revert_ns, t0);
  out.first_breach_s = opt_seconds(t.first_breach_ns, t0);
  out.detected_s = opt_seconds(t.detected_ns, t0);
  if (t.detected_ns && t.first_inject_ns) {
    out.time_to_detect_s = double(*t.detected_ns - *t.first_inject_ns) / 1e9;
  }
  out.recovered_s = opt_seconds(t.recovered_ns, t0);
  if (t.recovered_ns && t.last_revert_ns) {
    out.time_to_recover_s = double(std::max<int64_t>(0, *t.recovered_ns - *t.last_revert_ns)) / 1e9;
  }
  out.total_breach_s = double(t.total_breach_ns) / 1e9;
  // Recovery can only be judged with enough load after the last revert.
  out.recovery = journal::Recovery{
      t.recovery_observable,
      t.last_revert_ns ? std::optional<double>(double(t.tail_after_revert_ns) / 1e9) : std::nullopt,
      double(t.tail_needed_ns) / 1e9};
  if (const auto budget = error_budget(rec, v)) {
    out.error_budget = journal::ErrorBudget{budget->target, budget->requests, budget->failed, budget->allowed,
                                            budget->consumed};
  }
  auto& impact = out.impact;
  impact.start_s = at(im.start_ns);
  impact.end_s = at(im.end_ns);
  impact.breach_s = double(im.breach_ns) / 1e9;
  impact.requests = im.requests;
  impact.failed = im.failed;
  impact.failed_share = im.requests ? double(im.failed) / double(im.requests) : 0.0;
  impact.slow = im.slow;
  impact.latency_objective_ms = im.latency_objective_ms;
  impact.users_seen = im.users_seen;
  impact.users_affected = im.users_affected;
  impact.users_affected_share = im.users_seen ? double(im.users_affected) / double(im.users_seen) : 0.0;
  impact.peak_p99_ms = im.peak_p99_ms;
  impact.first_error_s = opt_seconds(im.first_error_ns, t0);
  impact.statuses = status_map(im.statuses);
  impact.transport_errors = count_map(im.transport_errors);
  return out;
}

std::vector<journal::Window> windows_of(const RunRecord& rec, int64_t t0) {
  auto secs = [&](int64_t ns) { return double(ns - t0) / 1e9; };
  std::vector<journal::Window> out;
  for (size_t i = 0; i < rec.windows.size(); ++i) {
    const auto& w = rec.windows[i];
    journal::Window jw;
    jw.index = w.index;
    jw.start_s = secs(w.start_ns);
    jw.end_s = secs(w.end_ns);
    jw.requests = w.requests;
    jw.responses = w.responses;
    jw.good_responses = w.good_responses;
    jw.errors = w.errors;
    jw.error_rate = w.error_rate();
    jw.offered_rate = w.offered_rate();
    jw.throughput = w.throughput();
    jw.goodput = w.goodput();
    jw.mean_ms = w.mean_ms;
    jw.p50_ms = w.p50_ms;
    jw.p90_ms = w.p90_ms;
    jw.p99_ms = w.p99_ms;
    jw.p999_ms = w.p999_ms;
    jw.max_ms = w.max_ms;
    // Uncorrected (from the actual send): compare with the above to tell a
    // slow server from requests that waited to be sent.
    jw.service_p50_ms = w.service_p50_ms;
    jw.service_p90_ms = w.service_p90_ms;
    jw.service_p99_ms = w.service_p99_ms;
    jw.statuses = status_map(w.status_counts);
    jw.transport_errors = count_map(w.error_classes);
    jw.backends = count_map(w.backend_counts);
    jw.holds = i < rec.verdict.window_holds.size() ? bool(rec.verdict.window_holds[i]) : true;
    for (const auto& ov : rec.verdict.objectives) {
      jw.objectives.emplace_back(ov.name, journal::ObjectiveValue{ov.values.at(i), bool(ov.holds.at(i))});
    }
    out.push_back(std::move(jw));
  }
  return out;
}

}  // namespace

journal::Journal make_journal(const ValidatedExperiment& v, const RunRecord& rec) {
  const auto& exp = v.exp;
  const int64_t t0 = rec.load_start_ns >= 0 ? rec.load_start_ns : 0;
  auto wall = [&](int64_t ns) {
    return rec.clock.wall_origin() +
           std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(ns));
  };
  auto secs = [&](int64_t ns) { return double(ns - t0) / 1e9; };

  journal::Journal j;
  j.schema = journal::kSchema;
  j.faultline_version = std::string(faultline::version());
  j.run_id = rec.run_id;
  j.status = to_string(rec.status);
  j.error = text_or_none(rec.error);
  if (const auto& f = rec.failure) {
    j.failure = journal::Failure{f->stage, text_or_none(f->service), secs(f->at_ns), iso_utc(wall(f->at_ns))};
  }

  // The one verdict rule (harness/common/verdict_rule.h); every reporter
  // reads the outcome from here instead of judging the run again.
  const RunJudgement judgement = judge_run(rec, v);
  j.expect = experiment::to_string(exp.expect);
  j.expectation_met = judgement.expectation_met;
  j.verdict = journal::Verdict{std::string(faultline::to_string(judgement.outcome)),
                               judgement.expectation_met, faultline::exit_code(judgement.outcome),
                               judgement.breached_after_fault, judgement.breached_any};
  j.not_proven = rec.not_proven;
  j.server_logs = rec.server_logs;
  j.steady_state_held = steady_state_held(rec, v);
  // Chaos Toolkit's word: the system deviated from its steady state.
  j.deviated = rec.verdict.any_breach();

  // Probed by the runner when the run started (harness/runner/phases/environment.h).
  j.environment = {
      rec.environment.hostname, rec.environment.kernel, rec.environment.haproxy, rec.environment.nginx, {}};
  for (const auto& s : rec.environment.servers) {
    j.environment.servers.push_back({s.service, s.image, s.version, s.why});
  }

  j.experiment = {exp.title, exp.description, exp.tags, exp.source_file, yaml_to_json(exp.source)};
  j.timezone = exp.postmortem.timezone;
  j.start = {0.0, iso_utc(wall(t0)),
             std::chrono::duration_cast<std::chrono::milliseconds>(wall(t0).time_since_epoch()).count()};
  const int64_t end_ns = rec.load_end_ns >= 0 ? rec.load_end_ns : t0;
  j.end = {secs(end_ns), iso_utc(wall(end_ns)), std::nullopt};

  j.stack = stack_of(v, rec);
  j.load = load_of(v, rec);
  j.slo = slo_of(v, rec, t0);
  j.live_checks = rec.live_checks;
  if (const auto& f = rec.steady_state_failure) {
    j.steady_state_failure = journal::SteadyStateFailure{f->objective,
                                                         f->expr,
                                                         f->value,
                                                         f->value_text,
                                                         secs(f->window_start_ns),
                                                         secs(f->window_end_ns),
                                                         secs(rec.stopped_ns)};
  }
  if (const auto& a = rec.abort) {
    j.abort = journal::Abort{a->condition, secs(a->since_ns), secs(a->until_ns),
                             a->value,     a->value_text,     secs(rec.stopped_ns)};
  }
  for (const auto& f : rec.faults) {
    j.activities.push_back(activity_of(f, t0));
  }
  for (const auto& n : rec.notes) {
    j.notes.push_back({secs(n.at_ns), n.text, n.source});
  }
  for (const auto& e : rec.lb_events) {
    j.lb_events.push_back({secs(e.at_ns), e.service, e.server, e.from, e.to, e.text});
  }
  for (const auto& e : rec.service_events) {
    j.service_events.push_back({secs(e.at_ns), e.service, e.event, e.text});
  }
  // What the backends of the phases and windows below were counted from.
  const SharesBasis basis = shares_basis(rec, exp.load.backend_header);
  j.shares_basis = journal::SharesBasis{
      basis.source, basis.detail,
      basis.interval ? std::optional<double>(double(basis.interval->count()) / 1e9) : std::nullopt,
      basis.unknown_servers};
  for (const auto& p : make_phases(rec)) {
    j.phases.push_back({p.name,
                        p.kind,
                        secs(p.start_ns),
                        secs(p.end_ns),
                        p.requests,
                        p.errors,
                        p.requests ? double(p.errors) / double(p.requests) : 0.0,
                        p.p50_ms,
                        p.p99_ms,
                        count_map(p.backends),
                        status_map(p.statuses),
                        {}});
    for (const auto& r : p.by_request) {
      j.phases.back().requests_by_name.push_back(
          {r.name, r.requests, r.errors, r.requests ? std::optional<double>(r.p99_ms) : std::nullopt});
    }
  }
  j.analysis = analysis_of(v, rec, t0);
  j.windows = windows_of(rec, t0);
  j.postmortem = {exp.postmortem.service, exp.postmortem.timezone, exp.postmortem.detection,
                  exp.postmortem.root_cause, corrective_actions(exp.postmortem.corrective_actions)};
  return j;
}

}  // namespace faultline::runner
