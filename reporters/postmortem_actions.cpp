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

std::string stack_line(const journal::Service& s) {
  std::string text = fmt::format("{} ({}, {}:{})", s.name, s.kind, s.address, at_least_zero(s.port));
  if (s.config) {
    // The file decides the rest; the report does not restate it.
    text += fmt::format(": runs the team's config `{}`", *s.config);
    if (!s.backends.empty()) {
      text += fmt::format(" in front of {}", joined(s.backends));
    }
    if (!s.config_changes.empty()) {
      text += fmt::format(" (faultline changed {} line{} of its copy; the journal lists them)",
                          s.config_changes.size(), s.config_changes.size() == 1 ? "" : "s");
    }
  } else if (!s.backends.empty()) {
    std::vector<std::string> names;
    for (const auto& [name, w] : s.weights) {
      names.push_back(fmt::format("{} weight {}", name, w));
    }
    text += fmt::format(": balance `{}`, {}; health check {}", s.balance, joined(names),
                        s.health_check ? "on" : "none");
    if (s.maxconn) {
      text += fmt::format("; maxconn {}; retries {}", at_least_zero(*s.maxconn),
                          at_least_zero(s.retries.value_or(0)));
    }
  }
  if (s.command) {
    text += fmt::format(": the team's program `{}`", *s.command);
  }
  if (const auto& cap = s.capacity) {
    text += fmt::format(": {} workers of {}, queue {}{}", cap->workers.value_or(0),
                        ms(cap->service_time_ms.value_or(0)), at_least_zero(cap->queue),
                        cap->crash_on_overflow ? ", exits on overflow" : "");
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
  auto or_team = [](const std::optional<std::string>& column) {
    return column.value_or("").empty() ? std::string(kTeam) : *column;
  };
  for (const auto& m : run.pm.corrective_actions) {
    if (!m.action.empty()) {
      add(m.action, or_team(m.type), or_team(m.priority), or_team(m.owner), "the experiment");
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
      for (const auto& m : a.suggested_measures) {
        // Older journals: plain text, no type.
        if (!m.action.empty()) {
          add(m.action, or_team(m.type), suggested_priority(run, m.type.value_or("")), kTeam,
              "suggested for this fault");
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
  const bool told_detection = !run.pm.detection.empty();
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
  const auto& exp = run.exp;
  lines.push_back(fmt::format("Experiment `{}` (“{}”), run `{}` by faultline {}.", exp.source_file, exp.title,
                              run.j.run_id, run.j.faultline_version));
  if (!exp.description.empty()) {
    std::string d = exp.description;
    while (!d.empty() && std::isspace(static_cast<unsigned char>(d.back()))) {
      d.pop_back();
    }
    lines.push_back("The experiment's description, in its own words: " + d);
  }
  for (const auto& tag : exp.tags) {
    if (tag.size() > kClassTag.size() && tag.rfind(kClassTag, 0) == 0) {
      lines.push_back(
          fmt::format("The experiment's tags name its incident class: `{}`.", tag.substr(kClassTag.size())));
    }
  }
  std::vector<std::string> stack;
  for (const auto& s : run.j.stack.services) {
    stack.push_back(stack_line(s));
  }
  if (!stack.empty()) {
    lines.push_back(fmt::format("The stack, as configured ({} runtime): {}.", run.j.stack.runtime,
                                fmt::join(stack, "; ")));
  }
  const auto& env = run.j.environment;
  std::vector<std::string> software;
  for (const std::string* version : {&env.haproxy, &env.nginx, &env.kernel}) {
    if (!version->empty()) {
      software.push_back(*version);
    }
  }
  if (!software.empty()) {
    lines.push_back(fmt::format("Software on {}: {}.", env.hostname, fmt::join(software, "; ")));
  }
  // A container runtime's servers: what each image's own binary said.
  std::vector<std::string> images;
  for (const auto& s : env.servers) {
    images.push_back(s.version.empty()
                         ? fmt::format("{}: image {} (version not asked: {})", s.service, s.image, s.why)
                         : fmt::format("{}: {} (image {})", s.service, s.version, s.image));
  }
  if (!images.empty()) {
    lines.push_back(fmt::format("Servers, from their images: {}.", fmt::join(images, "; ")));
  }
  const auto& load = run.load;
  lines.push_back(fmt::format(
      "Load, as configured: {:g} requests/s to {} (path `{}`) over {}, from up to {}, timeout {}, for {}; {} "
      "requests were sent.",
      load.rate, load.target, load.path, plural(at_least_zero(load.connections), "connection", "connections"),
      plural(at_least_zero(load.users), "simulated user", "simulated users"), human_duration(load.timeout_s),
      human_duration(load.duration_s), load.requests.value_or(0)));
  for (const auto& f : run.faults) {
    const journal::Activity& a = *f.activity;
    std::string text = fmt::format("{} `{}` on {} with {}: planned at {} for {}",
                                   fault_title(f, run.faults.size()), a.name, a.target, params_text(a.params),
                                   offset(a.planned_at_s), human_duration(a.planned_duration_s.value_or(0)));
    if (f.injected()) {
      text += fmt::format("; in force from {}", offset(f.injected_s()));
      if (a.inject_took_ms) {
        text += fmt::format(" (inject took {})", ms(*a.inject_took_ms));
      }
    }
    if (a.reverted_s) {
      text += fmt::format(", reverted at {}", offset(*a.reverted_s));
      if (a.revert_took_ms) {
        text += fmt::format(" (revert took {})", ms(*a.revert_took_ms));
      }
    }
    const std::string how = !a.mechanism.value_or("").empty() ? *a.mechanism : a.kernel_path.value_or("");
    if (!how.empty()) {
      text += fmt::format("; injected by {}", how);
    }
    lines.push_back(text + ".");
  }
  for (const auto& e : run.j.service_events) {
    lines.push_back(fmt::format("{} at {}: {}.", e.service, offset(e.t), e.text));
  }
  lines.push_back(
      fmt::format("The SLOs were judged every {}; recovery counts once three windows in a row hold "
                  "every objective.",
                  human_duration(run.window_s)));
  std::vector<std::string> logs;
  for (const auto& l : run.j.server_logs) {
    logs.push_back(fmt::format("`{}`", l));
  }
  lines.push_back(fmt::format(
      "Beside this report: `journal.json` (every figure here, re-render with `faultline "
      "report journal.json`){}.",
      logs.empty() ? std::string() : fmt::format(", and the servers' own logs: {}", joined(logs))));
  view["support"] = lines;
}

}  // namespace faultline::reporters::postmortem
