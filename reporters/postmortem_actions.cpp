// Action Items (the team's corrective actions merged with the measures the
// faults suggest for this stack), the [team] prompts a draft still needs,
// the Conclusion, and Supporting Information: how the drill was run, which
// is where everything about faultline's own mechanisms lives.

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>
#include <string_view>

#include "reporters/postmortem_parts.h"
#include "reporters/time_format.h"

namespace faultline::reporters::postmortem {

namespace {

constexpr const char* kTeam = "**[team]**";

// The tag prefix by which an experiment names the incident class it drills
// (or, on a fixed twin, guards against). Supporting Information repeats the
// name as the experiment's own label; it is evidence of nothing else.
constexpr std::string_view kClassTag = "incident-class:";

// The words of a measure that carry its meaning, to tell a repeat.
std::set<std::string> content_words(const std::string& text) {
  std::set<std::string> words;
  std::string word;
  for (const char c : text + " ") {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      if (word.size() >= 4) {
        words.insert(word);
      }
      word.clear();
    }
  }
  return words;
}

// The configuration directives a measure names: words with an underscore
// (max_conns, proxy_next_upstream) and hyphenated directives it quotes in
// backticks (`retry-on`); plain hyphenated words ("load-balancer") are prose.
std::set<std::string> directives(const std::string& text) {
  std::set<std::string> out;
  std::string word;
  for (const char c : text + " ") {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      if (word.find('_') != std::string::npos) {
        out.insert(word);
      }
      word.clear();
    }
  }
  for (size_t at = text.find('`'); at != std::string::npos;) {
    const size_t end = text.find('`', at + 1);
    if (end == std::string::npos) {
      break;
    }
    const std::string quoted = text.substr(at + 1, end - at - 1);
    // The first word of a quoted directive line names it; one without a
    // joint (`server`, `check`) is too common to tell two measures apart.
    const std::string head = quoted.substr(0, quoted.find(' '));
    if (head.find('-') != std::string::npos) {
      out.insert(head);
    }
    at = text.find('`', end + 1);
  }
  return out;
}

// Two measures say the same thing when they name the same directive (a
// team's "Cap each upstream server's concurrent requests (max_conns)"
// repeats our "`max_conns` on every `server` line"), or when most of the
// shorter one's words are in the other (a team's "Alert on per-backend
// traffic share" repeats our "Alert on each backend's share of traffic").
bool repeats(const std::string& a, const std::string& b) {
  for (const auto& d : directives(a)) {
    if (directives(b).count(d) != 0) {
      return true;
    }
  }
  const auto wa = content_words(a);
  const auto wb = content_words(b);
  if (wa.empty() || wb.empty()) {
    return a == b;
  }
  size_t common = 0;
  for (const auto& w : wa) {
    common += wb.count(w);
  }
  return double(common) >= 0.6 * double(std::min(wa.size(), wb.size()));
}

// A suggestion's priority, from its type, only when the run showed the
// harm it addresses (a breach after the fault): preventing a repeat first,
// then seeing and limiting it, then the process around it.
std::string suggested_priority(const Run& run, const std::string& type) {
  if (!run.breached || run.outcome == Outcome::passed || run.outcome == Outcome::not_proven || run.harness) {
    return kTeam;
  }
  if (type == "prevent") {
    return "P1 (suggested)";
  }
  if (type == "detect" || type == "mitigate") {
    return "P2 (suggested)";
  }
  if (type == "process") {
    return "P3 (suggested)";
  }
  return kTeam;
}

bool mentions(const std::vector<std::string>& notes, std::initializer_list<const char*> words) {
  for (const auto& n : notes) {
    for (const char* w : words) {
      if (n.find(w) != std::string::npos) {
        return true;
      }
    }
  }
  return false;
}

std::string params_text(const json& params) {
  if (!params.is_object() || params.empty()) {
    return "no parameters";
  }
  std::vector<std::string> parts;
  for (const auto& [k, v] : params.items()) {
    parts.push_back(fmt::format("{}: {}", k, v.is_string() ? v.get<std::string>() : v.dump()));
  }
  return fmt::format("`{{ {} }}`", fmt::join(parts, ", "));
}

std::string stack_line(const json& s) {
  std::string text =
      fmt::format("{} ({}, {}:{})", str(s, "name"), str(s, "kind"), str(s, "address"), count_at(s, "port"));
  const json& backends = sub(s, "backends", empty_array());
  if (!backends.empty()) {
    std::vector<std::string> names;
    for (const auto& [name, w] : sub(s, "weights", empty_object()).items()) {
      names.push_back(fmt::format("{} weight {}", name, w.dump()));
    }
    text += fmt::format(": balance `{}`, {}; health check {}", str(s, "balance"), joined(names),
                        s.value("health_check", false) ? "on" : "none");
    if (s.contains("maxconn")) {
      text += fmt::format("; maxconn {}; retries {}", count_at(s, "maxconn"), count_at(s, "retries"));
    }
  }
  const json& cap = sub(s, "capacity", empty_object());
  if (!cap.empty()) {
    text += fmt::format(": {} workers of {}, queue {}{}", num(cap, "workers"),
                        ms(num(cap, "service_time_ms")), count_at(cap, "queue"),
                        cap.value("crash_on_overflow", false) ? ", exits on overflow" : "");
  }
  return text;
}

}  // namespace

void add_actions(const Run& run, json& view) {
  json rows = json::array();
  std::vector<std::string> said;
  auto add = [&](const std::string& action, const std::string& type, const std::string& priority,
                 const std::string& owner, const std::string& source) {
    for (const auto& s : said) {
      if (repeats(s, action)) {
        return;
      }
    }
    said.push_back(action);
    rows.push_back(
        {{"action", action}, {"type", type}, {"priority", priority}, {"owner", owner}, {"source", source}});
  };
  // The team's own first, in the experiment's words.
  for (const auto& m : sub(run.pm, "corrective_actions", empty_array())) {
    if (m.is_string()) {
      add(m.get<std::string>(), kTeam, kTeam, kTeam, "the experiment");
    } else if (m.is_object() && !str(m, "action").empty()) {
      add(str(m, "action"), str(m, "type").empty() ? kTeam : str(m, "type"),
          str(m, "priority").empty() ? kTeam : str(m, "priority"),
          str(m, "owner").empty() ? kTeam : str(m, "owner"), "the experiment");
    }
  }
  if (!run.fault_ran || run.outcome == Outcome::not_proven || run.harness) {
    // No fault was measured in force: nothing here supports a suggestion.
  } else if (run.outcome == Outcome::passed) {
    add(fmt::format(
            "Keep this experiment in the pipeline with `expect: hold`, so that a change which removes the "
            "protection fails it"),
        "process", kTeam, kTeam, "faultline");
  } else {
    for (const auto& a : run.activities) {
      for (const auto& m : sub(a, "suggested_measures", empty_array())) {
        // Older journals: plain text, no type.
        if (m.is_string()) {
          add(m.get<std::string>(), kTeam, suggested_priority(run, ""), kTeam, "suggested for this fault");
        } else if (m.is_object() && !str(m, "action").empty()) {
          add(str(m, "action"), str(m, "type").empty() ? kTeam : str(m, "type"),
              suggested_priority(run, str(m, "type")), kTeam, "suggested for this fault");
        }
      }
    }
  }
  view["actions"] = rows;
  view["has_actions"] = !rows.empty();
  // What to do when this run gives nothing to act on.
  view["no_actions"] =
      run.outcome == Outcome::steady_state_failed
          ? "None from this run: nothing was injected. Make the steady state hold (fix the stack "
            "or the objective), then run the experiment again."
      : run.outcome == Outcome::not_proven
          ? "None from this run: it proves nothing. Fix what kept it from proving anything "
            "(the warning above), then run the experiment again."
      : run.harness ? "None from this run: the harness stopped it. Fix the harness problem, then "
                      "run the experiment again."
                    : "**[team]** None suggested for these faults: what would prevent, detect or "
                      "limit a repeat?";
}

void add_prompts(const Run& run, json& view) {
  const bool incident = view.value("is_incident", false);
  const auto notes = scripted_notes(run);
  const bool told_detection = !str(run.pm, "detection").empty();
  json prompts = json::object();
  prompts["detection"] = incident && !told_detection;
  prompts["paged"] = incident && !mentions(notes, {"paged", "page ", "on-call", "on call"});
  prompts["investigation"] = incident && !mentions(notes, {"investigat", "suspect", "assum", "rollback",
                                                           "roll back", "ddos", "database"});
  prompts["escalated"] = incident && !mentions(notes, {"escalat"});
  prompts["unseen"] = !incident && run.outcome != Outcome::passed;
  prompts["factors"] = incident && view["factors"].empty();
  prompts["lucky"] = incident;
  view["prompts"] = prompts;
}

void add_support(const Run& run, json& view) {
  std::vector<std::string> lines;
  const json& exp = run.exp;
  lines.push_back(fmt::format("Experiment `{}` (“{}”), run `{}` by faultline {}.", str(exp, "source_file"),
                              str(exp, "title"), str(run.j, "run_id"), str(run.j, "faultline_version")));
  if (!str(exp, "description").empty()) {
    std::string d = str(exp, "description");
    while (!d.empty() && std::isspace(static_cast<unsigned char>(d.back()))) {
      d.pop_back();
    }
    lines.push_back("The experiment's description, in its own words: " + d);
  }
  for (const auto& t : sub(exp, "tags", empty_array())) {
    const std::string tag = t.is_string() ? t.get<std::string>() : std::string();
    if (tag.size() > kClassTag.size() && tag.rfind(kClassTag, 0) == 0) {
      lines.push_back(
          fmt::format("The experiment's tags name its incident class: `{}`.", tag.substr(kClassTag.size())));
    }
  }
  std::vector<std::string> stack;
  for (const auto& s : sub(sub(run.j, "stack", empty_object()), "services", empty_array())) {
    stack.push_back(stack_line(s));
  }
  if (!stack.empty()) {
    lines.push_back(fmt::format("The stack, as configured ({} runtime): {}.",
                                str(sub(run.j, "stack", empty_object()), "runtime"), fmt::join(stack, "; ")));
  }
  const json& env = sub(run.j, "environment", empty_object());
  std::vector<std::string> software;
  for (const char* key : {"haproxy", "nginx", "kernel"}) {
    if (!str(env, key).empty()) {
      software.push_back(str(env, key));
    }
  }
  if (!software.empty()) {
    lines.push_back(fmt::format("Software on {}: {}.", str(env, "hostname"), fmt::join(software, "; ")));
  }
  const json& load = run.load;
  lines.push_back(fmt::format(
      "Load, as configured: {:g} requests/s to {} (path `{}`) over {}, from up to {}, timeout {}, for {}; {} "
      "requests were sent.",
      num(load, "rate"), str(load, "target"), str(load, "path"),
      plural(count_at(load, "connections"), "connection", "connections"),
      plural(count_at(load, "users"), "simulated user", "simulated users"),
      human_duration(num(load, "timeout_s")), human_duration(num(load, "duration_s")),
      count_at(load, "requests")));
  for (const auto& f : run.faults) {
    const json& a = *f.activity;
    std::string text =
        fmt::format("{} `{}` on {} with {}: planned at {} for {}", fault_title(f, run.faults.size()),
                    str(a, "name"), str(a, "target"), params_text(sub(a, "params", empty_object())),
                    offset(num(a, "planned_at_s")), human_duration(num(a, "planned_duration_s")));
    if (f.injected()) {
      text += fmt::format("; in force from {}", offset(f.injected_s()));
      if (has_num(a, "inject_took_ms")) {
        text += fmt::format(" (inject took {})", ms(num(a, "inject_took_ms")));
      }
    }
    if (has_num(a, "reverted_s")) {
      text += fmt::format(", reverted at {}", offset(num(a, "reverted_s")));
      if (has_num(a, "revert_took_ms")) {
        text += fmt::format(" (revert took {})", ms(num(a, "revert_took_ms")));
      }
    }
    const std::string how = !str(a, "mechanism").empty() ? str(a, "mechanism") : str(a, "kernel_path");
    if (!how.empty()) {
      text += fmt::format("; injected by {}", how);
    }
    lines.push_back(text + ".");
  }
  for (const auto& e : sub(run.j, "service_events", empty_array())) {
    lines.push_back(fmt::format("{} at {}: {}.", str(e, "service"), offset(num(e, "t")), str(e, "text")));
  }
  lines.push_back(
      fmt::format("The SLOs were judged every {}; recovery counts once three windows in a row hold "
                  "every objective.",
                  human_duration(run.window_s)));
  std::vector<std::string> logs;
  for (const auto& l : sub(run.j, "server_logs", empty_array())) {
    if (l.is_string()) {
      logs.push_back(fmt::format("`{}`", l.get<std::string>()));
    }
  }
  lines.push_back(fmt::format(
      "Beside this report: `journal.json` (every figure here, re-render with `faultline "
      "report journal.json`){}.",
      logs.empty() ? std::string() : fmt::format(", and the servers' own logs: {}", joined(logs))));
  view["support"] = lines;
}

}  // namespace faultline::reporters::postmortem
