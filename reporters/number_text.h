#pragma once

#include <string>

namespace faultline::reporters {

// Percentages and milliseconds as the reports print them. The reports round
// percentages differently on purpose, so each way has a name; a report
// picks the one its readers need, and golden files pin each down.
enum class PercentStyle {
  // Sentences and tables of the postmortem: as few decimals as the size
  // allows ("0%", "0.05%", "9.5%", "25%").
  prose,
  // Side-by-side columns (compare): one decimal always, so that columns
  // line up digit for digit ("6.7%", "0.0%"); tiny non-zero shares get two
  // so they do not read as zero.
  column,
  // Chart labels: one decimal below 10%, where it is still read ("9.5%"),
  // none above ("42%").
  label,
};

// `fraction` 0.25 is "25%" (with the style's decimals).
std::string percent_text(double fraction, PercentStyle style);

// "8.5 ms" below 10 ms, where the decimal is still read, else "850 ms".
std::string milliseconds_text(double ms);

}  // namespace faultline::reporters
