// from_json: any JSON value as a journal (journal.h says why it is total).

#include "harness/journal/journal.h"
#include "harness/journal/json_reader.h"

namespace faultline::journal {
namespace {

Failure read_failure(const JsonReader& r) {
  return {r.text("stage"), r.opt_text("service"), r.opt_number("t"), r.text("time")};
}

Verdict read_verdict(const JsonReader& r) {
  return {r.text("outcome"), r.flag("expectation_met"), int(r.integer("exit_code")),
          r.opt_flag("breached_after_fault"), r.opt_flag("breached_any")};
}

Instant read_instant(const JsonReader& r) {
  return {r.number("t"), r.text("time"), r.opt_integer("epoch_ms")};
}

Service read_service(const json& item) {
  const JsonReader r(item);
  Service s;
  s.name = r.text("name");
  s.kind = r.text("kind");
  s.address = r.text("address");
  s.port = r.integer("port");
  s.load_balancer = r.at("backends") != nullptr;
  s.backends = r.texts("backends");
  for (const auto& [name, weight] : r.counts("weights")) {
    s.weights.emplace_back(name, weight);
  }
  s.balance = r.text("balance");
  s.health_check = r.flag("health_check");
  s.health_check_interval_s = r.opt_number("health_check_interval_s");
  s.health_check_fall = r.opt_integer("health_check_fall");
  s.health_check_rise = r.opt_integer("health_check_rise");
  s.maxconn = r.opt_integer("maxconn");
  s.retries = r.opt_integer("retries");
  s.redispatch = r.flag("redispatch");
  s.retry_on = r.texts("retry_on");
  if (r.has_object("capacity")) {
    const JsonReader c = r.object("capacity");
    s.capacity = Capacity{c.opt_integer("workers"), c.opt_number("service_time_ms"), c.integer("queue"),
                          c.number("rps"), c.flag("crash_on_overflow")};
  }
  s.config = r.opt_text("config");
  s.config_changes = r.texts("config_changes");
  s.command = r.opt_text("command");
  return s;
}

Stack read_stack(const JsonReader& r) {
  Stack s;
  s.runtime = r.text("runtime");
  s.subnet = r.text("subnet");
  s.services = r.list<Service>("services", read_service);
  s.external_targets = r.list<ExternalTarget>("external_targets", [](const json& item) {
    const JsonReader t(item);
    return ExternalTarget{t.text("name"), t.text("address"), t.opt_text("reason")};
  });
  return s;
}

Load read_load(const JsonReader& r) {
  Load l;
  l.target = r.text("target");
  l.path = r.text("path");
  l.rate = r.number("rate");
  l.connections = r.integer("connections");
  l.max_connections = r.integer("max_connections");
  l.users = r.integer("users");
  l.timeout_s = r.number("timeout_s");
  l.ramp_s = r.number("ramp_s");
  l.duration_s = r.number("duration_s");
  l.ran_s = r.opt_number("ran_s");
  l.requests = r.opt_count("requests");
  l.not_sent = r.count("not_sent");
  l.late_threshold_ms = r.number("late_threshold_ms");
  l.late_sends = r.count("late_sends");
  l.send_lateness_p99_ms = r.number("send_lateness_p99_ms");
  l.send_lateness_max_ms = r.number("send_lateness_max_ms");
  l.expired_unsent = r.count("expired_unsent");
  l.peak_connections = r.count("peak_connections");
  l.connection_limit_waits = r.count("connection_limit_waits");
  l.retried = r.count("retried");
  // --- HTTPS (issue 21) --- journals before it have neither key
  l.scheme = r.opt_text("scheme").value_or("http");
  if (r.has_object("tls")) {
    const JsonReader t = r.object("tls");
    l.tls = LoadTls{t.text("sni"),
                    t.text("trust"),
                    t.text("ca"),
                    t.count("handshakes"),
                    t.count("resumed"),
                    t.counts("errors"),
                    t.opt_flag("resume").value_or(true)};
  }
  // --- end of HTTPS ---
  if (r.has_object("delivery")) {
    const JsonReader d = r.object("delivery");
    l.delivery = Delivery{d.flag("delivered", true),
                          d.number("late_threshold_ms"),
                          d.number("max_late_share"),
                          d.count("late"),
                          d.number("late_share"),
                          d.count("expired_unsent"),
                          d.count("connection_limit_waits"),
                          d.texts("problems")};
  }
  return l;
}

Objective read_objective(const json& item) {
  const JsonReader r(item);
  Objective o;
  o.name = r.text("name");
  o.expr = r.text("expr");
  o.metric = r.text("metric");
  o.comparator = r.text("comparator");
  o.threshold = r.opt_number("threshold");
  o.breached = r.opt_flag("breached");
  o.worst = r.opt_number("worst");
  o.worst_text = r.opt_text("worst_text");
  o.breaches = r.list<Breach>("breaches", [](const json& b) {
    const JsonReader br(b);
    return Breach{br.number("start_s"),      br.number("end_s"),     br.integer("first_window"),
                  br.integer("last_window"), br.opt_number("worst"), br.text("worst_text")};
  });
  o.breach_s = r.opt_number("breach_s");
  return o;
}

Slo read_slo(const JsonReader& r) {
  return {r.number("window_s"), r.number("steady_state_s"), r.opt_number("target"), r.texts("abort_when"),
          r.list<Objective>("objectives", read_objective)};
}

SuggestedMeasure read_measure(const json& item) {
  if (item.is_string()) {
    return {item.get<std::string>(), std::nullopt};
  }
  const JsonReader r(item);
  return {r.text("action"), r.opt_text("type")};
}

Activity read_activity(const json& item) {
  const JsonReader r(item);
  Activity a;
  a.type = r.text("type");
  a.name = r.text("name");
  a.target = r.text("target");
  a.params = r.raw("params");
  a.description = r.text("description");
  a.kernel_path = r.opt_text("kernel_path");
  a.mechanism = r.opt_text("mechanism");
  a.planned_at_s = r.number("planned_at_s");
  a.planned_duration_s = r.opt_number("planned_duration_s");
  a.inject_called_s = r.opt_number("inject_called_s");
  a.injected_s = r.opt_number("injected_s");
  a.inject_took_ms = r.opt_number("inject_took_ms");
  a.reverted_s = r.opt_number("reverted_s");
  a.revert_took_ms = r.opt_number("revert_took_ms");
  a.status = r.text("status");
  a.error = r.opt_text("error");
  a.suggested_measures = r.list<SuggestedMeasure>("suggested_measures", read_measure);
  return a;
}

// `requests_by_name`: {name: {requests, errors, p99_ms}}, in the mix's
// order (the journal's objects keep theirs); journals before the request
// mix have none.
std::vector<RequestFigures> read_requests_by_name(const JsonReader& phase) {
  std::vector<RequestFigures> out;
  if (!phase.has_object("requests_by_name")) {
    return out;
  }
  const json by_name = phase.raw("requests_by_name");
  for (const auto& [name, item] : by_name.items()) {
    const JsonReader r(item);
    out.push_back({name, r.count("requests"), r.count("errors"), r.opt_number("p99_ms")});
  }
  return out;
}

Phase read_phase(const json& item) {
  const JsonReader r(item);
  Phase p{r.text("name"),         r.text("kind"),       r.number("start_s"),    r.number("end_s"),
          r.count("requests"),    r.count("errors"),    r.number("error_rate"), r.number("p50_ms"),
          r.opt_number("p99_ms"), r.counts("backends"), r.counts("statuses"),   {}};
  p.requests_by_name = read_requests_by_name(r);
  return p;
}

Impact read_impact(const JsonReader& r) {
  Impact i;
  i.start_s = r.opt_number("start_s");
  i.end_s = r.opt_number("end_s");
  i.breach_s = r.opt_number("breach_s");
  i.requests = r.opt_count("requests");
  i.failed = r.opt_count("failed");
  i.failed_share = r.opt_number("failed_share");
  i.slow = r.count("slow");
  i.latency_objective_ms = r.opt_number("latency_objective_ms");
  i.users_seen = r.opt_count("users_seen");
  i.users_affected = r.opt_count("users_affected");
  i.users_affected_share = r.opt_number("users_affected_share");
  i.peak_p99_ms = r.opt_number("peak_p99_ms");
  i.first_error_s = r.opt_number("first_error_s");
  i.statuses = r.counts("statuses");
  i.transport_errors = r.counts("transport_errors");
  return i;
}

Analysis read_analysis(const JsonReader& r) {
  Analysis a;
  a.requests_total = r.count("requests_total");
  a.requests_failed = r.count("requests_failed");
  a.first_inject_s = r.opt_number("first_inject_s");
  a.last_revert_s = r.opt_number("last_revert_s");
  a.first_breach_s = r.opt_number("first_breach_s");
  a.detected_s = r.opt_number("detected_s");
  a.time_to_detect_s = r.opt_number("time_to_detect_s");
  a.recovered_s = r.opt_number("recovered_s");
  a.time_to_recover_s = r.opt_number("time_to_recover_s");
  a.total_breach_s = r.opt_number("total_breach_s");
  if (r.has_object("recovery")) {
    const JsonReader rec = r.object("recovery");
    a.recovery = Recovery{rec.opt_flag("observable"), rec.opt_number("tail_after_revert_s"),
                          rec.number("tail_needed_s")};
  }
  if (r.has_object("error_budget")) {
    const JsonReader b = r.object("error_budget");
    a.error_budget = ErrorBudget{b.number("target"), b.count("requests"), b.count("failed"),
                                 b.number("allowed"), b.number("consumed")};
  }
  a.impact = read_impact(r.object("impact"));
  return a;
}

Window read_window(const json& item) {
  const JsonReader r(item);
  Window w;
  w.index = r.integer("index");
  w.start_s = r.number("start_s");
  w.end_s = r.number("end_s");
  w.requests = r.count("requests");
  w.responses = r.opt_count("responses");
  w.good_responses = r.opt_count("good_responses");
  w.errors = r.count("errors");
  w.error_rate = r.opt_number("error_rate");
  w.offered_rate = r.opt_number("offered_rate");
  w.throughput = r.opt_number("throughput");
  w.goodput = r.opt_number("goodput");
  w.mean_ms = r.number("mean_ms");
  w.p50_ms = r.number("p50_ms");
  w.p90_ms = r.number("p90_ms");
  w.p99_ms = r.opt_number("p99_ms");
  w.p999_ms = r.number("p999_ms");
  w.max_ms = r.number("max_ms");
  w.service_p50_ms = r.number("service_p50_ms");
  w.service_p90_ms = r.number("service_p90_ms");
  w.service_p99_ms = r.number("service_p99_ms");
  w.statuses = r.counts("statuses");
  w.transport_errors = r.counts("transport_errors");
  w.backends = r.counts("backends");
  w.holds = r.flag("holds", true);
  if (const json* objs = r.at("objectives"); objs != nullptr && objs->is_object()) {
    for (const auto& [name, value] : objs->items()) {
      const JsonReader o(value);
      w.objectives.emplace_back(name, ObjectiveValue{o.opt_number("value"), o.flag("holds", true)});
    }
  }
  return w;
}

CorrectiveAction read_action(const json& item) {
  if (item.is_string()) {
    return {item.get<std::string>(), std::nullopt, std::nullopt, std::nullopt};
  }
  const JsonReader r(item);
  return {r.text("action"), r.opt_text("type"), r.opt_text("priority"), r.opt_text("owner")};
}

}  // namespace

Journal from_json(const json& doc) {
  const JsonReader r(doc);
  Journal j;
  j.schema = r.text("schema");
  j.faultline_version = r.text("faultline_version");
  j.run_id = r.text("run_id");
  j.status = r.text("status");
  j.error = r.opt_text("error");
  if (r.has_object("failure")) {
    j.failure = read_failure(r.object("failure"));
  }
  j.expect = r.text("expect");
  j.expectation_met = r.flag("expectation_met");
  if (r.has_object("verdict")) {
    j.verdict = read_verdict(r.object("verdict"));
  }
  j.not_proven = r.texts("not_proven");
  j.server_logs = r.texts("server_logs");
  j.steady_state_held = r.flag("steady_state_held", true);
  j.deviated = r.flag("deviated");
  const JsonReader env = r.object("environment");
  j.environment = {env.text("hostname"), env.text("kernel"), env.text("haproxy"), env.text("nginx"), {}};
  j.environment.servers = env.list<journal::ServerSoftware>("servers", [](const json& item) {
    const JsonReader s(item);
    return journal::ServerSoftware{s.text("service"), s.text("image"), s.text("version"), s.text("why")};
  });
  const JsonReader exp = r.object("experiment");
  j.experiment = {exp.text("title"), exp.text("description"), exp.texts("tags"), exp.text("source_file"),
                  exp.raw("document")};
  j.timezone = r.text("timezone");
  j.start = read_instant(r.object("start"));
  j.end = read_instant(r.object("end"));
  j.stack = read_stack(r.object("stack"));
  j.load = read_load(r.object("load"));
  j.slo = read_slo(r.object("slo"));
  j.live_checks = r.flag("live_checks");
  if (r.has_object("steady_state_failure")) {
    const JsonReader f = r.object("steady_state_failure");
    j.steady_state_failure = SteadyStateFailure{
        f.text("objective"),        f.text("expr"),           f.opt_number("value"),    f.text("value_text"),
        f.number("window_start_s"), f.number("window_end_s"), f.opt_number("stopped_s")};
  }
  if (r.has_object("abort")) {
    const JsonReader a = r.object("abort");
    j.abort = Abort{a.text("condition"), a.number("since_s"),  a.number("until_s"),
                    a.number("value"),   a.text("value_text"), a.opt_number("stopped_s")};
  }
  j.activities = r.list<Activity>("activities", read_activity);
  j.notes = r.list<Note>("notes", [](const json& item) {
    const JsonReader n(item);
    return Note{n.number("t"), n.text("text"), n.text("source")};
  });
  j.lb_events = r.list<LbEvent>("lb_events", [](const json& item) {
    const JsonReader e(item);
    return LbEvent{e.number("t"),  e.text("service"), e.text("server"),
                   e.text("from"), e.text("to"),      e.text("text")};
  });
  j.service_events = r.list<ServiceEvent>("service_events", [](const json& item) {
    const JsonReader e(item);
    return ServiceEvent{e.number("t"), e.text("service"), e.text("event"), e.text("text")};
  });
  if (r.has_object("shares_basis")) {
    const JsonReader b = r.object("shares_basis");
    j.shares_basis = SharesBasis{b.text("source"), b.text("detail"), b.opt_number("interval_s"),
                                 b.texts("unknown_servers")};
  }
  j.phases = r.list<Phase>("phases", read_phase);
  j.analysis = read_analysis(r.object("analysis"));
  j.windows = r.list<Window>("windows", read_window);
  const JsonReader pm = r.object("postmortem");
  j.postmortem = {pm.text("service"), pm.text("timezone"), pm.text("detection"), pm.text("root_cause"),
                  pm.list<CorrectiveAction>("corrective_actions", read_action)};
  return j;
}

}  // namespace faultline::journal
