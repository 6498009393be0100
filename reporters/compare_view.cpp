#include "reporters/compare_view.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "reporters/harness_failure.h"
#include "reporters/journal_outcome.h"
#include "reporters/mustache_render.h"
#include "reporters/number_cast.h"
#include "reporters/number_text.h"
#include "reporters/time_format.h"

namespace faultline::reporters {

namespace {

using json = nlohmann::ordered_json;

const char* const kDash = "—";

using journal::Journal;

template <class T>
json or_null(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

// A figure of the view's own facts (run_facts below), 0 when null.
double fact(const json& f, const char* key) {
  return f[key].is_number() ? f[key].get<double>() : 0.0;
}

std::string text_or_dash(const json& v) {
  return v.is_string() && !v.get<std::string>().empty() ? v.get<std::string>() : std::string(kDash);
}

// Mirrors runner::exit_code, which the reporters cannot link: the journal
// stores the status and the verdict, not the code the run exited with.
// The exit code `faultline run` gave, by the one verdict rule.
std::pair<int, std::string> exit_code_of(RunOutcome outcome) {
  const int code = exit_code(outcome);
  switch (outcome) {
    case RunOutcome::passed:
    case RunOutcome::incident:
      return {code, "expectation met"};
    case RunOutcome::regression:
    case RunOutcome::not_reproduced:
      return {code, "expectation not met"};
    case RunOutcome::not_proven:
      return {code,
              "the run proves nothing (a fault did not apply or revert, or the load was not delivered)"};
    case RunOutcome::interrupted:
      return {code, "interrupted by a signal"};
    case RunOutcome::steady_state_failed:
      return {code, "steady state did not hold; nothing injected"};
    case RunOutcome::aborted:
      return {code, "aborted by an abort_when condition"};
    case RunOutcome::failed:
      break;
  }
  return {code, "the run failed"};
}

// Failed requests by kind: 5xx statuses and transport errors are what the
// load generator counts as failures; 4xx reached users too, so they show.
json error_kinds(const journal::Impact& impact) {
  json kinds = json::object();
  for (const auto& [code, n] : impact.statuses) {
    if (std::atoi(code.c_str()) >= 400 && n > 0) {
      kinds["HTTP " + code] = n;
    }
  }
  for (const auto& [cls, n] : impact.transport_errors) {
    if (n > 0) {
      kinds[cls] = n;
    }
  }
  return kinds;
}

std::string params_summary(const json& params) {
  std::vector<std::string> parts;
  if (!params.is_object()) {
    return {};
  }
  for (const auto& [k, v] : params.items()) {
    parts.push_back(fmt::format("{}={}", k, v.is_string() ? v.get<std::string>() : v.dump()));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

// A phase's place in the run, so phases of two runs line up even when their
// names differ: the baseline, the k-th fault, the time after the revert.
std::string phase_key(const std::string& kind, int nth) {
  return kind == "baseline" || kind == "recovery" ? kind : fmt::format("{}#{}", kind, nth);
}
std::string phase_heading(const journal::Phase& p) {
  if (p.kind == "baseline") {
    return "Before the fault";
  }
  if (p.kind == "recovery") {
    return "After the revert";
  }
  if (p.kind == "fault") {
    return "During " + p.name;
  }
  return p.name;
}

json run_facts(const Journal& j, const std::string& file) {
  const auto& analysis = j.analysis;
  const auto& impact = analysis.impact;

  json f;
  f["file"] = file;
  f["title"] = j.experiment.title;
  f["run_id"] = j.run_id;
  f["expect"] = j.expect;
  const JournalOutcome verdict = journal_outcome(j);
  f["expectation_met"] = expectation_met(verdict.outcome);
  f["outcome"] = std::string(to_string(verdict.outcome));
  f["status"] = j.status;
  f["not_proven"] = j.not_proven;
  const auto [code, meaning] = exit_code_of(verdict.outcome);
  f["exit_code"] = code;
  f["exit_meaning"] = meaning;
  if (const auto failure = harness_failure(j)) {
    f["exit_meaning"] = fmt::format("a harness failure stopped the run{}; not a result of the experiment",
                                    failure->t ? fmt::format(" at t+{:.1f} s", *failure->t) : std::string());
    f["harness_failure"] = brief_harness_failure(*failure);
  } else {
    f["harness_failure"] = nullptr;
  }

  f["breached"] = verdict.breached;

  // Counts stay integers in the JSON output ("requests": 1201, not 1201.0).
  f["requests"] = or_null(impact.requests);
  f["failed"] = or_null(impact.failed);
  f["failed_share"] = or_null(impact.failed_share);
  f["users_seen"] = or_null(impact.users_seen);
  f["users_affected"] = or_null(impact.users_affected);
  f["users_affected_share"] = or_null(impact.users_affected_share);
  f["peak_p99_ms"] = or_null(impact.peak_p99_ms);
  json baseline_p99 = nullptr;
  for (const auto& p : j.phases) {
    if (p.kind == "baseline") {
      baseline_p99 = or_null(p.p99_ms);
    }
  }
  f["baseline_p99_ms"] = baseline_p99;
  f["error_kinds"] = error_kinds(impact);
  f["time_to_detect_s"] = or_null(analysis.time_to_detect_s);
  f["time_to_recover_s"] = or_null(analysis.time_to_recover_s);
  f["total_breach_s"] = or_null(analysis.total_breach_s);
  return f;
}

// Cells of the report, from the facts of one run.
std::string verdict_cell(const json& f) {
  return fmt::format("expect {}: {}", text_or_dash(f["expect"]),
                     f["expectation_met"].get<bool>() ? "met" : "not met");
}
std::string failed_cell(const json& f) {
  if (f["requests"].is_null()) {
    return kDash;
  }
  return fmt::format("{} ({} of {})", percent_text(fact(f, "failed_share"), PercentStyle::column),
                     journal_count(f["failed"]), journal_count(f["requests"]));
}
std::string users_cell(const json& f) {
  if (f["users_seen"].is_null() || f["users_affected"].is_null()) {
    return kDash;
  }
  const double seen = fact(f, "users_seen");
  const double hit = fact(f, "users_affected");
  return fmt::format("{} of {} ({})", journal_count(f["users_affected"]), journal_count(f["users_seen"]),
                     percent_text(seen > 0 ? hit / seen : 0.0, PercentStyle::column));
}
std::string p99_cell(const json& f) {
  if (f["peak_p99_ms"].is_null()) {
    return kDash;
  }
  return f["baseline_p99_ms"].is_null()
             ? milliseconds_text(fact(f, "peak_p99_ms"))
             : fmt::format("{} (baseline {})", milliseconds_text(fact(f, "peak_p99_ms")),
                           milliseconds_text(fact(f, "baseline_p99_ms")));
}
std::string kinds_cell(const json& f) {
  std::vector<std::string> parts;
  for (const auto& [kind, n] : f["error_kinds"].items()) {
    parts.push_back(fmt::format("{} × {}", journal_count(n), kind));
  }
  return parts.empty() ? std::string("none") : fmt::format("{}", fmt::join(parts, ", "));
}
// A missing time reads as why it is missing, not as a bare gap.
std::string ttd_cell(const json& f) {
  if (!f["time_to_detect_s"].is_null()) {
    return human_duration(fact(f, "time_to_detect_s"));
  }
  return f["breached"].get<bool>() ? std::string(kDash) : std::string("never breached");
}
std::string ttr_cell(const json& f) {
  if (!f["time_to_recover_s"].is_null()) {
    return human_duration(fact(f, "time_to_recover_s"));
  }
  return f["breached"].get<bool>() ? std::string("not recovered") : std::string("never breached");
}
std::string breach_time_cell(const json& f) {
  if (!f["breached"].get<bool>()) {
    return "never breached";
  }
  return f["total_breach_s"].is_null() ? std::string(kDash) : human_duration(fact(f, "total_breach_s"));
}

json row(const std::string& label, const std::string& before, const std::string& after) {
  return {{"label", label}, {"before", before}, {"after", after}, {"changed", before != after}};
}

json objective_side(const journal::Objective* o) {
  if (o == nullptr) {
    return {
        {"present", false}, {"result", nullptr}, {"worst", nullptr}, {"breach_s", nullptr}, {"cell", kDash}};
  }
  const bool breached = o->breached.value_or(false);
  double breach_s = o->breach_s.value_or(-1);
  if (breach_s < 0) {
    // Older journals have no breach_s; the breaches' spans add up to it.
    breach_s = 0;
    for (const auto& b : o->breaches) {
      breach_s += b.end_s - b.start_s;
    }
  }
  const std::string worst = o->worst_text.value_or("").empty() ? std::string(kDash) : *o->worst_text;
  return {
      {"present", true},
      {"result", breached ? "breached" : "held"},
      {"worst", or_null(o->worst)},
      {"worst_text", worst},
      {"breach_s", breach_s},
      {"cell", breached ? fmt::format("**breached**, worst {}, {} in breach", worst, human_duration(breach_s))
                        : fmt::format("held, worst {}", worst)}};
}

json objectives_view(const Journal& before, const Journal& after) {
  // Matched by name: the fix may reword an expression but keeps the name.
  std::vector<std::string> names;
  std::map<std::string, std::pair<const journal::Objective*, const journal::Objective*>> by_name;
  for (const auto& o : before.slo.objectives) {
    names.push_back(o.name);
    by_name[o.name].first = &o;
  }
  for (const auto& o : after.slo.objectives) {
    if (!by_name.count(o.name)) {
      names.push_back(o.name);
    }
    by_name[o.name].second = &o;
  }
  json out = json::array();
  for (const auto& name : names) {
    const auto [b, a] = by_name[name];
    const std::string eb = b ? b->expr : std::string();
    const std::string ea = a ? a->expr : std::string();
    const std::string expr = !b ? ea : !a || eb == ea ? eb : fmt::format("{}` → `{}", eb, ea);
    out.push_back(
        {{"name", name}, {"expr", expr}, {"before", objective_side(b)}, {"after", objective_side(a)}});
  }
  return out;
}

// Backend names in the order the load balancer lists them, then any other
// backend that took traffic in either run.
std::vector<std::string> backend_names(const Journal& before, const Journal& after) {
  std::vector<std::string> names;
  const auto add = [&names](const std::string& n) {
    if (std::find(names.begin(), names.end(), n) == names.end()) {
      names.push_back(n);
    }
  };
  for (const Journal* j : {&before, &after}) {
    for (const auto& s : j->stack.services) {
      if (s.name == j->load.target) {
        for (const auto& b : s.backends) {
          add(b);
        }
      }
    }
  }
  for (const Journal* j : {&before, &after}) {
    for (const auto& p : j->phases) {
      for (const auto& [name, n] : p.backends) {
        add(name);
      }
    }
  }
  return names;
}

json phases_view(const Journal& before, const Journal& after) {
  std::vector<std::string> keys;
  std::map<std::string, std::pair<const journal::Phase*, const journal::Phase*>> by_key;
  const auto index = [&](const Journal& j, bool is_before) {
    std::map<std::string, int> nth;
    for (const auto& p : j.phases) {
      const std::string key = phase_key(p.kind, ++nth[p.kind]);
      if (!by_key.count(key)) {
        keys.push_back(key);
      }
      (is_before ? by_key[key].first : by_key[key].second) = &p;
    }
  };
  index(before, true);
  index(after, false);

  const auto names = backend_names(before, after);
  const auto share = [](const journal::Phase* p, const std::string& backend) -> json {
    if (p == nullptr) {
      return nullptr;
    }
    uint64_t total = 0;
    uint64_t served = 0;
    for (const auto& [name, n] : p->backends) {
      total = saturating_add(total, n);
      served = name == backend ? n : served;
    }
    if (total == 0) {
      return nullptr;
    }
    return double(served) / double(total);
  };
  json out = json::array();
  for (const auto& key : keys) {
    const auto [b, a] = by_key[key];
    json rows = json::array();
    for (const auto& name : names) {
      const json sb = share(b, name);
      const json sa = share(a, name);
      rows.push_back(
          {{"backend", name},
           {"before_share", sb},
           {"after_share", sa},
           {"before", sb.is_null() ? kDash : percent_text(sb.get<double>(), PercentStyle::column)},
           {"after", sa.is_null() ? kDash : percent_text(sa.get<double>(), PercentStyle::column)}});
    }
    out.push_back({{"key", key}, {"name", phase_heading(b ? *b : *a)}, {"backends", rows}});
  }
  return out;
}

// The step's params as written; anything but a map counts as none.
const json& params_of(const journal::Activity& a) {
  static const json none = json::object();
  return a.params.is_object() ? a.params : none;
}

std::string fault_cell(const journal::Activity* a) {
  if (a == nullptr) {
    return kDash;
  }
  std::string s = fmt::format("`{}` on {}", a->name.empty() ? a->type : a->name, a->target);
  const json& params = params_of(*a);
  if (!params.empty()) {
    s += fmt::format(" ({})", params_summary(params));
  }
  if (!a->status.empty() && a->status != "reverted") {
    s += fmt::format(", {}", a->status);
  }
  return s;
}

// A fault's identity: the same fault has the same name, target and params.
std::string fault_identity(const journal::Activity& a) {
  return a.type + "|" + a.name + "|" + a.target + "|" + params_of(a).dump();
}

json faults_view(const Journal& before, const Journal& after, bool& same) {
  const auto& lb = before.activities;
  const auto& la = after.activities;
  same = lb.size() == la.size();
  json out = json::array();
  for (size_t i = 0; i < std::max(lb.size(), la.size()); ++i) {
    const journal::Activity* b = i < lb.size() ? &lb[i] : nullptr;
    const journal::Activity* a = i < la.size() ? &la[i] : nullptr;
    const bool match = b && a && fault_identity(*b) == fault_identity(*a);
    same = same && match;
    out.push_back({{"number", i + 1},
                   {"type", b ? b->type : a->type},
                   {"before", fault_cell(b)},
                   {"after", fault_cell(a)},
                   {"same", match}});
  }
  return out;
}

std::string change(const std::string& label, const std::string& before, const std::string& after) {
  return fmt::format("{} {} → {}", label, before, after);
}

std::string conclusion(const json& fb, const json& fa, const json& objectives, bool same_faults) {
  std::vector<std::string> figures;
  if (!fb["failed_share"].is_null() && !fa["failed_share"].is_null()) {
    figures.push_back(change("failed requests", percent_text(fact(fb, "failed_share"), PercentStyle::column),
                             percent_text(fact(fa, "failed_share"), PercentStyle::column)));
  }
  if (!fb["peak_p99_ms"].is_null() && !fa["peak_p99_ms"].is_null()) {
    figures.push_back(change("p99 peak", milliseconds_text(fact(fb, "peak_p99_ms")),
                             milliseconds_text(fact(fa, "peak_p99_ms"))));
  }
  std::vector<std::string> still;
  for (const auto& o : objectives) {
    const bool was = o["before"]["result"] == "breached";
    const bool is = o["after"]["result"] == "breached";
    if (is) {
      still.push_back(o["name"].get<std::string>());
    }
    // The objectives the fault broke tell the story: show how far they moved.
    if ((was || is) && o["before"]["present"].get<bool>() && o["after"]["present"].get<bool>()) {
      figures.push_back(change(o["name"].get<std::string>() + " worst",
                               o["before"]["worst_text"].get<std::string>(),
                               o["after"]["worst_text"].get<std::string>()));
    }
  }
  const std::string numbers = fmt::format("{}", fmt::join(figures, ", "));
  std::string s;
  const std::string after_status = fa["status"].get<std::string>();
  const std::string before_status = fb["status"].get<std::string>();
  if (after_status == "not_proven") {
    // Never a fix: the fault was not in force, or the load not delivered.
    s = fmt::format("The after run proves nothing ({}), so this comparison cannot show that the fix holds.",
                    fmt::join(fa["not_proven"], "; "));
  } else if (after_status != "completed") {
    s = fmt::format("The after run did not complete ({}), so it cannot show whether the fix holds{}{}.",
                    after_status.empty() ? "no status" : after_status, numbers.empty() ? "" : ": ", numbers);
  } else if (fa["breached"].get<bool>()) {
    s = fmt::format(
        "The after run still breached{}{}{}.",
        still.empty() ? std::string() : fmt::format(" ({})", fmt::format("{}", fmt::join(still, ", "))),
        numbers.empty() ? "" : ": ", numbers);
  } else if (before_status == "not_proven") {
    s = fmt::format(
        "The after run held{}{}, but the before run proves nothing ({}), so this comparison does not show "
        "the "
        "fault being fixed.",
        numbers.empty() ? "" : ": ", numbers, fmt::join(fb["not_proven"], "; "));
  } else if (!fb["breached"].get<bool>()) {
    s = fmt::format(
        "Neither run breached, so this comparison does not show the fault being fixed{}{}; every objective "
        "held in both.",
        numbers.empty() ? "" : ": ", numbers);
  } else {
    s = fmt::format("The fix holds{}{}; {}.", numbers.empty() ? "" : ": ", numbers,
                    objectives.empty() ? "no objective breached" : "every objective held");
  }
  if (before_status == "not_proven" && after_status != "completed") {
    s += fmt::format(" The before run proves nothing either ({}).", fmt::join(fb["not_proven"], "; "));
  }
  for (const auto& [which, f] : {std::pair<const char*, const json*>{"before", &fb}, {"after", &fa}}) {
    const std::string failure =
        (*f)["harness_failure"].is_string() ? (*f)["harness_failure"].get<std::string>() : "";
    if (!failure.empty()) {
      s += fmt::format(
          " In the {} run, {}: its figures after that are not the fault's effect, and this "
          "comparison is not a result of the experiment.",
          which, failure);
    }
  }
  if (!same_faults) {
    s += " Note: the two runs did not inject the same faults.";
  }
  return s;
}

// Services that died under the load (journal service_events): a fix that
// keeps the SLOs but not the servers alive is worth seeing.
std::string crashes_cell(const Journal& journal) {
  std::string out;
  for (const auto& e : journal.service_events) {
    out += fmt::format("{}{} at t+{:.1f} s", out.empty() ? "" : ", ", e.service, e.t);
  }
  return out.empty() ? "none" : out;
}

}  // namespace

json compare_view(const json& before_doc, const json& after_doc, const std::string& before_file,
                  const std::string& after_file) {
  const Journal before = journal::from_json(before_doc);
  const Journal after = journal::from_json(after_doc);
  json view;
  view["schema"] = "faultline.compare/1";
  const json fb = run_facts(before, before_file);
  const json fa = run_facts(after, after_file);
  view["before"] = fb;
  view["after"] = fa;

  const auto status_cell = [](const json& f) { return text_or_dash(f["status"]); };
  const auto exit_cell = [](const json& f) {
    return fmt::format("{} ({})", f["exit_code"].get<int>(), f["exit_meaning"].get<std::string>());
  };
  // The verdict in the words the terminal, the postmortem and JUnit use.
  const auto headline_cell = [](const json& f) {
    RunOutcome o{};
    return parse_outcome(f["outcome"].get<std::string>(), o) ? std::string(verdict_headline(o))
                                                             : std::string(kDash);
  };
  view["verdict"] = json::array({
      row("Verdict", headline_cell(fb), headline_cell(fa)),
      row("Expectation", verdict_cell(fb), verdict_cell(fa)),
      row("SLOs", fb["breached"].get<bool>() ? "breached" : "held",
          fa["breached"].get<bool>() ? "breached" : "held"),
      row("Run status", status_cell(fb), status_cell(fa)),
      row("Exit code", exit_cell(fb), exit_cell(fa)),
  });
  view["impact"] = json::array({
      row("Failed requests", failed_cell(fb), failed_cell(fa)),
      row("Users affected", users_cell(fb), users_cell(fa)),
      row("Peak p99", p99_cell(fb), p99_cell(fa)),
      row("Errors by kind", kinds_cell(fb), kinds_cell(fa)),
      row("Services crashed", crashes_cell(before), crashes_cell(after)),
  });
  view["timing"] = json::array({
      row("Time to detect", ttd_cell(fb), ttd_cell(fa)),
      row("Time to recover", ttr_cell(fb), ttr_cell(fa)),
      row("Total breach time", breach_time_cell(fb), breach_time_cell(fa)),
  });
  view["objectives"] = objectives_view(before, after);
  view["has_objectives"] = !view["objectives"].empty();
  view["phases"] = phases_view(before, after);
  view["has_phases"] = !view["phases"].empty();
  bool same_faults = true;
  view["faults"] = faults_view(before, after, same_faults);
  view["has_faults"] = !view["faults"].empty();
  view["same_faults"] = same_faults;
  view["conclusion"] = conclusion(fb, fa, view["objectives"], same_faults);
  return view;
}

std::string render_compare_md(const json& view, const std::string& template_path) {
  return render_mustache("compare.md.mustache", template_path, view, false);
}

}  // namespace faultline::reporters
