// junit.xml: the run as a JUnit test suite, so that CI systems (Jenkins,
// GitLab, GitHub test-report actions) show a chaos experiment next to the
// unit tests, with the SLO figures where a developer looks first.
//
// One <testsuite> (named after the experiment) holds one <testcase> per SLO
// objective and one for the expectation ("expect: hold" / "expect: breach").
// The rule, chosen so that the suite is red exactly when `faultline run`
// exits non-zero:
//
//   expect: hold    An objective that breached is a <failure> whose message
//                   carries the worst value, the breach intervals (t+ s) and
//                   the total breach time. The expectation testcase fails
//                   too when any objective breached.
//   expect: breach  Breaching is the point of the experiment, so objective
//                   testcases always pass; their figures go to <system-out>.
//                   Only the expectation testcase fails, when the journal
//                   says the expectation was not met (nothing breached).
//   incomplete run  (status interrupted / failed / aborted /
//                   steady_state_failed) The expectation testcase carries an
//                   <error> with the journal's error text. Objectives that
//                   were evaluated are reported as above (what was measured
//                   stays true); objectives with no verdict are <skipped>.
//
// An objective's figures are in its <failure> body when it fails, else in
// its <system-out>.
// The run's length is the `time` of the expectation testcase (objective
// testcases take 0), so tools that sum testcase times show the run length.
//
// XML is written by hand: the format is small and a library dependency for it
// is not worth having. Text is escaped for XML 1.0, which cannot represent
// most control characters at all, even as character references; those are
// written as visible "\xNN" text instead, and invalid UTF-8 becomes U+FFFD.

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/common/verdict_rule.h"
#include "reporters/harness_failure.h"
#include "reporters/journal_outcome.h"
#include "reporters/reporter.h"
#include "reporters/time_format.h"
#include "reporters/xml_text.h"

namespace faultline::reporters {
namespace {

using journal::Journal;
using json = nlohmann::ordered_json;

std::string attr(const std::string& s) {
  return xml_escape(s, XmlContext::xml_attribute);
}

std::string text(const std::string& s) {
  return xml_escape(s, XmlContext::xml_text);
}

std::string seconds(double s) {
  return fmt::format("{:.3f}", s);
}

// CI tools keep a test's history by classname + name, so the class must be
// the same from one run of an experiment to the next: the experiment file's
// name, not the run id (which is only the fallback when there is no file).
// Dots would split it into packages, so only [A-Za-z0-9_-] are kept.
std::string experiment_id(const Journal& journal) {
  std::string id = std::filesystem::path(journal.experiment.source_file).stem().string();
  if (id.empty()) {
    id = journal.run_id;
  }
  for (char& c : id) {
    const bool keep =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!keep) {
      c = '_';
    }
  }
  return id.empty() ? std::string("run") : id;
}

// A testcase's outcome; `kind` is empty for a pass, else "failure", "error"
// or "skipped".
struct Testcase {
  std::string classname;
  std::string name;
  double time = 0;
  std::string kind;
  std::string type;
  std::string message;
  std::string details;
  std::string system_out;
};

// A figure as the journal worded it, else the bare number, else "n/a".
std::string value_text(const std::string& text, const std::optional<double>& value) {
  if (!text.empty()) {
    return text;
  }
  return value ? fmt::format("{}", *value) : std::string("n/a");
}

// "t+3.0 s to t+6.0 s (3.0 s, worst 80.0%)", one per line.
std::string breach_lines(const journal::Objective& objective) {
  std::string out;
  for (const auto& b : objective.breaches) {
    out += fmt::format("  t+{:.1f} s to t+{:.1f} s ({:.1f} s, worst {})\n", b.start_s, b.end_s,
                       b.end_s - b.start_s, value_text(b.worst_text, b.worst));
  }
  return out;
}

// "t+3.0 s to t+6.0 s, t+7.5 s to t+8.0 s", for a one-line failure message;
// a flapping objective can have many intervals, so the list is cut short
// (the failure's body has them all).
std::string interval_list(const journal::Objective& objective) {
  constexpr size_t kListed = 5;
  const auto& breaches = objective.breaches;
  std::vector<std::string> parts;
  for (size_t i = 0; i < breaches.size() && i < kListed; ++i) {
    parts.push_back(fmt::format("t+{:.1f} s to t+{:.1f} s", breaches[i].start_s, breaches[i].end_s));
  }
  std::string list = fmt::format("{}", fmt::join(parts, ", "));
  if (breaches.size() > kListed) {
    list += fmt::format(" and {} more", breaches.size() - kListed);
  }
  return list;
}

// Older journals have no per-objective breach_s; the intervals add up to it.
double breach_seconds(const journal::Objective& objective) {
  if (objective.breach_s) {
    return *objective.breach_s;
  }
  double total = 0;
  for (const auto& b : objective.breaches) {
    total += b.end_s - b.start_s;
  }
  return total;
}

Testcase objective_case(const journal::Objective& objective, const std::string& classname, bool expect_hold,
                        const std::string& status) {
  Testcase tc;
  tc.classname = classname;
  tc.name = objective.name + ": " + objective.expr;
  if (status == "not_proven") {
    // Green here would claim the objective held through a fault that was
    // not in force, or under a load that was not delivered.
    tc.kind = "skipped";
    tc.message = "not judged: the run proves nothing (see the expectation's error)";
    return tc;
  }
  if (!objective.breached) {
    tc.kind = "skipped";
    tc.message = fmt::format("run {} before this objective was evaluated", status);
    return tc;
  }
  const std::string& metric = objective.metric;
  const std::string worst = value_text(objective.worst_text.value_or(""), objective.worst);
  if (!*objective.breached) {
    tc.system_out = fmt::format("held; worst {}: {}\n", metric.empty() ? "value" : metric, worst);
    return tc;
  }
  const std::string summary = fmt::format("breached: worst {}: {}, {:.1f} s in breach in total: {}",
                                          metric.empty() ? "value" : metric, worst, breach_seconds(objective),
                                          interval_list(objective));
  const std::string figures = summary + "\n" + breach_lines(objective);
  if (!expect_hold) {
    tc.system_out = figures;
    return tc;
  }
  tc.kind = "failure";
  tc.type = "SloBreach";
  tc.message = summary;
  tc.details = figures;
  return tc;
}

// Why an incomplete run stopped: the journal's error text, or for the
// steady-state gate (which records the measurement rather than an error) a
// sentence built from it.
std::string run_error(const Journal& journal, const std::string& status) {
  if (const auto failure = harness_failure(journal)) {
    return fmt::format("{}. {}.", describe_harness_failure(*failure), harness_failure_consequence(*failure));
  }
  std::string error = journal.error.value_or("");
  if (const auto& gate = journal.steady_state_failure; error.empty() && gate) {
    error = fmt::format(
        "steady state did not hold before the fault: {} ({}) was {} from t+{:.1f} s to t+{:.1f} s",
        gate->objective, gate->expr, value_text(gate->value_text, gate->value), gate->window_start_s,
        gate->window_end_s);
  }
  return error.empty() ? fmt::format("the run ended with status '{}'", status) : error;
}

Testcase expectation_case(const Journal& journal, const std::string& classname, double run_s) {
  const std::string expect = journal.expect.empty() ? std::string("hold") : journal.expect;
  const std::string& status = journal.status;
  Testcase tc;
  tc.classname = classname;
  tc.name = "expect: " + expect;
  tc.time = run_s;

  std::vector<std::string> breached;
  for (const auto& o : journal.slo.objectives) {
    if (o.breached.value_or(false)) {
      breached.push_back(o.name);
    }
  }
  const auto& analysis = journal.analysis;
  // The verdict in the words the terminal, the postmortem and compare use.
  tc.system_out = fmt::format("verdict: {}\n", verdict_headline(journal_outcome(journal).outcome));
  tc.system_out +=
      fmt::format("status: {}\nobjectives breached: {}\n", status.empty() ? "unknown" : status,
                  breached.empty() ? std::string("none") : fmt::format("{}", fmt::join(breached, ", ")));
  if (!breached.empty()) {
    tc.system_out += fmt::format("total breach time: {:.1f} s\n", analysis.total_breach_s.value_or(0));
    // The incident window of the postmortem and the terminal summary.
    const auto& impact = analysis.impact;
    if (impact.start_s && impact.end_s) {
      tc.system_out += fmt::format(
          "incident: t+{:.1f} s to t+{:.1f} s ({:.1f} s), in breach {:.1f} s of it\n", *impact.start_s,
          *impact.end_s, *impact.end_s - *impact.start_s, impact.breach_s.value_or(0));
    }
    for (const auto& [key, value] : {std::pair{"time_to_detect_s", analysis.time_to_detect_s},
                                     std::pair{"time_to_recover_s", analysis.time_to_recover_s}}) {
      if (value) {
        tc.system_out += fmt::format("{}: {:.3f}\n", key, *value);
      }
    }
  }
  // Per request of the mix, per phase (only a mix of more than one request
  // has these): "phase baseline, request checkout: 120 requests, 0 errors, p99 12.3 ms".
  for (const auto& phase : journal.phases) {
    for (const auto& r : phase.requests_by_name) {
      tc.system_out += fmt::format("phase {}, request {}: {} requests, {} errors, p99 {}\n", phase.name,
                                   r.name, r.requests, r.errors,
                                   r.p99_ms ? fmt::format("{:.1f} ms", *r.p99_ms) : std::string("none"));
    }
  }

  if (status != "completed") {
    tc.kind = "error";
    // Not the system under test's failure: CI should tell it apart.
    tc.type = harness_failure(journal) ? std::string("HarnessFailure")
              : status == "not_proven" ? std::string("NotProven")
              : status.empty()         ? std::string("unknown")
                                       : status;
    tc.message = run_error(journal, tc.type);
    tc.details = tc.message + "\n";
    return tc;
  }
  // Figures of a load that fell short are not trustworthy, whatever the
  // verdict; CI shows system-out beside the result.
  if (const auto& delivery = journal.load.delivery) {
    for (const auto& p : delivery->problems) {
      tc.system_out += "warning: the figures are not trustworthy: " + p + "\n";
    }
  }
  if (journal.expectation_met) {
    return tc;
  }
  tc.kind = "failure";
  tc.type = "ExpectationNotMet";
  if (expect == "breach") {
    tc.message = breached.empty()
                     ? std::string(
                           "expected at least one objective to breach once the fault was in force; every "
                           "objective held")
                     : fmt::format(
                           "expected at least one objective to breach once the fault was in force; none "
                           "did (breached only before it: {})",
                           fmt::join(breached, ", "));
  } else {
    tc.message = fmt::format(
        "expected every objective to hold; breached: {}",
        breached.empty() ? std::string("none recorded") : fmt::format("{}", fmt::join(breached, ", ")));
  }
  tc.details = tc.message + "\n";
  return tc;
}

void write_testcase(std::string& out, const Testcase& tc) {
  out += fmt::format(R"(    <testcase classname="{}" name="{}" time="{}")", attr(tc.classname), attr(tc.name),
                     seconds(tc.time));
  if (tc.kind.empty() && tc.system_out.empty()) {
    out += "/>\n";
    return;
  }
  out += ">\n";
  if (tc.kind == "skipped") {
    out += fmt::format("      <skipped message=\"{}\"/>\n", attr(tc.message));
  } else if (!tc.kind.empty()) {
    out += fmt::format("      <{} message=\"{}\" type=\"{}\">{}</{}>\n", tc.kind, attr(tc.message),
                       attr(tc.type), text(tc.details), tc.kind);
  }
  if (!tc.system_out.empty()) {
    out += fmt::format("      <system-out>{}</system-out>\n", text(tc.system_out));
  }
  out += "    </testcase>\n";
}

// The JUnit schema's timestamp has no zone designator, so it is written in
// UTC (the journal's start.time, which is UTC, is the fallback).
std::string timestamp(const journal::Instant& start) {
  if (start.epoch_ms) {
    return format_in_zone(*start.epoch_ms, "UTC", "%Y-%m-%dT%H:%M:%S");
  }
  return start.time.substr(0, 19);
}

std::string render(const json& doc, const std::string& /*template_path*/) {
  const Journal journal = journal::from_json(doc);
  const std::string classname = "faultline." + experiment_id(journal) + ".slo";
  const bool expect_hold = journal.expect != "breach";
  const std::string& status = journal.status;
  const double run_s = std::max(0.0, journal.end.t - journal.start.t);

  std::vector<Testcase> cases;
  for (const auto& o : journal.slo.objectives) {
    cases.push_back(objective_case(o, classname, expect_hold, status));
  }
  cases.push_back(expectation_case(journal, classname, run_s));

  int failures = 0;
  int errors = 0;
  int skipped = 0;
  for (const auto& tc : cases) {
    failures += tc.kind == "failure";
    errors += tc.kind == "error";
    skipped += tc.kind == "skipped";
  }

  std::string title = journal.experiment.title;
  if (title.empty()) {
    title = "faultline run " + journal.run_id;
  }
  const std::string counts = fmt::format(R"(tests="{}" failures="{}" errors="{}" skipped="{}" time="{}")",
                                         cases.size(), failures, errors, skipped, seconds(run_s));

  // The schema has no empty timestamp; a journal without a start has none.
  const std::string started = timestamp(journal.start);
  const std::string stamp = started.empty() ? std::string() : fmt::format(" timestamp=\"{}\"", attr(started));

  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"faultline\" {}>\n", counts);
  out += fmt::format(R"(  <testsuite name="{}" {}{} hostname="{}">)", attr(title), counts, stamp,
                     attr(journal.environment.hostname));
  out += "\n    <properties>\n";
  for (const auto& [key, value] :
       {std::pair{"run_id", &journal.run_id}, std::pair{"status", &journal.status},
        std::pair{"expect", &journal.expect}, std::pair{"faultline_version", &journal.faultline_version}}) {
    out += fmt::format("      <property name=\"{}\" value=\"{}\"/>\n", key, attr(*value));
  }
  out += fmt::format("      <property name=\"expectation_met\" value=\"{}\"/>\n",
                     journal.expectation_met ? "true" : "false");
  out += fmt::format("      <property name=\"source_file\" value=\"{}\"/>\n",
                     attr(journal.experiment.source_file));
  out += "    </properties>\n";
  for (const auto& tc : cases) {
    write_testcase(out, tc);
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

const ReporterRegistration registration{
    Reporter{"junit", "junit.xml", "JUnit XML for CI test reports (one testcase per SLO objective)", render}};

}  // namespace
}  // namespace faultline::reporters
