#include "reporters/svg_plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "reporters/number_cast.h"
#include "reporters/xml_text.h"

namespace faultline::reporters::svg {

std::string c(double v) {
  return fmt::format("{:.1f}", std::isfinite(v) ? v : 0.0);
}

namespace {

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

}  // namespace

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

namespace {

std::string title_text(const ChartText& t) {
  return fmt::format(
      "<text x=\"{}\" y=\"22\" font-size=\"14\" font-weight=\"600\" fill=\"{}\">{} ({})</text>\n", c(kLeft),
      kInk, xml_escape(t.title), xml_escape(t.unit));
}

}  // namespace

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

namespace {

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

}  // namespace

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

}  // namespace faultline::reporters::svg
