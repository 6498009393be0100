#pragma once

// The drawing half of the HTML report's charts (svg_charts.cpp reads the
// journal into these shapes): one geometry and palette for every chart,
// round axes, legends, and the time chart with its fault bands and SLO
// thresholds. Private to the chart files.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace faultline::reporters::svg {

// One geometry for every time chart, so they line up when stacked: the
// same second falls at the same x in each.
inline constexpr double kWidth = 880;
inline constexpr double kLeft = 64;
inline constexpr double kRight = 24;
inline constexpr double kTop = 44;
inline constexpr double kPlotHeight = 130;
inline constexpr double kHeight = kTop + kPlotHeight + 48;
inline constexpr double kPlotWidth = kWidth - kLeft - kRight;
// nice_axis() makes about 4 to 10 ticks; the cap only bounds the loops
// should the axis arithmetic ever degenerate on a hostile journal.
inline constexpr int64_t kMaxTicks = 50;

inline constexpr const char* kFont =
    "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif\"";
inline constexpr const char* kInk = "#1f2933";
inline constexpr const char* kMuted = "#616e7c";
inline constexpr const char* kGrid = "#e4e7eb";
inline constexpr const char* kLine = "#1d4e89";
// The throughput chart's other lines: goodput on top of throughput, the
// offered rate under both, dotted.
inline constexpr const char* kGoodLine = "#2f9e44";
inline constexpr const char* kOfferedLine = "#868e96";
inline constexpr const char* kThreshold = "#b42318";
inline constexpr const char* kFault = "#f08c00";
inline constexpr const char* kFaultText = "#8a4b00";

// Coordinates with one decimal: enough for a screen, and never "nan".
std::string c(double v);

struct ChartText {
  const char* title;
  const char* unit;
  double empty_top;  // y range when every value is 0 (an idle error rate)
};

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

// The lines of a chart, drawn in order (the first at the bottom); with
// more than one, a legend names them and `note`, when set, says what is
// missing.
struct Lines {
  std::vector<Series> series;
  std::vector<std::pair<std::string, std::string>> legend;  // label, colour
  std::string note;
};

// Text widths are estimated (there is no layout engine here), generously.
double text_width(const std::string& text, double font_size);
// The <svg> element and its white background, labelled for screen readers.
std::string svg_open(double height, const std::string& label);
// A legend laid out right to left from `right`.
std::string legend(const std::vector<std::pair<std::string, std::string>>& entries, double right, double y);

// A chart of values over time (seconds since load start, up to `x_end`),
// with faults as bands under the lines and thresholds dashed over them;
// `has_windows` false says that nothing was measured.
std::string render_time_chart(const ChartText& text, double x_end, const Lines& lines,
                              const std::vector<Threshold>& thresholds, const std::vector<Band>& bands,
                              bool has_windows);

}  // namespace faultline::reporters::svg
