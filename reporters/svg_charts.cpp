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
#include "reporters/xml_text.h"

namespace faultline::reporters {

namespace {

// How the journal's windows name requests no backend answered (the load
// balancer's own errors, timeouts): not a backend, never charted as one.
constexpr const char* kUnknownBackend = "(unknown)";

using json = nlohmann::ordered_json;

// One geometry for every time chart, so they line up when stacked: the
// same second falls at the same x in each.
constexpr double kWidth = 880;
constexpr double kLeft = 64;
constexpr double kRight = 24;
constexpr double kTop = 44;
constexpr double kPlotHeight = 130;
constexpr double kHeight = kTop + kPlotHeight + 48;
constexpr double kPlotWidth = kWidth - kLeft - kRight;
// nice_axis() makes about 4 to 10 ticks; the cap only bounds the loops
// should the axis arithmetic ever degenerate on a hostile journal.
constexpr int64_t kMaxTicks = 50;

constexpr const char* kFont =
    "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif\"";
constexpr const char* kInk = "#1f2933";
constexpr const char* kMuted = "#616e7c";
constexpr const char* kGrid = "#e4e7eb";
constexpr const char* kLine = "#1d4e89";
// The throughput chart's other lines: goodput on top of throughput, the
// offered rate under both, dotted.
constexpr const char* kGoodLine = "#2f9e44";
constexpr const char* kOfferedLine = "#868e96";
constexpr const char* kThreshold = "#b42318";
constexpr const char* kFault = "#f08c00";
constexpr const char* kFaultText = "#8a4b00";

// The journal is read defensively (hand-edited or older journals): a field
// that is missing or not a finite number is treated as absent.
bool has_num(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number() && std::isfinite(j[key].get<double>());
}
double num(const json& j, const char* key, double fallback = 0) {
  return has_num(j, key) ? j[key].get<double>() : fallback;
}
std::string str(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}
const json& array_at(const json& j, const char* key) {
  static const json empty = json::array();
  return j.is_object() && j.contains(key) && j[key].is_array() ? j[key] : empty;
}
const json& object_at(const json& j, const char* key) {
  static const json empty = json::object();
  return j.is_object() && j.contains(key) && j[key].is_object() ? j[key] : empty;
}
// Coordinates with one decimal: enough for a screen, and never "nan".
std::string c(double v) {
  return fmt::format("{:.1f}", std::isfinite(v) ? v : 0.0);
}

// Round tick steps (1, 2, 2.5, 5 × 10^k) so that axes read like a person
// drew them.
double nice_step(double raw) {
  if (!(raw > 0) || !std::isfinite(raw)) {
    return 1;
  }
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / magnitude;
  const double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  // A subnormal `raw` has a magnitude that underflows to 0; a zero step
  // would make the tick count infinite.
  return nice * magnitude > 0 ? nice * magnitude : 1;
}

struct Axis {
  double top = 1;
  double step = 1;
};

Axis nice_axis(double max, int ticks, double empty_top) {
  if (!(max > 0) || !std::isfinite(max)) {
    max = empty_top;
  }
  Axis a;
  a.step = nice_step(max / ticks);
  a.top = std::ceil(max / a.step - 1e-9) * a.step;
  return a;
}

std::string tick_text(double v, double step) {
  int decimals = 0;
  while (decimals < 6 &&
         std::abs(step * std::pow(10.0, decimals) - std::round(step * std::pow(10.0, decimals))) > 1e-6) {
    ++decimals;
  }
  return fmt::format("{:.{}f}", v, decimals);
}

struct ChartText {
  const char* title;
  const char* unit;
  double empty_top;  // y range when every value is 0 (an idle error rate)
};

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
std::optional<double> per_second(const json& w, const char* count) {
  const double span = num(w, "end_s") - num(w, "start_s");
  return has_num(w, count) && span > 0 ? std::optional<double>(num(w, count) / span) : std::nullopt;
}

// A rate of the window as the journal states it, else from its count.
std::optional<double> rate_of(const json& w, const char* rate, const char* count) {
  return has_num(w, rate) ? std::optional<double>(num(w, rate)) : per_second(w, count);
}

// A window's value for a metric; nullopt where it has none (no requests:
// no error rate, no latency), which the line shows as a gap rather than as
// a misleading zero. The throughput chart's lines are read apart, by
// rate_series.
std::optional<double> window_value(const json& w, WindowMetric metric) {
  const double requests = num(w, "requests");
  switch (metric) {
    case WindowMetric::throughput:
      return rate_of(w, "throughput", "responses");
    case WindowMetric::error_rate:
      if (requests <= 0) {
        return std::nullopt;
      }
      return has_num(w, "error_rate") ? num(w, "error_rate") * 100 : num(w, "errors") / requests * 100;
    case WindowMetric::p99_latency:
      return requests > 0 && has_num(w, "p99_ms") ? std::optional<double>(num(w, "p99_ms")) : std::nullopt;
    case WindowMetric::max_backend_share: {
      // As the SLO check measures it: the busiest backend's share of the
      // requests whose backend is known.
      double total = 0;  // not uint64_t: huge counts must not wrap to 0
      double busiest = 0;
      for (const auto& [name, n] : object_at(w, "backends").items()) {
        if (name == kUnknownBackend) {
          continue;  // the load balancer's own answers: no backend to blame
        }
        total += double(journal_count(n));
        busiest = std::max(busiest, double(journal_count(n)));
      }
      return total > 0 ? std::optional<double>(100.0 * busiest / total) : std::nullopt;
    }
  }
  return std::nullopt;
}

struct Step {
  double from = 0;
  double to = 0;
  std::optional<double> value;
};

struct Series {
  std::string name;
  std::string colour;
  std::vector<Step> steps;
  bool fill = true;  // shade the area under the line
  const char* width = "2";
  const char* dash = nullptr;  // stroke-dasharray; solid without
};

struct Threshold {
  double value = 0;
  std::string label;
};

struct Band {
  double from = 0;
  double to = 0;
  std::string label;        // "Fault 2: http_delay (not reverted)"
  std::string short_label;  // "Fault 2", for a band too narrow for the label
};

// Text widths are estimated (there is no layout engine here), generously.
double text_width(const std::string& text, double font_size) {
  return 0.62 * font_size * double(text.size());
}

std::string svg_open(double height, const std::string& label) {
  return fmt::format(
      "<svg class=\"chart\" viewBox=\"0 0 {} {}\" width=\"100%\" role=\"img\" aria-label=\"{}\" {}>\n"
      "<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>\n",
      c(kWidth), c(height), xml_escape(label), kFont, c(kWidth), c(height));
}

std::string title_text(const ChartText& t) {
  return fmt::format(
      "<text x=\"{}\" y=\"22\" font-size=\"14\" font-weight=\"600\" fill=\"{}\">{} ({})</text>\n", c(kLeft),
      kInk, xml_escape(t.title), xml_escape(t.unit));
}

// A legend laid out right to left from the right edge.
std::string legend(const std::vector<std::pair<std::string, std::string>>& entries, double right, double y) {
  std::string out;
  double x = right;
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    x -= text_width(it->first, 12);
    out += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"{}\">{}</text>\n", c(x), c(y + 9),
                       kInk, xml_escape(it->first));
    x -= 16;
    out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"11\" height=\"11\" rx=\"2\" fill=\"{}\"/>\n", c(x),
                       c(y), it->second);
    x -= 14;
  }
  return out;
}

std::string step_path(const Series& s, double (*x)(double, double), double x_end, double y_top, bool area) {
  auto y = [&](double v) { return kTop + kPlotHeight - std::clamp(v / y_top, 0.0, 1.0) * kPlotHeight; };
  const double base = kTop + kPlotHeight;
  std::string d;
  bool open = false;
  double last_to = 0;
  for (const auto& step : s.steps) {
    const bool joins = open && step.value && std::abs(step.from - last_to) < 1e-6;
    if (open && !joins) {
      if (area) {
        d += fmt::format(" V{}Z", c(base));
      }
      open = false;
    }
    if (!step.value) {
      continue;
    }
    const double x0 = x(step.from, x_end);
    const double x1 = x(step.to, x_end);
    if (!open) {
      d += area ? fmt::format(" M{},{} V{}", c(x0), c(base), c(y(*step.value)))
                : fmt::format(" M{},{}", c(x0), c(y(*step.value)));
      open = true;
    } else {
      d += fmt::format(" V{}", c(y(*step.value)));
    }
    d += fmt::format(" H{}", c(x1));
    last_to = step.to;
  }
  if (open && area) {
    d += fmt::format(" V{}Z", c(base));
  }
  return d;
}

double x_of(double t, double x_end) {
  return kLeft + std::clamp(t / x_end, 0.0, 1.0) * kPlotWidth;
}

// The lines of a chart, drawn in order (the first at the bottom); with
// more than one, a legend names them and `note`, when set, says what is
// missing.
struct Lines {
  std::vector<Series> series;
  std::vector<std::pair<std::string, std::string>> legend;  // label, colour
  std::string note;
};

std::string render_time_chart(const ChartText& text, double x_end, const Lines& lines,
                              const std::vector<Threshold>& thresholds, const std::vector<Band>& bands,
                              bool has_windows) {
  std::string out = svg_open(kHeight, fmt::format("{} ({}) over time", text.title, text.unit));
  out += title_text(text);
  out += legend(lines.legend, kLeft + kPlotWidth, 12);
  if (!lines.note.empty()) {
    out += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{}\">{}</text>\n", c(kLeft),
                       c(kTop - 6), kMuted, xml_escape(lines.note));
  }

  double max = 0;
  for (const auto& series : lines.series) {
    for (const auto& st : series.steps) {
      if (st.value && std::isfinite(*st.value)) {
        max = std::max(max, *st.value);
      }
    }
  }
  for (const auto& t : thresholds) {
    max = std::max(max, t.value);
  }
  // Headroom above the highest line, so that a threshold's label fits.
  const Axis y_axis = nice_axis(max * 1.12, 4, text.empty_top);
  const Axis x_axis = nice_axis(x_end, 9, 1);
  const double base = kTop + kPlotHeight;

  out += fmt::format(
      "<rect class=\"plot\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#fbfcfd\" stroke=\"{}\"/>\n",
      c(kLeft), c(kTop), c(kPlotWidth), c(kPlotHeight), kGrid);

  // Ticks are counted, not accumulated, so that rounding never drops the last one.
  const int64_t y_ticks = std::min(kMaxTicks, saturating_i64(std::round(y_axis.top / y_axis.step)));
  for (int64_t i = 0; i <= y_ticks; ++i) {
    const double v = i * y_axis.step;
    const double y = base - v / y_axis.top * kPlotHeight;
    if (i > 0) {
      out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\"/>\n", c(kLeft), c(y),
                         c(kLeft + kPlotWidth), c(y), kGrid);
    }
    out += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{}\" text-anchor=\"end\">{}</text>\n",
                       c(kLeft - 8), c(y + 4), kMuted, tick_text(v, y_axis.step));
  }

  // Faults under the line, so that the data stays on top.
  for (const auto& b : bands) {
    const double x0 = x_of(b.from, x_end);
    const double x1 = std::max(x_of(b.to, x_end), x0 + 1);
    out += fmt::format(
        "<rect class=\"fault\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" "
        "fill-opacity=\"0.13\"/>\n",
        c(x0), c(kTop), c(x1 - x0), c(kPlotHeight), kFault);
    for (const double x : {x0, x1}) {
      out += fmt::format(
          "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-opacity=\"0.6\"/>\n", c(x),
          c(kTop), c(x), c(base), kFault);
    }
    // The longest label that fits in the band; the full one stays in the
    // tooltip. Near the right edge it is right-aligned so it is not cut off.
    std::string shown = b.short_label;
    for (const std::string* candidate : {&b.label, &b.short_label}) {
      if (text_width(*candidate, 11) <= x1 - x0 - 8) {
        shown = *candidate;
        break;
      }
    }
    const bool from_right = x0 + 5 + text_width(shown, 11) > kLeft + kPlotWidth;
    out += fmt::format(
        "<text x=\"{}\" y=\"{}\" font-size=\"11\" font-weight=\"600\" fill=\"{}\" text-anchor=\"{}\">"
        "<title>{}</title>{}</text>\n",
        c(from_right ? kLeft + kPlotWidth - 4 : x0 + 5), c(kTop + 14), kFaultText,
        from_right ? "end" : "start", xml_escape(b.label), xml_escape(shown));
  }

  for (const auto& series : lines.series) {
    const std::string fill = series.fill ? step_path(series, x_of, x_end, y_axis.top, true) : std::string();
    if (!fill.empty()) {
      out += fmt::format("<path d=\"{}\" fill=\"{}\" fill-opacity=\"0.10\" stroke=\"none\"/>\n",
                         fill.substr(1), series.colour);
    }
  }
  for (const auto& series : lines.series) {
    const std::string line = step_path(series, x_of, x_end, y_axis.top, false);
    if (!line.empty()) {
      out += fmt::format(
          "<path class=\"series\" d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\"{} "
          "stroke-linejoin=\"round\"><title>{}</title></path>\n",
          line.substr(1), series.colour, series.width,
          series.dash ? fmt::format(" stroke-dasharray=\"{}\"", series.dash) : std::string(),
          xml_escape(series.name));
    }
  }

  // Labels of thresholds at (nearly) the same height are stacked upwards,
  // since several rates share the throughput chart's axis.
  std::vector<double> label_ys;
  for (const auto& t : thresholds) {
    const double y = base - std::clamp(t.value / y_axis.top, 0.0, 1.0) * kPlotHeight;
    double label_y = y - 5;
    for (bool moved = true; moved;) {
      moved = false;
      for (const double taken : label_ys) {
        if (std::abs(taken - label_y) < 12 && label_y > kTop + 12) {
          label_y = taken - 13;
          moved = true;
        }
      }
    }
    label_ys.push_back(label_y);
    out += fmt::format(
        "<line class=\"threshold\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" "
        "stroke-width=\"1.5\" "
        "stroke-dasharray=\"6 4\"/>\n",
        c(kLeft), c(y), c(kLeft + kPlotWidth), c(y), kThreshold);
    out += fmt::format(
        // A white halo keeps the label readable where it crosses the line.
        "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{}\" text-anchor=\"end\" font-weight=\"600\" "
        "stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\">{}</text>\n",
        c(kLeft + kPlotWidth - 6), c(label_y), kThreshold, xml_escape(t.label));
  }

  const int64_t x_ticks = std::min(kMaxTicks, saturating_i64(std::floor(x_end / x_axis.step + 1e-9)));
  for (int64_t i = 0; i <= x_ticks; ++i) {
    const double v = i * x_axis.step;
    const double x = x_of(v, x_end);
    out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\"/>\n", c(x), c(base), c(x),
                       c(base + 5), kMuted);
    out +=
        fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{}\" text-anchor=\"middle\">{}</text>\n",
                    c(x), c(base + 18), kMuted, tick_text(v, x_axis.step));
  }
  out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\"/>\n", c(kLeft), c(base),
                     c(kLeft + kPlotWidth), c(base), kMuted);
  out += fmt::format(
      "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{}\" text-anchor=\"middle\">Time since load start "
      "(s)</text>\n",
      c(kLeft + kPlotWidth / 2), c(base + 38), kMuted);

  if (!has_windows) {
    out += fmt::format(
        "<text x=\"{}\" y=\"{}\" font-size=\"13\" fill=\"{}\" text-anchor=\"middle\">No measurement windows "
        "were recorded.</text>\n",
        c(kLeft + kPlotWidth / 2), c(kTop + kPlotHeight / 2), kMuted);
  }
  out += "</svg>";
  return out;
}

// The throughput chart: responses received per second (throughput), the
// successful ones (goodput) and the requests the load meant to send
// (offered rate), as the journal's windows state them. A journal written
// before windows counted responses has no `responses`, and its
// `throughput` was the offered rate: it is drawn as such, alone.
Lines rate_lines(const json& windows) {
  bool counts_responses = false;
  for (const auto& w : windows) {
    counts_responses = counts_responses || has_num(w, "responses");
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
    const double from = num(w, "start_s");
    const double to = num(w, "end_s");
    if (!counts_responses) {
      offered.steps.push_back({from, to, rate_of(w, "throughput", "requests")});
      continue;
    }
    offered.steps.push_back({from, to, rate_of(w, "offered_rate", "requests")});
    responses.steps.push_back({from, to, rate_of(w, "throughput", "responses")});
    good.steps.push_back({from, to, rate_of(w, "goodput", "good_responses")});
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

}  // namespace

std::string backend_colour(size_t index) {
  // Distinct under the common colour-vision deficiencies, dark enough for
  // white labels, and none of them the orange of a fault or the red of a
  // threshold.
  static constexpr std::array<const char*, 8> palette{"#2f6db5", "#2a9d8f", "#7b5ea7", "#c0527a",
                                                      "#5a8f29", "#b07d18", "#3d8fc4", "#6b6f76"};
  return palette[index % palette.size()];
}

std::vector<std::string> backend_order(const json& journal) {
  std::vector<std::string> order;
  std::set<std::string> seen;
  auto add = [&](const std::string& name) {
    if (!name.empty() && name != kUnknownBackend && seen.insert(name).second) {
      order.push_back(name);
    }
  };
  const std::string target = str(object_at(journal, "load"), "target");
  for (const auto& s : array_at(object_at(journal, "stack"), "services")) {
    if (str(s, "name") == target) {
      for (const auto& b : array_at(s, "backends")) {
        if (b.is_string()) {
          add(b.get<std::string>());
        }
      }
    }
  }
  std::set<std::string> others;
  for (const char* list : {"phases", "windows"}) {
    for (const auto& p : array_at(journal, list)) {
      for (const auto& [name, n] : object_at(p, "backends").items()) {
        if (!seen.count(name)) {
          others.insert(name);
        }
      }
    }
  }
  for (const auto& name : others) {
    add(name);
  }
  return order;
}

bool has_backend_traffic(const json& journal) {
  for (const char* list : {"phases", "windows"}) {
    for (const auto& p : array_at(journal, list)) {
      for (const auto& [name, n] : object_at(p, "backends").items()) {
        if (journal_count(n) > 0) {
          return true;
        }
      }
    }
  }
  return false;
}

std::optional<double> objective_threshold(const json& objective, WindowMetric metric) {
  if (!has_num(objective, "threshold")) {
    return std::nullopt;
  }
  // The journal's metric labels (harness/verify/metric_table.cpp) and its
  // threshold units: ratios as fractions, latency in ms, rates per second.
  const std::string label = str(objective, "metric");
  const double t = num(objective, "threshold");
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

std::string window_metric_svg(const json& journal, WindowMetric metric) {
  const ChartText text = text_of(metric);
  const json& windows = array_at(journal, "windows");

  double x_end = num(object_at(journal, "end"), "t");
  for (const auto& w : windows) {
    x_end = std::max(x_end, num(w, "end_s"));
  }
  for (const auto& a : array_at(journal, "activities")) {
    x_end = std::max({x_end, num(a, "injected_s"), num(a, "reverted_s")});
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
      series.steps.push_back({num(w, "start_s"), num(w, "end_s"), window_value(w, metric)});
    }
    lines.series.push_back(std::move(series));
  }

  std::vector<Threshold> thresholds;
  for (const auto& o : array_at(object_at(journal, "slo"), "objectives")) {
    const std::string expr = str(o, "expr");
    if (const auto t = objective_threshold(o, metric)) {
      const std::string name = str(o, "name");
      thresholds.push_back({*t, name.empty() ? "SLO " + expr : fmt::format("SLO {}: {}", name, expr)});
    }
  }

  std::vector<Band> bands;
  int n = 0;
  for (const auto& a : array_at(journal, "activities")) {
    ++n;
    if (!has_num(a, "injected_s")) {
      continue;
    }
    const bool reverted = has_num(a, "reverted_s");
    bands.push_back({num(a, "injected_s"), reverted ? num(a, "reverted_s") : x_end,
                     fmt::format("Fault {}: {}{}", n, str(a, "name"), reverted ? "" : " (not reverted)"),
                     fmt::format("Fault {}", n)});
  }
  return render_time_chart(text, x_end, lines, thresholds, bands, !windows.empty());
}

std::string phase_traffic_svg(const json& journal) {
  constexpr double kLabelRight = 232;  // right edge of the phase names
  constexpr double kBarLeft = 244;
  constexpr double kBarWidth = kWidth - kBarLeft - 110;
  constexpr double kFirstRow = 52;
  constexpr double kRowPitch = 40;
  constexpr double kBarHeight = 24;

  const auto order = backend_order(journal);
  const json& phases = array_at(journal, "phases");
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
    for (const auto& [name, count] : object_at(p, "backends").items()) {
      answered = saturating_add(answered, journal_count(count));
    }
    if (answered > 0 && num(p, "requests") > double(answered)) {
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
    const json& b = object_at(p, "backends");
    uint64_t answered = 0;
    for (const auto& [name, count] : b.items()) {
      answered = saturating_add(answered, journal_count(count));
    }
    // Shares of every request of the phase: what no backend answered (the
    // load balancer's own errors, timeouts) is drawn last, in red, so a
    // backend sent traffic it never answered does not look idle.
    const uint64_t total =
        answered > 0 ? std::max<uint64_t>(answered, saturating_u64(num(p, "requests"))) : 0;
    std::string name = str(p, "name");
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
        c(kLabelRight), c(y + 24), kMuted, num(p, "start_s"), num(p, "end_s"));
    out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#f1f3f5\"/>\n", c(kBarLeft),
                       c(y), c(kBarWidth), c(kBarHeight));
    double x = kBarLeft;
    for (size_t i = 0; i < order.size() && total > 0; ++i) {
      const uint64_t served = b.contains(order[i]) ? journal_count(b[order[i]]) : 0;
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
