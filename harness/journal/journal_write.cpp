// to_json: the journal as written to journal.json. Nullable fields
// (docs/JOURNAL.md says "or null") are written as null when empty; fields
// that only journals of older versions lack are left out when empty, so an
// old journal read and written again keeps its shape.

#include "harness/journal/journal.h"

namespace faultline::journal {
namespace {

template <class T>
json or_null(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

template <class T>
void put_if(json& o, const char* key, const std::optional<T>& v) {
  if (v) {
    o[key] = *v;
  }
}

json counts_json(const Counts& counts) {
  json o = json::object();
  for (const auto& [key, n] : counts) {
    o[key] = n;
  }
  return o;
}

json service_json(const Service& s) {
  json o = {{"name", s.name}, {"kind", s.kind}, {"address", s.address}, {"port", s.port}};
  if (s.load_balancer && s.config) {
    // The team's file decides the rest; the journal does not guess it.
    o["backends"] = s.backends;
  } else if (s.load_balancer) {
    o["backends"] = s.backends;
    o["weights"] = counts_json(s.weights);
    o["balance"] = s.balance;
    o["health_check"] = s.health_check;
    put_if(o, "health_check_interval_s", s.health_check_interval_s);
    put_if(o, "health_check_fall", s.health_check_fall);
    put_if(o, "health_check_rise", s.health_check_rise);
    put_if(o, "maxconn", s.maxconn);
    put_if(o, "retries", s.retries);
    o["redispatch"] = s.redispatch;
    o["retry_on"] = s.retry_on;
  }
  if (const auto& c = s.capacity) {
    json cap = json::object();
    put_if(cap, "workers", c->workers);
    put_if(cap, "service_time_ms", c->service_time_ms);
    cap["queue"] = c->queue;
    cap["rps"] = c->rps;
    cap["crash_on_overflow"] = c->crash_on_overflow;
    o["capacity"] = cap;
  }
  put_if(o, "config", s.config);
  if (!s.config_changes.empty()) {
    o["config_changes"] = s.config_changes;
  }
  put_if(o, "command", s.command);
  return o;
}

json stack_json(const Stack& s) {
  json services = json::array();
  for (const auto& svc : s.services) {
    services.push_back(service_json(svc));
  }
  json external = json::array();
  for (const auto& t : s.external_targets) {
    external.push_back({{"name", t.name}, {"address", t.address}, {"reason", or_null(t.reason)}});
  }
  return {
      {"runtime", s.runtime}, {"subnet", s.subnet}, {"services", services}, {"external_targets", external}};
}

json load_json(const Load& l) {
  json o = {{"target", l.target},
            {"path", l.path},
            {"rate", l.rate},
            {"connections", l.connections},
            {"max_connections", l.max_connections},
            {"users", l.users},
            {"timeout_s", l.timeout_s},
            {"ramp_s", l.ramp_s},
            {"duration_s", l.duration_s}};
  put_if(o, "ran_s", l.ran_s);
  put_if(o, "requests", l.requests);
  o["not_sent"] = l.not_sent;
  o["late_threshold_ms"] = l.late_threshold_ms;
  o["late_sends"] = l.late_sends;
  o["send_lateness_p99_ms"] = l.send_lateness_p99_ms;
  o["send_lateness_max_ms"] = l.send_lateness_max_ms;
  o["expired_unsent"] = l.expired_unsent;
  o["peak_connections"] = l.peak_connections;
  o["connection_limit_waits"] = l.connection_limit_waits;
  o["retried"] = l.retried;
  // --- HTTPS (issue 21) --- only for HTTPS load: plain journals as before
  if (const auto& t = l.tls) {
    o["scheme"] = l.scheme;
    o["tls"] = {{"sni", t->sni},         {"trust", t->trust},
                {"ca", t->ca},           {"handshakes", t->handshakes},
                {"resumed", t->resumed}, {"errors", counts_json(t->errors)},
                {"resume", t->resume}};
  }
  // --- end of HTTPS ---
  if (const auto& d = l.delivery) {
    o["delivery"] = {{"delivered", d->delivered},
                     {"late_threshold_ms", d->late_threshold_ms},
                     {"max_late_share", d->max_late_share},
                     {"late", d->late},
                     {"late_share", d->late_share},
                     {"expired_unsent", d->expired_unsent},
                     {"connection_limit_waits", d->connection_limit_waits},
                     {"problems", d->problems}};
  }
  return o;
}

json slo_json(const Slo& s) {
  json objectives = json::array();
  for (const auto& o : s.objectives) {
    json obj = {{"name", o.name},
                {"expr", o.expr},
                {"metric", o.metric},
                {"comparator", o.comparator},
                {"threshold", or_null(o.threshold)}};
    // Judged only once the run had windows.
    if (o.breached) {
      obj["breached"] = *o.breached;
      obj["worst"] = or_null(o.worst);
      obj["worst_text"] = or_null(o.worst_text);
      json breaches = json::array();
      for (const auto& b : o.breaches) {
        breaches.push_back({{"start_s", b.start_s},
                            {"end_s", b.end_s},
                            {"first_window", b.first_window},
                            {"last_window", b.last_window},
                            {"worst", or_null(b.worst)},
                            {"worst_text", b.worst_text}});
      }
      obj["breaches"] = breaches;
      put_if(obj, "breach_s", o.breach_s);
    }
    objectives.push_back(obj);
  }
  return {{"window_s", s.window_s},
          {"steady_state_s", s.steady_state_s},
          {"target", or_null(s.target)},
          {"abort_when", s.abort_when},
          {"objectives", objectives}};
}

json activity_json(const Activity& a) {
  json measures = json::array();
  for (const auto& m : a.suggested_measures) {
    if (m.type) {
      measures.push_back({{"action", m.action}, {"type", *m.type}});
    } else {
      measures.push_back(m.action);
    }
  }
  return {{"type", a.type},
          {"name", a.name},
          {"target", a.target},
          {"params", a.params},
          {"description", a.description},
          {"kernel_path", or_null(a.kernel_path)},
          {"mechanism", or_null(a.mechanism)},
          {"planned_at_s", a.planned_at_s},
          {"planned_duration_s", or_null(a.planned_duration_s)},
          {"inject_called_s", or_null(a.inject_called_s)},
          {"injected_s", or_null(a.injected_s)},
          {"inject_took_ms", or_null(a.inject_took_ms)},
          {"reverted_s", or_null(a.reverted_s)},
          {"revert_took_ms", or_null(a.revert_took_ms)},
          {"status", a.status},
          {"error", or_null(a.error)},
          {"suggested_measures", measures}};
}

json phase_json(const Phase& p) {
  json o = {
      {"name", p.name},         {"kind", p.kind},     {"start_s", p.start_s},       {"end_s", p.end_s},
      {"requests", p.requests}, {"errors", p.errors}, {"error_rate", p.error_rate}, {"p50_ms", p.p50_ms}};
  put_if(o, "p99_ms", p.p99_ms);
  o["backends"] = counts_json(p.backends);
  o["statuses"] = counts_json(p.statuses);
  if (!p.requests_by_name.empty()) {
    json by_name = json::object();
    for (const auto& r : p.requests_by_name) {
      json item = {{"requests", r.requests}, {"errors", r.errors}};
      item["p99_ms"] = or_null(r.p99_ms);
      by_name[r.name] = std::move(item);
    }
    o["requests_by_name"] = std::move(by_name);
  }
  return o;
}

json impact_json(const Impact& i) {
  json o = {{"start_s", or_null(i.start_s)}, {"end_s", or_null(i.end_s)}};
  put_if(o, "breach_s", i.breach_s);
  put_if(o, "requests", i.requests);
  put_if(o, "failed", i.failed);
  put_if(o, "failed_share", i.failed_share);
  o["slow"] = i.slow;
  o["latency_objective_ms"] = or_null(i.latency_objective_ms);
  put_if(o, "users_seen", i.users_seen);
  put_if(o, "users_affected", i.users_affected);
  put_if(o, "users_affected_share", i.users_affected_share);
  put_if(o, "peak_p99_ms", i.peak_p99_ms);
  o["first_error_s"] = or_null(i.first_error_s);
  o["statuses"] = counts_json(i.statuses);
  o["transport_errors"] = counts_json(i.transport_errors);
  return o;
}

json analysis_json(const Analysis& a) {
  json o = {{"requests_total", a.requests_total},
            {"requests_failed", a.requests_failed},
            {"first_inject_s", or_null(a.first_inject_s)},
            {"last_revert_s", or_null(a.last_revert_s)},
            {"first_breach_s", or_null(a.first_breach_s)},
            {"detected_s", or_null(a.detected_s)},
            {"time_to_detect_s", or_null(a.time_to_detect_s)},
            {"recovered_s", or_null(a.recovered_s)},
            {"time_to_recover_s", or_null(a.time_to_recover_s)}};
  put_if(o, "total_breach_s", a.total_breach_s);
  if (const auto& r = a.recovery) {
    json rec = json::object();
    put_if(rec, "observable", r->observable);
    rec["tail_after_revert_s"] = or_null(r->tail_after_revert_s);
    rec["tail_needed_s"] = r->tail_needed_s;
    o["recovery"] = rec;
  }
  if (const auto& b = a.error_budget) {
    o["error_budget"] = {{"target", b->target},
                         {"requests", b->requests},
                         {"failed", b->failed},
                         {"allowed", b->allowed},
                         {"consumed", b->consumed}};
  } else {
    o["error_budget"] = nullptr;
  }
  o["impact"] = impact_json(a.impact);
  return o;
}

json window_json(const Window& w) {
  json o = {{"index", w.index}, {"start_s", w.start_s}, {"end_s", w.end_s}, {"requests", w.requests}};
  put_if(o, "responses", w.responses);
  put_if(o, "good_responses", w.good_responses);
  o["errors"] = w.errors;
  put_if(o, "error_rate", w.error_rate);
  put_if(o, "offered_rate", w.offered_rate);
  put_if(o, "throughput", w.throughput);
  put_if(o, "goodput", w.goodput);
  o["mean_ms"] = w.mean_ms;
  o["p50_ms"] = w.p50_ms;
  o["p90_ms"] = w.p90_ms;
  put_if(o, "p99_ms", w.p99_ms);
  o["p999_ms"] = w.p999_ms;
  o["max_ms"] = w.max_ms;
  o["service_p50_ms"] = w.service_p50_ms;
  o["service_p90_ms"] = w.service_p90_ms;
  o["service_p99_ms"] = w.service_p99_ms;
  o["statuses"] = counts_json(w.statuses);
  o["transport_errors"] = counts_json(w.transport_errors);
  o["backends"] = counts_json(w.backends);
  o["holds"] = w.holds;
  json objs = json::object();
  for (const auto& [name, v] : w.objectives) {
    objs[name] = {{"value", or_null(v.value)}, {"holds", v.holds}};
  }
  o["objectives"] = objs;
  return o;
}

json action_json(const CorrectiveAction& a) {
  // The text alone when that is all the experiment gave, as journals
  // always had it.
  if (!a.type && !a.priority && !a.owner) {
    return a.action;
  }
  json item = {{"action", a.action}};
  put_if(item, "type", a.type);
  put_if(item, "priority", a.priority);
  put_if(item, "owner", a.owner);
  return item;
}

}  // namespace

json to_json(const Journal& j) {
  json o;
  o["schema"] = j.schema;
  o["faultline_version"] = j.faultline_version;
  o["run_id"] = j.run_id;
  o["status"] = j.status;
  o["error"] = or_null(j.error);
  if (const auto& f = j.failure) {
    o["failure"] = {
        {"stage", f->stage}, {"service", or_null(f->service)}, {"t", or_null(f->t)}, {"time", f->time}};
  } else {
    o["failure"] = nullptr;
  }
  o["expect"] = j.expect;
  o["expectation_met"] = j.expectation_met;
  if (const auto& v = j.verdict) {
    o["verdict"] = {{"outcome", v->outcome},
                    {"expectation_met", v->expectation_met},
                    {"exit_code", v->exit_code},
                    {"breached_after_fault", or_null(v->breached_after_fault)},
                    {"breached_any", or_null(v->breached_any)}};
  }
  o["not_proven"] = j.not_proven;
  o["server_logs"] = j.server_logs;
  o["steady_state_held"] = j.steady_state_held;
  o["deviated"] = j.deviated;
  o["environment"] = {{"hostname", j.environment.hostname},
                      {"kernel", j.environment.kernel},
                      {"haproxy", j.environment.haproxy},
                      {"nginx", j.environment.nginx}};
  if (!j.environment.servers.empty()) {
    json servers = json::array();
    for (const auto& s : j.environment.servers) {
      json one = {{"service", s.service}, {"image", s.image}, {"version", s.version}};
      if (!s.why.empty()) {
        one["why"] = s.why;
      }
      servers.push_back(std::move(one));
    }
    o["environment"]["servers"] = std::move(servers);
  }
  o["experiment"] = {{"title", j.experiment.title},
                     {"description", j.experiment.description},
                     {"tags", j.experiment.tags},
                     {"source_file", j.experiment.source_file},
                     {"document", j.experiment.document}};
  o["timezone"] = j.timezone;
  o["start"] = {{"t", j.start.t}, {"time", j.start.time}};
  put_if(o["start"], "epoch_ms", j.start.epoch_ms);
  o["end"] = {{"t", j.end.t}, {"time", j.end.time}};
  o["stack"] = stack_json(j.stack);
  o["load"] = load_json(j.load);
  o["slo"] = slo_json(j.slo);
  o["live_checks"] = j.live_checks;
  if (const auto& f = j.steady_state_failure) {
    o["steady_state_failure"] = {{"objective", f->objective},           {"expr", f->expr},
                                 {"value", or_null(f->value)},          {"value_text", f->value_text},
                                 {"window_start_s", f->window_start_s}, {"window_end_s", f->window_end_s},
                                 {"stopped_s", or_null(f->stopped_s)}};
  } else {
    o["steady_state_failure"] = nullptr;
  }
  if (const auto& a = j.abort) {
    o["abort"] = {{"condition", a->condition},   {"since_s", a->since_s},
                  {"until_s", a->until_s},       {"value", a->value},
                  {"value_text", a->value_text}, {"stopped_s", or_null(a->stopped_s)}};
  } else {
    o["abort"] = nullptr;
  }
  json activities = json::array();
  for (const auto& a : j.activities) {
    activities.push_back(activity_json(a));
  }
  o["activities"] = activities;
  json notes = json::array();
  for (const auto& n : j.notes) {
    notes.push_back({{"t", n.t}, {"text", n.text}, {"source", n.source}});
  }
  o["notes"] = notes;
  json lb_events = json::array();
  for (const auto& e : j.lb_events) {
    lb_events.push_back({{"t", e.t},
                         {"service", e.service},
                         {"server", e.server},
                         {"from", e.from},
                         {"to", e.to},
                         {"text", e.text}});
  }
  o["lb_events"] = lb_events;
  json service_events = json::array();
  for (const auto& e : j.service_events) {
    service_events.push_back({{"t", e.t}, {"service", e.service}, {"event", e.event}, {"text", e.text}});
  }
  o["service_events"] = service_events;
  if (const auto& b = j.shares_basis) {
    json basis = {{"source", b->source}, {"detail", b->detail}};
    put_if(basis, "interval_s", b->interval_s);
    if (!b->unknown_servers.empty()) {
      basis["unknown_servers"] = b->unknown_servers;
    }
    o["shares_basis"] = basis;
  }
  json phases = json::array();
  for (const auto& p : j.phases) {
    phases.push_back(phase_json(p));
  }
  o["phases"] = phases;
  o["analysis"] = analysis_json(j.analysis);
  json windows = json::array();
  for (const auto& w : j.windows) {
    windows.push_back(window_json(w));
  }
  o["windows"] = windows;
  json actions = json::array();
  for (const auto& a : j.postmortem.corrective_actions) {
    actions.push_back(action_json(a));
  }
  o["postmortem"] = {{"service", j.postmortem.service},
                     {"timezone", j.postmortem.timezone},
                     {"detection", j.postmortem.detection},
                     {"root_cause", j.postmortem.root_cause},
                     {"corrective_actions", actions}};
  return o;
}

}  // namespace faultline::journal
