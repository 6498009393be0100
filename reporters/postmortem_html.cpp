// postmortem.html: the same postmortem as postmortem.md, as one
// self-contained page (inline CSS and SVG, nothing fetched) with charts of
// the run, for people who read reports in a browser or attach them to a
// ticket.

#include <fmt/format.h>

#include <algorithm>

#include "reporters/mustache_render.h"
#include "reporters/postmortem_view.h"
#include "reporters/reporter.h"
#include "reporters/svg_charts.h"
#include "reporters/time_format.h"
#include "reporters/xml_text.h"

namespace faultline::reporters {
namespace {

using json = nlohmann::ordered_json;

// The shared view is written for Markdown: **bold** and `code`. The page
// shows them as such instead of as asterisks, after escaping everything
// else, so that no text from the journal can become markup.
std::string inline_markdown_html(const std::string& text) {
  const std::string escaped = xml_escape(text);
  std::string out;
  bool bold = false;
  bool code = false;
  for (size_t i = 0; i < escaped.size(); ++i) {
    if (!code && escaped.compare(i, 2, "**") == 0) {
      out += bold ? "</strong>" : "<strong>";
      bold = !bold;
      ++i;
    } else if (escaped[i] == '`') {
      out += code ? "</code>" : "<code>";
      code = !code;
    } else {
      out += escaped[i];
    }
  }
  // An unpaired marker must not leave an element open for the rest of the page.
  if (code) {
    out += "</code>";
  }
  if (bold) {
    out += "</strong>";
  }
  // The view marks questions for the team as **[team]**; the page shows a tag.
  const std::string team = "<strong>[team]</strong>";
  for (size_t at = out.find(team); at != std::string::npos; at = out.find(team, at)) {
    out.replace(at, team.size(), "<span class=\"tag\">team</span>");
  }
  return out;
}

// Next to every text of the view (and every list of texts), its HTML form
// as NAME_html, so that the template can show the view's emphasis while a
// user's template still finds the plain fields it knows from Markdown.
// Generic on purpose: the view gains fields over time.
void add_html_forms(json& node) {
  if (!node.is_object()) {
    return;
  }
  json extra = json::object();
  for (auto& [key, value] : node.items()) {
    if (value.is_string()) {
      extra[key + "_html"] = inline_markdown_html(value.get<std::string>());
    } else if (value.is_array() && !value.empty() &&
               std::all_of(value.begin(), value.end(), [](const json& v) { return v.is_string(); })) {
      json forms = json::array();
      for (const auto& v : value) {
        forms.push_back(inline_markdown_html(v.get<std::string>()));
      }
      extra[key + "_html"] = forms;
    } else if (value.is_array()) {
      for (auto& item : value) {
        add_html_forms(item);
      }
    } else if (value.is_object()) {
      add_html_forms(value);
    }
  }
  for (auto& [key, value] : extra.items()) {
    node[key] = value;
  }
}

json key_figures(const journal::Journal& journal, bool passed) {
  const auto& analysis = journal.analysis;
  const auto& impact = analysis.impact;
  json figures = json::array();
  auto add = [&](const std::string& label, const std::string& value) {
    figures.push_back({{"label", label}, {"value", value}});
  };
  if (analysis.first_breach_s) {
    add("Time to detect", analysis.time_to_detect_s ? human_duration(*analysis.time_to_detect_s) : "–");
    const bool observable = !analysis.recovery || analysis.recovery->observable.value_or(true);
    add("Time to recover", analysis.time_to_recover_s ? human_duration(*analysis.time_to_recover_s)
                           : observable               ? "not recovered"
                                                      : "not observed");
  } else {
    // Nothing breached after the fault: nothing to detect or recover from,
    // which a passed regression test expected.
    add("SLO breaches", passed ? "none (none expected)" : "none after the fault");
  }
  // The incident window's figures, the Markdown's denominators.
  const double duration = impact.end_s.value_or(0) - impact.start_s.value_or(0);
  add("SLOs breached for",
      impact.breach_s ? fmt::format("{} of {}", human_duration(*impact.breach_s), human_duration(duration))
      : analysis.total_breach_s ? human_duration(*analysis.total_breach_s)
                                : "–");
  add("Requests failed", fmt::format("{} of {}", impact.failed.value_or(0), impact.requests.value_or(0)));
  add("Peak p99 latency", impact.peak_p99_ms ? fmt::format("{:.1f} ms", *impact.peak_p99_ms) : "–");
  return figures;
}

json html_view(const json& doc) {
  const journal::Journal journal = journal::from_json(doc);
  json view = postmortem_view(doc);
  add_html_forms(view);
  view["figures"] = key_figures(journal, view.value("is_passed", false));
  const bool met = view.value("expectation_met", false);
  view["status_class"] = met ? "met" : "unmet";
  view["expect"] = journal.expect.empty() ? json(nullptr) : json(journal.expect);

  json charts = json::array();
  auto chart = [&](WindowMetric metric, const std::string& caption) {
    charts.push_back({{"svg", window_metric_svg(journal, metric)}, {"caption", caption}});
  };
  chart(WindowMetric::throughput,
        "Responses received per second (throughput, counted when each response arrived; timeouts and failed "
        "connections are no responses), the non-5xx ones among them (goodput), and the requests the load "
        "offered per second, per SLO window.");
  chart(WindowMetric::error_rate,
        "Share of requests that failed (HTTP 5xx or a transport error), per window.");
  chart(WindowMetric::p99_latency, "99th-percentile response time, per window.");
  if (has_backend_traffic(journal)) {
    // The figure says its basis when a load balancer counted the shares.
    const std::string caption = "Share of the busiest backend in each window's requests.";
    const std::string basis = view.value("shares_basis", std::string());
    chart(WindowMetric::max_backend_share, basis.empty() ? caption : caption + " " + basis);
    view["traffic_chart"] = phase_traffic_svg(journal);
  }
  view["charts"] = charts;
  view["charts_note"] =
      "Shaded bands: faults, from injection to revert. Dashed lines: SLO thresholds on the metric shown.";
  return view;
}

std::string render(const json& journal, const std::string& template_path) {
  return render_mustache("postmortem.html.mustache", template_path, html_view(journal), true);
}

const ReporterRegistration registration{
    Reporter{"html", "postmortem.html", "incident postmortem as one self-contained HTML page with charts",
             render, true}};

}  // namespace
}  // namespace faultline::reporters
