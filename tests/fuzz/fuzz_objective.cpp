// Fuzz target: the SLO grammar. The input is one expression, given to
// parse_objective (harness/verify/objective.h) and to parse_abort_rule
// (harness/runner/abort_rule.h). A parsed objective is then used the way
// the runner and the reports use it: checked against a stack's backends,
// measured on a window, formatted.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "harness/runner/abort_rule.h"
#include "harness/verify/objective.h"
#include "harness/verify/window.h"

namespace {

using faultline::verify::ObjectiveError;
using faultline::verify::ObjectiveExpr;

const faultline::verify::WindowStats& sample_window() {
  static const faultline::verify::WindowStats w = [] {
    faultline::verify::WindowStats s;
    s.start_ns = 0;
    s.end_ns = 1'000'000'000;
    s.requests = 100;
    s.errors = 7;
    s.transport_errors = 2;
    s.status_counts = {{200, 93}, {502, 3}, {503, 2}};
    s.error_classes = {{"timeout", 1}, {"reset", 1}};
    s.backend_counts = {{"web1", 60}, {"web2", 38}, {"", 2}};
    for (int i = 1; i <= 100; ++i) {
      s.latency.add_ms(i * 1.5);
      s.service_latency.add_ms(i * 1.2);
    }
    s.mean_ms = s.latency.mean_ms();
    s.max_ms = s.latency.max_ms();
    return s;
  }();
  return w;
}

void use(const ObjectiveExpr& expr, std::string_view text) {
  static const std::vector<std::string> backends = {"web1", "web2", "web3"};
  if (auto err = faultline::verify::unknown_backend(expr, backends)) {
    (void)err->message;
  }
  if (auto v = faultline::verify::measure(expr, sample_window())) {
    (void)faultline::verify::holds(expr, *v);
    (void)faultline::verify::format_value(expr, *v);
  }
  (void)faultline::verify::format_value(expr, expr.threshold);
  (void)faultline::verify::metric_label(expr);
  (void)faultline::verify::to_string(expr.op);
  // Documented: column of an argument lies within the text.
  if (expr.argument_column >= 0 && static_cast<size_t>(expr.argument_column) > text.size()) {
    __builtin_trap();
  }
}

void check_error(const ObjectiveError& err, std::string_view text) {
  // Documented: 0-based column in the expression, at most just past its end.
  if (err.column < 0 || static_cast<size_t>(err.column) > text.size()) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  auto objective = faultline::verify::parse_objective(text);
  if (const auto* expr = std::get_if<ObjectiveExpr>(&objective)) {
    use(*expr, text);
  } else {
    check_error(std::get<ObjectiveError>(objective), text);
  }

  auto rule = faultline::runner::parse_abort_rule(text);
  if (const auto* r = std::get_if<faultline::runner::AbortRule>(&rule)) {
    use(r->condition, text);
    if (r->sustained.count() < 0) {
      __builtin_trap();  // a negative "for" duration must not parse
    }
  } else {
    check_error(std::get<ObjectiveError>(rule), text);
  }
  return 0;
}
