#include "harness/runner/journal.h"

#include <fmt/format.h>

#include <array>
#include <cstdio>
#include <ctime>

#include "harness/runner/analysis.h"
#include "harness/runner/load_delivery.h"

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
json mechanism_taken(const FaultRecord& f) {
  if (f.injected_ns < 0 || f.bound == nullptr || f.bound->fault == nullptr) {
    return nullptr;
  }
  if (std::string taken = f.bound->fault->mechanism(); !taken.empty()) {
    return taken;
  }
  if (auto path = f.bound->fault->kernel_path()) {
    return path->mechanism;
  }
  return nullptr;
}

// The kernel mechanism a fault that applied took: its mechanism when it
// needs a particular kernel feature; null for the others (a runtime API, a
// signal) and when it never applied.
json kernel_path_taken(const FaultRecord& f) {
  if (f.bound == nullptr || f.bound->fault == nullptr || !f.bound->fault->kernel_path()) {
    return nullptr;
  }
  return mechanism_taken(f);
}

// Each measure as {"action": ..., "type": "prevent"}, the fields of an
// action item.
json measures_json(const std::vector<faults::Measure>& measures) {
  json out = json::array();
  for (const auto& m : measures) {
    out.push_back({{"action", m.action}, {"type", faults::to_string(m.type)}});
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

json opt_seconds(const std::optional<int64_t>& ns, int64_t origin) {
  return ns ? json(double(*ns - origin) / 1e9) : json(nullptr);
}

json count_map(const std::map<std::string, uint64_t>& m) {
  json o = json::object();
  for (const auto& [k, v] : m) {
    o[k.empty() ? "(unknown)" : k] = v;
  }
  return o;
}

json status_map(const std::map<int, uint64_t>& m) {
  json o = json::object();
  for (const auto& [k, v] : m) {
    o[std::to_string(k)] = v;
  }
  return o;
}

// The team's corrective actions: the text alone when that is all the
// experiment gave (as journals always had it), else an object with the
// columns it filled in.
json corrective_actions_json(const std::vector<experiment::CorrectiveAction>& actions) {
  json out = json::array();
  for (const auto& a : actions) {
    if (a.type.empty() && a.priority.empty() && a.owner.empty()) {
      out.push_back(a.action);
      continue;
    }
    json item = {{"action", a.action}};
    for (const auto& [key, value] : {std::pair<const char*, const std::string*>{"type", &a.type},
                                     {"priority", &a.priority},
                                     {"owner", &a.owner}}) {
      if (!value->empty()) {
        item[key] = *value;
      }
    }
    out.push_back(item);
  }
  return out;
}

}  // namespace

json make_journal(const ValidatedExperiment& v, const RunRecord& rec) {
  const auto& exp = v.exp;
  const int64_t t0 = rec.load_start_ns >= 0 ? rec.load_start_ns : 0;
  auto wall = [&](int64_t ns) {
    return rec.clock.wall_origin() +
           std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(ns));
  };
  auto secs = [&](int64_t ns) { return double(ns - t0) / 1e9; };

  json j;
  j["schema"] = kJournalSchema;
  j["faultline_version"] = "0.1.0";
  j["run_id"] = rec.run_id;
  j["status"] = to_string(rec.status);
  j["error"] = rec.error.empty() ? json(nullptr) : json(rec.error);
  if (const auto& f = rec.failure) {
    j["failure"] = {{"stage", f->stage},
                    {"service", f->service.empty() ? json(nullptr) : json(f->service)},
                    {"t", secs(f->at_ns)},
                    {"time", iso_utc(wall(f->at_ns))}};
  } else {
    j["failure"] = nullptr;
  }

  // The one verdict rule (harness/common/verdict_rule.h); every reporter
  // reads the outcome from here instead of judging the run again.
  const RunJudgement judgement = judge_run(rec, v);
  j["expect"] = experiment::to_string(exp.expect);
  j["expectation_met"] = judgement.expectation_met;
  j["verdict"] = {{"outcome", std::string(faultline::to_string(judgement.outcome))},
                  {"expectation_met", judgement.expectation_met},
                  {"exit_code", faultline::exit_code(judgement.outcome)},
                  {"breached_after_fault", judgement.breached_after_fault},
                  {"breached_any", judgement.breached_any}};
  j["not_proven"] = rec.not_proven;
  j["server_logs"] = rec.server_logs;
  j["steady_state_held"] = steady_state_held(rec, v);
  // Chaos Toolkit's word: the system deviated from its steady state.
  j["deviated"] = rec.verdict.any_breach();

  // Probed by the runner when the run started (harness/runner/phases/environment.h).
  j["environment"] = {
      {"hostname", rec.environment.hostname},
      {"kernel", rec.environment.kernel},
      {"haproxy", rec.environment.haproxy},
      {"nginx", rec.environment.nginx},
  };

  j["experiment"] = {
      {"title", exp.title},
      {"description", exp.description},
      {"tags", exp.tags},
      {"source_file", exp.source_file},
      {"document", yaml_to_json(exp.source)},
  };
  j["timezone"] = exp.postmortem.timezone;
  j["start"] = {{"t", 0.0},
                {"time", iso_utc(wall(t0))},
                {"epoch_ms",
                 std::chrono::duration_cast<std::chrono::milliseconds>(wall(t0).time_since_epoch()).count()}};
  const int64_t end_ns = rec.load_end_ns >= 0 ? rec.load_end_ns : t0;
  j["end"] = {{"t", secs(end_ns)}, {"time", iso_utc(wall(end_ns))}};

  json services = json::array();
  if (rec.plan) {
    for (const auto& ps : rec.plan->services) {
      const auto* s = exp.stack.find(ps.name);
      json svc = {{"name", ps.name},
                  {"kind", experiment::to_string(ps.kind)},
                  {"address", ps.address},
                  {"port", ps.port}};
      if (s != nullptr && s->is_load_balancer()) {
        svc["backends"] = s->backends;
        json weights = json::object();
        for (const auto& b : s->backends) {
          weights[b] = s->weights.count(b) ? s->weights.at(b) : 1;
        }
        svc["weights"] = weights;
        svc["balance"] = s->balance;
        svc["health_check"] = s->health_check.has_value();
        if (s->health_check) {
          svc["health_check_interval_s"] = double(s->health_check->interval.count()) / 1e9;
          svc["health_check_fall"] = s->health_check->fall;
          svc["health_check_rise"] = s->health_check->rise;
        }
        // What the stack had to absorb a fault with, as configured: the
        // postmortem's contributing factors name what was missing.
        svc["maxconn"] = s->maxconn;
        svc["retries"] = s->retries;
        svc["redispatch"] = s->redispatch;
        svc["retry_on"] = s->retry_on;
      }
      if (s != nullptr && s->capacity) {
        svc["capacity"] = {{"workers", s->capacity->workers},
                           {"service_time_ms", double(s->capacity->service_time.count()) / 1e6},
                           {"queue", s->capacity->queue},
                           {"rps", s->capacity->rps},
                           {"crash_on_overflow", s->capacity->crash_on_overflow}};
      }
      services.push_back(svc);
    }
  }
  // Only what the run was allowed to reach: without --allow-external a run
  // with external targets is refused before it starts.
  json external = json::array();
  if (exp.allow_external) {
    for (const auto& t : exp.stack.external_targets) {
      external.push_back({{"name", t.name},
                          {"address", t.address},
                          {"reason", t.reason.empty() ? json(nullptr) : json(t.reason)}});
    }
  }
  j["stack"] = {{"runtime", exp.stack.runtime},
                {"subnet", rec.plan ? rec.plan->subnet : ""},
                {"services", services},
                {"external_targets", external}};

  const LoadDelivery delivery = judge_delivery(rec.load);
  j["load"] = {
      {"target", exp.load.target},
      {"path", exp.load.path},
      {"rate", exp.load.rate},
      {"connections", exp.load.connections},
      {"max_connections", exp.load.max_connections},
      {"users", exp.load.users},
      {"timeout_s", double(exp.load.timeout.count()) / 1e9},
      {"ramp_s", double(exp.load.ramp.count()) / 1e9},
      {"duration_s", double(exp.load.duration.count()) / 1e9},
      {"ran_s",
       rec.load_end_ns > rec.load_start_ns ? double(rec.load_end_ns - rec.load_start_ns) / 1e9 : 0.0},
      {"requests", rec.load.samples.size()},
      {"not_sent", rec.load.not_sent},
      // Whether the generator kept the schedule: requests written more than
      // late_threshold_ms after their intended time, and those that timed
      // out before they could be written (k6's dropped iterations).
      {"late_threshold_ms", double(rec.load.late_threshold_ns) / 1e6},
      {"late_sends", rec.load.late_sends},
      {"send_lateness_p99_ms", double(rec.load.send_lateness_p99_ns) / 1e6},
      {"send_lateness_max_ms", double(rec.load.send_lateness_max_ns) / 1e6},
      {"expired_unsent", rec.load.expired_unsent},
      // Connections opened on demand past `connections`, up to the limit.
      {"peak_connections", rec.load.peak_connections},
      {"connection_limit_waits", rec.load.connection_limit_waits},
      // Requests sent again on a fresh connection after the server closed
      // an idle kept-alive one before answering (as a browser does).
      {"retried", rec.load.retried},
      {"delivery",
       {{"delivered", delivery.delivered()},
        {"late_threshold_ms", double(kLateSendThreshold.count())},
        {"max_late_share", kMaxLateShare},
        {"late", delivery.late},
        {"late_share", delivery.requests ? double(delivery.late) / double(delivery.requests) : 0.0},
        {"expired_unsent", delivery.expired_unsent},
        {"connection_limit_waits", delivery.connection_limit_waits},
        {"problems", delivery.problems}}},
  };

  json objectives = json::array();
  for (size_t i = 0; i < v.objectives.size(); ++i) {
    const auto& o = v.objectives[i];
    // The threshold in the unit of the window values (ratios as fractions,
    // latencies in ms, throughput per second), so reports can draw it
    // without parsing the expression again.
    json obj = {{"name", o.name},
                {"expr", o.expr.text},
                {"metric", verify::metric_label(o.expr)},
                {"comparator", std::string(verify::to_string(o.expr.op))},
                {"threshold", o.expr.threshold}};
    if (i < rec.verdict.objectives.size()) {
      const auto& ov = rec.verdict.objectives[i];
      obj["breached"] = ov.breached();
      obj["worst"] = ov.worst ? json(*ov.worst) : json(nullptr);
      obj["worst_text"] = ov.worst ? json(verify::format_value(o.expr, *ov.worst)) : json(nullptr);
      json breaches = json::array();
      for (const auto& b : ov.breaches) {
        breaches.push_back({{"start_s", secs(b.start_ns)},
                            {"end_s", secs(b.end_ns)},
                            {"first_window", b.first_window},
                            {"last_window", b.last_window},
                            {"worst", b.worst_value},
                            {"worst_text", verify::format_value(o.expr, b.worst_value)}});
      }
      obj["breaches"] = breaches;
      obj["breach_s"] = double(ov.breach_ns()) / 1e9;
    }
    objectives.push_back(obj);
  }
  json abort_when = json::array();
  for (const auto& rule : v.abort_rules) {
    abort_when.push_back(rule.text);
  }
  j["slo"] = {{"window_s", double(exp.slo.window.count()) / 1e9},
              {"steady_state_s", double(exp.slo.steady_state.count()) / 1e9},
              {"target", exp.slo.target ? json(*exp.slo.target) : json(nullptr)},
              {"abort_when", abort_when},
              {"objectives", objectives}};
  j["live_checks"] = rec.live_checks;
  if (const auto& f = rec.steady_state_failure) {
    j["steady_state_failure"] = {{"objective", f->objective},
                                 {"expr", f->expr},
                                 {"value", f->value ? json(*f->value) : json(nullptr)},
                                 {"value_text", f->value_text},
                                 {"window_start_s", secs(f->window_start_ns)},
                                 {"window_end_s", secs(f->window_end_ns)},
                                 {"stopped_s", secs(rec.stopped_ns)}};
  } else {
    j["steady_state_failure"] = nullptr;
  }
  if (const auto& a = rec.abort) {
    j["abort"] = {{"condition", a->condition},    {"since_s", secs(a->since_ns)},
                  {"until_s", secs(a->until_ns)}, {"value", a->value},
                  {"value_text", a->value_text},  {"stopped_s", secs(rec.stopped_ns)}};
  } else {
    j["abort"] = nullptr;
  }

  // The method as it happened, in Chaos Toolkit's spirit: activities with
  // their planned and actual start and end.
  json activities = json::array();
  for (const auto& f : rec.faults) {
    const auto* step = f.bound->step;
    json a = {
        {"type", "fault"},
        {"name", step->fault},
        {"target", step->target},
        {"params", yaml_to_json(step->params)},
        {"description", f.bound->fault->describe()},
        // The kernel mechanism the fault took (netem or the NFQUEUE
        // delayer, cgroup v2 or v1, ...); null when it never applied.
        {"kernel_path", kernel_path_taken(f)},
        // How it was carried out, kept out of the description: the kernel
        // path, or the runtime API, signal or reload it used.
        {"mechanism", mechanism_taken(f)},
        {"planned_at_s", double(step->at.count()) / 1e9},
        {"planned_duration_s", step->duration ? json(double(step->duration->count()) / 1e9) : json(nullptr)},
        // injected_s: in force from (only when inject succeeded);
        // inject_called_s: tried, whether or not it applied.
        {"inject_called_s", f.inject_called_ns >= 0 ? json(secs(f.inject_called_ns)) : json(nullptr)},
        {"injected_s", f.injected_ns >= 0 ? json(secs(f.injected_ns)) : json(nullptr)},
        {"inject_took_ms", f.inject_done_ns >= 0 && f.inject_called_ns >= 0
                               ? json(double(f.inject_done_ns - f.inject_called_ns) / 1e6)
                               : json(nullptr)},
        {"reverted_s", f.reverted_ns >= 0 ? json(secs(f.reverted_ns)) : json(nullptr)},
        {"revert_took_ms",
         f.reverted_ns >= 0 ? json(double(f.reverted_ns - f.revert_called_ns) / 1e6) : json(nullptr)},
        {"status", f.inject_failed      ? "inject_failed"
                   : f.revert_failed    ? "revert_failed"
                   : f.reverted_ns >= 0 ? "reverted"
                   : f.injected_ns >= 0 ? "injected"
                                        : "not run"},
        {"error", f.error.empty() ? json(nullptr) : json(f.error)},
        {"suggested_measures", measures_json(f.bound->fault->suggested_measures())},
    };
    activities.push_back(a);
  }
  j["activities"] = activities;
  json notes = json::array();
  for (const auto& n : rec.notes) {
    notes.push_back({{"t", secs(n.at_ns)}, {"text", n.text}, {"source", n.source}});
  }
  j["notes"] = notes;
  json lb_events = json::array();
  for (const auto& e : rec.lb_events) {
    lb_events.push_back({{"t", secs(e.at_ns)},
                         {"service", e.service},
                         {"server", e.server},
                         {"from", e.from},
                         {"to", e.to},
                         {"text", e.text}});
  }
  j["lb_events"] = lb_events;
  json service_events = json::array();
  for (const auto& e : rec.service_events) {
    service_events.push_back(
        {{"t", secs(e.at_ns)}, {"service", e.service}, {"event", e.event}, {"text", e.text}});
  }
  j["service_events"] = service_events;

  json phases = json::array();
  for (const auto& p : make_phases(rec)) {
    phases.push_back({{"name", p.name},
                      {"kind", p.kind},
                      {"start_s", secs(p.start_ns)},
                      {"end_s", secs(p.end_ns)},
                      {"requests", p.requests},
                      {"errors", p.errors},
                      {"error_rate", p.requests ? double(p.errors) / double(p.requests) : 0.0},
                      {"p50_ms", p.p50_ms},
                      {"p99_ms", p.p99_ms},
                      {"backends", count_map(p.backends)},
                      {"statuses", status_map(p.statuses)}});
  }
  j["phases"] = phases;

  const Timing t = measure_timing(rec);
  const Impact im = measure_impact(rec, v);
  const auto budget = error_budget(rec, v);
  uint64_t failed_total = 0;
  for (const auto& s : rec.load.samples) {
    failed_total += s.failed() ? 1 : 0;
  }
  j["analysis"] = {
      {"requests_total", rec.load.samples.size()},
      {"requests_failed", failed_total},
      {"first_inject_s", opt_seconds(t.first_inject_ns, t0)},
      {"last_revert_s", opt_seconds(t.last_revert_ns, t0)},
      {"first_breach_s", opt_seconds(t.first_breach_ns, t0)},
      {"detected_s", opt_seconds(t.detected_ns, t0)},
      {"time_to_detect_s", t.detected_ns && t.first_inject_ns
                               ? json(double(*t.detected_ns - *t.first_inject_ns) / 1e9)
                               : json(nullptr)},
      {"recovered_s", opt_seconds(t.recovered_ns, t0)},
      {"time_to_recover_s",
       t.recovered_ns && t.last_revert_ns
           ? json(double(std::max<int64_t>(0, *t.recovered_ns - *t.last_revert_ns)) / 1e9)
           : json(nullptr)},
      {"total_breach_s", double(t.total_breach_ns) / 1e9},
      // Recovery can only be judged with enough load after the last revert.
      {"recovery",
       {{"observable", t.recovery_observable},
        {"tail_after_revert_s",
         t.last_revert_ns ? json(double(t.tail_after_revert_ns) / 1e9) : json(nullptr)},
        {"tail_needed_s", double(t.tail_needed_ns) / 1e9}}},
      {"error_budget", budget ? json{{"target", budget->target},
                                     {"requests", budget->requests},
                                     {"failed", budget->failed},
                                     {"allowed", budget->allowed},
                                     {"consumed", budget->consumed}}
                              : json(nullptr)},
      {"impact",
       {
           {"start_s", im.start_ns >= 0 ? json(secs(im.start_ns)) : json(nullptr)},
           {"end_s", im.end_ns >= 0 ? json(secs(im.end_ns)) : json(nullptr)},
           {"breach_s", double(im.breach_ns) / 1e9},
           {"requests", im.requests},
           {"failed", im.failed},
           {"failed_share", im.requests ? double(im.failed) / double(im.requests) : 0.0},
           {"slow", im.slow},
           {"latency_objective_ms", im.latency_objective_ms ? json(*im.latency_objective_ms) : json(nullptr)},
           {"users_seen", im.users_seen},
           {"users_affected", im.users_affected},
           {"users_affected_share", im.users_seen ? double(im.users_affected) / double(im.users_seen) : 0.0},
           {"peak_p99_ms", im.peak_p99_ms},
           {"first_error_s", opt_seconds(im.first_error_ns, t0)},
           {"statuses", status_map(im.statuses)},
           {"transport_errors", count_map(im.transport_errors)},
       }},
  };

  json windows = json::array();
  for (size_t i = 0; i < rec.windows.size(); ++i) {
    const auto& w = rec.windows[i];
    json objs = json::object();
    for (const auto& ov : rec.verdict.objectives) {
      const auto& val = ov.values.at(i);
      objs[ov.name] = {{"value", val ? json(*val) : json(nullptr)}, {"holds", bool(ov.holds.at(i))}};
    }
    windows.push_back(
        {{"index", w.index},
         {"start_s", secs(w.start_ns)},
         {"end_s", secs(w.end_ns)},
         {"requests", w.requests},
         {"responses", w.responses},
         {"good_responses", w.good_responses},
         {"errors", w.errors},
         {"error_rate", w.error_rate()},
         {"offered_rate", w.offered_rate()},
         {"throughput", w.throughput()},
         {"goodput", w.goodput()},
         {"mean_ms", w.mean_ms},
         {"p50_ms", w.p50_ms},
         {"p90_ms", w.p90_ms},
         {"p99_ms", w.p99_ms},
         {"p999_ms", w.p999_ms},
         {"max_ms", w.max_ms},
         // Uncorrected (from the actual send): compare with the above to
         // tell a slow server from requests that waited to be sent.
         {"service_p50_ms", w.service_p50_ms},
         {"service_p90_ms", w.service_p90_ms},
         {"service_p99_ms", w.service_p99_ms},
         {"statuses", status_map(w.status_counts)},
         {"transport_errors", count_map(w.error_classes)},
         {"backends", count_map(w.backend_counts)},
         {"holds", i < rec.verdict.window_holds.size() ? bool(rec.verdict.window_holds[i]) : true},
         {"objectives", objs}});
  }
  j["windows"] = windows;

  j["postmortem"] = {
      {"service", exp.postmortem.service},
      {"timezone", exp.postmortem.timezone},
      {"detection", exp.postmortem.detection},
      {"root_cause", exp.postmortem.root_cause},
      {"corrective_actions", corrective_actions_json(exp.postmortem.corrective_actions)},
  };
  return j;
}

}  // namespace faultline::runner
