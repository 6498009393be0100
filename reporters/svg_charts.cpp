#include "reporters/svg_charts.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <set>

#include "reporters/number_cast.h"
#include "reporters/number_text.h"
#include "reporters/svg_plot.h"
#include "reporters/xml_text.h"

namespace faultline::reporters {

namespace {

// How the journal's windows name requests no backend answered (the load
// balancer's own errors, timeouts): not a backend, never charted as one.
constexpr const char* kUnknownBackend = "(unknown)";

using journal::Journal;
using journal::Window;
using namespace svg;

// The charts draw only finite numbers: a journal built in code can hold
// NaN or infinity where a parsed one cannot, and those count as absent.
std::optional<double> finite(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? v : std::nullopt;
}
double finite_or(double v, double fallback = 0) {
  return std::isfinite(v) ? v : fallback;
}

ChartText text_of(WindowMetric metric) {
  switch (metric) {
    case WindowMetric::throughput:
      return {"Throughput", "responses/s", 10};
    case WindowMetric::error_rate:
      return {"Error rate", "%", 1};
    case WindowMetric::p99_latency:
      return {"p99 latency", "ms", 1};
    case WindowMetric::max_backend_share:
      return {"Max backend share", "%", 100};
  }
  return {"", "", 1};
}

// A count of the window per second of its length; nullopt without the
// count or a length.
std::optional<double> per_second(const Window& w, const std::optional<uint64_t>& count) {
  const double span = finite_or(w.end_s) - finite_or(w.start_s);
  return count && span > 0 ? std::optional<double>(double(*count) / span) : std::nullopt;
}

// A rate of the window as the journal states it, else from its count.
std::optional<double> rate_of(const Window& w, const std::optional<double>& rate,
                              const std::optional<uint64_t>& count) {
  return finite(rate) ? finite(rate) : per_second(w, count);
}

// A window's value for a metric; nullopt where it has none (no requests:
// no error rate, no latency), which the line shows as a gap rather than as
// a misleading zero. The throughput chart's lines are read apart, by
// rate_series.
std::optional<double> window_value(const Window& w, WindowMetric metric) {
  const double requests = double(w.requests);
  switch (metric) {
    case WindowMetric::throughput:
      return rate_of(w, w.throughput, w.responses);
    case WindowMetric::error_rate:
      if (requests <= 0) {
        return std::nullopt;
      }
      return finite(w.error_rate) ? *w.error_rate * 100 : double(w.errors) / requests * 100;
    case WindowMetric::p99_latency:
      return requests > 0 ? finite(w.p99_ms) : std::nullopt;
    case WindowMetric::max_backend_share: {
      // As the SLO check measures it: the busiest backend's share of the
      // requests whose backend is known.
      double total = 0;  // not uint64_t: huge counts must not wrap to 0
      double busiest = 0;
      for (const auto& [name, n] : w.backends) {
        if (name == kUnknownBackend) {
          continue;  // the load balancer's own answers: no backend to blame
        }
        total += double(n);
        busiest = std::max(busiest, double(n));
      }
      return total > 0 ? std::optional<double>(100.0 * busiest / total) : std::nullopt;
    }
  }
  return std::nullopt;
}

// The throughput chart: responses received per second (throughput), the
// successful ones (goodput) and the requests the load meant to send
// (offered rate), as the journal's windows state them. A journal written
// before windows counted responses has no `responses`, and its
// `throughput` was the offered rate: it is drawn as such, alone.
Lines rate_lines(const std::vector<Window>& windows) {
  bool counts_responses = false;
  for (const auto& w : windows) {
    counts_responses = counts_responses || w.responses.has_value();
  }
  Series offered{"offered rate: requests the load meant to send per second, by intended send time",
                 kOfferedLine,
                 {},
                 false,
                 "1.5",
                 "2 3"};
  Series responses{
      "throughput: HTTP responses received per second, by arrival time (timeouts and failed "
      "connections are no responses)",
      kLine,
      {},
      true,
      "2.5"};
  // Dashed, so that where nothing failed the throughput line shows through.
  Series good{"goodput: responses other than 5xx received per second, by arrival time",
              kGoodLine,
              {},
              false,
              "2",
              "5 4"};
  for (const auto& w : windows) {
    const double from = finite_or(w.start_s);
    const double to = finite_or(w.end_s);
    if (!counts_responses) {
      offered.steps.push_back({from, to, rate_of(w, w.throughput, w.requests)});
      continue;
    }
    offered.steps.push_back({from, to, rate_of(w, w.offered_rate, w.requests)});
    responses.steps.push_back({from, to, rate_of(w, w.throughput, w.responses)});
    good.steps.push_back({from, to, rate_of(w, w.goodput, w.good_responses)});
  }
  Lines lines;
  if (!counts_responses) {
    offered.fill = true;
    offered.width = "2";
    offered.dash = nullptr;
    lines.series.push_back(std::move(offered));
    lines.legend = {{"offered requests/s", kOfferedLine}};
    lines.note = windows.empty() ? std::string()
                                 : "This journal predates response counts: only the offered rate is drawn.";
    return lines;
  }
  lines.series = {std::move(offered), std::move(responses), std::move(good)};
  lines.legend = {
      {"responses/s", kLine}, {"successful responses/s", kGoodLine}, {"offered requests/s", kOfferedLine}};
  return lines;
}

// A backend's count in a phase, 0 when it answered none.
uint64_t count_of(const journal::Counts& backends, const std::string& name) {
  for (const auto& [n, count] : backends) {
    if (n == name) {
      return count;
    }
  }
  return 0;
}

}  // namespace

std::string backend_colour(size_t index) {
  // Distinct under the common colour-vision deficiencies, dark enough for
  // white labels, and none of them the orange of a fault or the red of a
  // threshold.
  static constexpr std::array<const char*, 8> palette{"#2f6db5", "#2a9d8f", "#7b5ea7", "#c0527a",
                                                      "#5a8f29", "#b07d18", "#3d8fc4", "#6b6f76"};
  return palette[index % palette.size()];
}

std::vector<std::string> backend_order(const Journal& journal) {
  std::vector<std::string> order;
  std::set<std::string> seen;
  auto add = [&](const std::string& name) {
    if (!name.empty() && name != kUnknownBackend && seen.insert(name).second) {
      order.push_back(name);
    }
  };
  for (const auto& s : journal.stack.services) {
    if (s.name == journal.load.target) {
      for (const auto& b : s.backends) {
        add(b);
      }
    }
  }
  std::set<std::string> others;
  auto note_others = [&](const journal::Counts& backends) {
    for (const auto& [name, n] : backends) {
      if (!seen.count(name)) {
        others.insert(name);
      }
    }
  };
  for (const auto& p : journal.phases) {
    note_others(p.backends);
  }
  for (const auto& w : journal.windows) {
    note_others(w.backends);
  }
  for (const auto& name : others) {
    add(name);
  }
  return order;
}

bool has_backend_traffic(const Journal& journal) {
  auto any = [](const journal::Counts& backends) {
    return std::any_of(backends.begin(), backends.end(), [](const auto& b) { return b.second > 0; });
  };
  return std::any_of(journal.phases.begin(), journal.phases.end(),
                     [&](const auto& p) { return any(p.backends); }) ||
         std::any_of(journal.windows.begin(), journal.windows.end(),
                     [&](const auto& w) { return any(w.backends); });
}

std::optional<double> objective_threshold(const journal::Objective& objective, WindowMetric metric) {
  if (!finite(objective.threshold)) {
    return std::nullopt;
  }
  // The journal's metric labels (harness/verify/metric_table.cpp) and its
  // threshold units: ratios as fractions, latency in ms, rates per second.
  const std::string& label = objective.metric;
  const double t = *objective.threshold;
  switch (metric) {
    case WindowMetric::throughput:
      // The chart draws all three rates, on one axis.
      return label == "throughput" || label == "goodput" || label == "offered rate" ? std::optional<double>(t)
                                                                                    : std::nullopt;
    case WindowMetric::error_rate:
      return label == "error rate" ? std::optional<double>(t * 100) : std::nullopt;
    case WindowMetric::p99_latency:
      return label == "p99 latency" ? std::optional<double>(t) : std::nullopt;
    case WindowMetric::max_backend_share:
      return label == "max backend share" ? std::optional<double>(t * 100) : std::nullopt;
  }
  return std::nullopt;
}

std::string window_metric_svg(const Journal& journal, WindowMetric metric) {
  const ChartText text = text_of(metric);
  const auto& windows = journal.windows;

  double x_end = finite_or(journal.end.t);
  for (const auto& w : windows) {
    x_end = std::max(x_end, finite_or(w.end_s));
  }
  for (const auto& a : journal.activities) {
    x_end = std::max({x_end, finite(a.injected_s).value_or(0), finite(a.reverted_s).value_or(0)});
  }
  if (!(x_end > 0)) {
    x_end = 1;
  }

  Lines lines;
  if (metric == WindowMetric::throughput) {
    lines = rate_lines(windows);
  } else {
    Series series{text.title, kLine, {}};
    for (const auto& w : windows) {
      series.steps.push_back({finite_or(w.start_s), finite_or(w.end_s), window_value(w, metric)});
    }
    lines.series.push_back(std::move(series));
  }

  std::vector<Threshold> thresholds;
  for (const auto& o : journal.slo.objectives) {
    if (const auto t = objective_threshold(o, metric)) {
      thresholds.push_back(
          {*t, o.name.empty() ? "SLO " + o.expr : fmt::format("SLO {}: {}", o.name, o.expr)});
    }
  }

  std::vector<Band> bands;
  int n = 0;
  for (const auto& a : journal.activities) {
    ++n;
    if (!finite(a.injected_s)) {
      continue;
    }
    const bool reverted = finite(a.reverted_s).has_value();
    bands.push_back({*a.injected_s, reverted ? *a.reverted_s : x_end,
                     fmt::format("Fault {}: {}{}", n, a.name, reverted ? "" : " (not reverted)"),
                     fmt::format("Fault {}", n)});
  }
  return render_time_chart(text, x_end, lines, thresholds, bands, !windows.empty());
}

std::string phase_traffic_svg(const Journal& journal) {
  constexpr double kLabelRight = 232;  // right edge of the phase names
  constexpr double kBarLeft = 244;
  constexpr double kBarWidth = kWidth - kBarLeft - 110;
  constexpr double kFirstRow = 52;
  constexpr double kRowPitch = 40;
  constexpr double kBarHeight = 24;

  const auto order = backend_order(journal);
  const auto& phases = journal.phases;
  const double height = kFirstRow + double(std::max<size_t>(phases.size(), 1)) * kRowPitch + 34;
  std::string out = svg_open(height, "Share of requests per backend in each phase");
  out += fmt::format(
      "<text x=\"{}\" y=\"22\" font-size=\"14\" font-weight=\"600\" fill=\"{}\">Share of requests per "
      "backend, "
      "by phase (%)</text>\n",
      c(16), kInk);
  std::vector<std::pair<std::string, std::string>> entries;
  for (size_t i = 0; i < order.size(); ++i) {
    entries.emplace_back(order[i], backend_colour(i));
  }
  for (const auto& p : phases) {
    uint64_t answered = 0;
    for (const auto& [name, count] : p.backends) {
      answered = saturating_add(answered, count);
    }
    if (answered > 0 && double(p.requests) > double(answered)) {
      entries.emplace_back("no backend answered", "#ecb4b4");
      break;
    }
  }
  out += legend(entries, kBarLeft + kBarWidth, 12);

  if (phases.empty() || order.empty()) {
    out += fmt::format(
        "<text x=\"{}\" y=\"{}\" font-size=\"13\" fill=\"{}\" text-anchor=\"middle\">{}</text>\n</svg>",
        c(kWidth / 2), c(kFirstRow + 20), kMuted,
        phases.empty() ? "No phases were recorded." : "No backend reported which requests it served.");
    return out;
  }

  double y = kFirstRow;
  for (const auto& p : phases) {
    uint64_t answered = 0;
    for (const auto& [name, count] : p.backends) {
      answered = saturating_add(answered, count);
    }
    // Shares of every request of the phase: what no backend answered (the
    // load balancer's own errors, timeouts) is drawn last, in red, so a
    // backend sent traffic it never answered does not look idle.
    const uint64_t total = answered > 0 ? std::max<uint64_t>(answered, p.requests) : 0;
    std::string name = p.name;
    if (!name.empty()) {
      name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
    }
    // Long names are cut to fit the label column; the full name stays in
    // the tooltip.
    std::string shown = name;
    if (name.size() > 30) {
      size_t cut = 29;
      while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) {
        --cut;  // never split a UTF-8 character
      }
      shown = name.substr(0, cut) + "…";
    }
    out += fmt::format(
        "<text x=\"{}\" y=\"{}\" font-size=\"12\" font-weight=\"600\" fill=\"{}\" text-anchor=\"end\">"
        "<title>{}</title>{}</text>\n",
        c(kLabelRight), c(y + 10), kInk, xml_escape(name), xml_escape(shown));
    out += fmt::format(
        "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{}\" text-anchor=\"end\">t+{:.1f} s to t+{:.1f} "
        "s</text>\n",
        c(kLabelRight), c(y + 24), kMuted, finite_or(p.start_s), finite_or(p.end_s));
    out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#f1f3f5\"/>\n", c(kBarLeft),
                       c(y), c(kBarWidth), c(kBarHeight));
    double x = kBarLeft;
    for (size_t i = 0; i < order.size() && total > 0; ++i) {
      const uint64_t served = count_of(p.backends, order[i]);
      if (served == 0) {
        continue;
      }
      const double share = double(served) / double(total);
      const double w = share * kBarWidth;
      out += fmt::format(
          "<rect class=\"share\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" stroke=\"#ffffff\" "
          "stroke-width=\"1\"><title>{}: {} ({} requests)</title></rect>\n",
          c(x), c(y), c(w), c(kBarHeight), backend_colour(i), xml_escape(order[i]),
          percent_text(share, PercentStyle::label), served);
      // A label only where it fits inside its segment.
      if (w >= 38) {
        out += fmt::format(
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" font-weight=\"600\" fill=\"#ffffff\" "
            "text-anchor=\"middle\">{}</text>\n",
            c(x + w / 2), c(y + 16), percent_text(share, PercentStyle::label));
      }
      x += w;
    }
    if (total > answered) {
      const double share = double(total - answered) / double(total);
      const double w = share * kBarWidth;
      out += fmt::format(
          "<rect class=\"share unanswered\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#c92a2a\" "
          "fill-opacity=\"0.35\" stroke=\"#ffffff\" stroke-width=\"1\"><title>no backend answered: {} ({} "
          "requests)</title></rect>\n",
          c(x), c(y), c(w), c(kBarHeight), percent_text(share, PercentStyle::label), total - answered);
      if (w >= 38) {
        out += fmt::format(
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" font-weight=\"600\" fill=\"#862e2e\" "
            "text-anchor=\"middle\">{}</text>\n",
            c(x + w / 2), c(y + 16), percent_text(share, PercentStyle::label));
      }
    }
    out += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{}\">{}</text>\n",
                       c(kBarLeft + kBarWidth + 8), c(y + 16), kMuted,
                       total > 0 ? fmt::format("{} requests", total) : std::string("no backend data"));
    y += kRowPitch;
  }
  const double axis_y = y - kRowPitch + kBarHeight + 6;
  for (int pct = 0; pct <= 100; pct += 25) {
    const double x = kBarLeft + kBarWidth * pct / 100.0;
    out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\"/>\n", c(x), c(axis_y),
                       c(x), c(axis_y + 4), kMuted);
    out += fmt::format(
        "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{}\" text-anchor=\"middle\">{}%</text>\n", c(x),
        c(axis_y + 16), kMuted, pct);
  }
  out += "</svg>";
  return out;
}

}  // namespace faultline::reporters
