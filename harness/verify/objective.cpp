#include "harness/verify/objective.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <vector>

#include "harness/common/text.h"
#include "harness/verify/edit_distance.h"
#include "harness/verify/metric_table.h"
#include "harness/verify/objective_lexer.h"

namespace faultline::verify {

namespace {

using Token = ObjectiveToken;
using Kind = ObjectiveToken::Kind;

struct LatencyUnit {
  std::string_view name;
  double ms;
};
constexpr std::array<LatencyUnit, 4> latency_units{{{"us", 0.001}, {"ms", 1}, {"s", 1000}, {"m", 60'000}}};

std::string quoted(const Token& token) {
  return token.kind == Kind::end ? "the end" : fmt::format("'{}'", token.text);
}

double to_number(std::string_view text) {
  return std::strtod(std::string(text).c_str(), nullptr);
}

std::string known_metrics() {
  std::string out;
  for (const MetricDefinition& d : metric_table()) {
    out += out.empty() ? "" : ", ";
    out += d.synopsis;
  }
  return out;
}

std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> words;
  while (!text.empty()) {
    const std::size_t space = text.find(' ');
    if (space != 0) {
      words.push_back(text.substr(0, space));
    }
    if (space == std::string_view::npos) {
      break;
    }
    text.remove_prefix(space + 1);
  }
  return words;
}

// Reads `<metric> [argument] <comparator> <threshold>` left to right; the
// first problem ends the parse, at the column of the token that caused it.
class ObjectiveParser {
 public:
  explicit ObjectiveParser(std::string_view text) : text_(text), tokens_(tokenize_objective(text)) {}

  std::variant<ObjectiveExpr, ObjectiveError> parse() {
    expr_.text = std::string(text_);
    if (peek().kind == Kind::end) {
      return error(peek(), "empty objective", "write e.g. 'p(99) < 250ms' or 'error_rate < 0.5%'");
    }
    if (auto failed = parse_metric()) {
      return *failed;
    }
    if (auto failed = parse_argument()) {
      return *failed;
    }
    if (auto failed = parse_tag_filter()) {
      return *failed;
    }
    if (auto failed = parse_comparator()) {
      return *failed;
    }
    if (auto failed = parse_threshold()) {
      return *failed;
    }
    if (peek().kind != Kind::end) {
      return error(
          peek(), fmt::format("unexpected {} after the threshold", quoted(peek())),
          fmt::format("an objective is '<metric> <comparator> <threshold>', e.g. '{}'", metric_->example));
    }
    return expr_;
  }

 private:
  using Failure = std::optional<ObjectiveError>;

  const Token& peek() const { return tokens_[pos_]; }
  const Token& take() {
    const Token& token = tokens_[pos_];
    if (token.kind != Kind::end) {
      ++pos_;
    }
    return token;
  }
  static ObjectiveError error(const Token& at, std::string message, std::string hint = {}) {
    return ObjectiveError{at.column, std::move(message), std::move(hint)};
  }

  Failure parse_metric() {
    const Token& name = take();
    if (name.kind != Kind::word) {
      return error(name, fmt::format("expected a metric name, found {}", quoted(name)),
                   "known metrics: " + known_metrics());
    }
    metric_ = find_metric(name.text);
    if (metric_ != nullptr) {
      expr_.metric = metric_->metric;
      return std::nullopt;
    }
    return error(name, fmt::format("unknown metric '{}'", name.text), unknown_metric_hint(name.text));
  }

  static std::string unknown_metric_hint(std::string_view word) {
    // "p99" is how dashboards spell it; the grammar wants k6's p(99).
    if (word.size() > 1 && (word[0] == 'p' || word[0] == 'P') &&
        std::all_of(word.begin() + 1, word.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
      return fmt::format("did you mean 'p({})'?", word.substr(1));
    }
    const std::string folded = lower(word);
    std::vector<std::string_view> names;
    for (const MetricDefinition& d : metric_table()) {
      names.push_back(d.name);
      for (std::string_view alias : split_words(d.aliases)) {
        if (alias == folded) {
          return fmt::format("did you mean '{}'? e.g. '{}'", d.name, d.example);
        }
      }
    }
    if (auto guess = nearest(folded, names)) {
      return fmt::format("did you mean '{}'?", *guess);
    }
    return "known metrics: " + known_metrics();
  }

  // The metric as written, for messages: "error_rate", "rate(5xx)".
  std::string written_metric() const {
    if (metric_->argument == MetricArgument::none) {
      return std::string(metric_->name);
    }
    return fmt::format("{}({})", metric_->name, expr_.argument);
  }

  Failure parse_argument() {
    switch (metric_->argument) {
      case MetricArgument::none:
        if (peek().kind == Kind::open) {
          return error(peek(), fmt::format("'{}' takes no argument", metric_->name),
                       fmt::format("write e.g. '{}'", metric_->example));
        }
        return std::nullopt;
      case MetricArgument::percentile:
        return parse_percentile();
      case MetricArgument::outcome:
      case MetricArgument::backend:
        return parse_named_argument();
    }
    return std::nullopt;
  }

  Failure parse_percentile() {
    const std::string_view usage = "write the percentile in parentheses, e.g. p(99) or p(99.9)";
    if (peek().kind != Kind::open) {
      return error(peek(), fmt::format("expected '(' after '{}', found {}", metric_->name, quoted(peek())),
                   std::string(usage));
    }
    take();
    const Token& value = take();
    if (value.kind == Kind::close || value.kind == Kind::end) {
      return error(value, "missing percentile", std::string(usage));
    }
    if (value.kind != Kind::number) {
      return error(value, fmt::format("percentile must be a number in (0, 100], got {}", quoted(value)),
                   std::string(usage));
    }
    const double p = to_number(value.text);
    if (!(p > 0 && p <= 100)) {
      return error(value, fmt::format("percentile must be in (0, 100], got {}", value.text),
                   "p(100) is the maximum; p(50) the median");
    }
    expr_.percentile = p;
    expr_.argument = std::string(value.text);
    expr_.argument_column = value.column;
    if (peek().kind != Kind::close) {
      return error(peek(), fmt::format("expected ')' after the percentile, found {}", quoted(peek())),
                   std::string(usage));
    }
    take();
    return std::nullopt;
  }

  // rate(...) and share(...): the argument is the text between the
  // parentheses, written without spaces ("5xx" lexes as a number and a
  // word, "web-1" as three tokens: they are read back from the text).
  Failure parse_named_argument() {
    const bool outcome = metric_->argument == MetricArgument::outcome;
    const std::string_view what = outcome ? "outcome" : "backend name";
    const std::string usage =
        outcome ? "write the outcome in parentheses, e.g. rate(5xx), rate(503) or rate(timeout)"
                : "write the backend's name in parentheses, e.g. share(web1)";
    if (peek().kind != Kind::open) {
      return error(peek(), fmt::format("expected '(' after '{}', found {}", metric_->name, quoted(peek())),
                   usage);
    }
    take();
    const Token& first = peek();
    if (first.kind == Kind::close || first.kind == Kind::end) {
      return error(first, fmt::format("missing {}", what), usage);
    }
    std::size_t end = static_cast<std::size_t>(first.column);
    while (peek().kind != Kind::close && peek().kind != Kind::end && peek().kind != Kind::comparator) {
      const Token& part = take();
      if (static_cast<std::size_t>(part.column) != end) {
        return error(part, fmt::format("unexpected {} in the {}", quoted(part), what),
                     fmt::format("write the {} without spaces, e.g. '{}'", what, metric_->example));
      }
      end = static_cast<std::size_t>(part.column) + part.text.size();
    }
    if (peek().kind != Kind::close) {
      return error(peek(), fmt::format("expected ')' after the {}, found {}", what, quoted(peek())), usage);
    }
    take();
    const auto start = static_cast<std::size_t>(first.column);
    const std::string_view argument = text_.substr(start, end - start);
    expr_.argument = std::string(argument);
    expr_.argument_column = first.column;
    return outcome ? read_outcome(first, argument) : check_backend_name(start, argument);
  }

  Failure read_outcome(const Token& at, std::string_view argument) {
    auto parsed = parse_outcome(argument);
    if (auto* failed = std::get_if<OutcomeError>(&parsed)) {
      return error(at, std::move(failed->message), std::move(failed->hint));
    }
    expr_.outcome = std::get<Outcome>(std::move(parsed));
    return std::nullopt;
  }

  static Failure check_backend_name(std::size_t start, std::string_view name) {
    for (std::size_t i = 0; i < name.size(); ++i) {
      const auto c = static_cast<unsigned char>(name[i]);
      if (std::isalnum(c) != 0 || c == '_' || c == '.' || c == ':' || c == '-') {
        continue;
      }
      const bool quote = c == '"' || c == '\'';
      return ObjectiveError{static_cast<int>(start + i),
                            fmt::format("unexpected '{}' in the backend name", name[i]),
                            quote ? "write the name without quotes, e.g. share(web1)"
                                  : "a backend name is letters, digits and _ . : -, e.g. share(web1)"};
    }
    return std::nullopt;
  }

  // ---- request mix: `{name:checkout}` after the metric, as k6 filters by tag ----
  static bool is_char(const Token& token, char c) {
    return token.kind == Kind::other && token.text.size() == 1 && token.text[0] == c;
  }

  Failure parse_tag_filter() {
    if (!is_char(peek(), '{')) {
      return std::nullopt;
    }
    const std::string usage =
        fmt::format("filter by request name, e.g. '{}{{name:checkout}} < 300ms'", written_metric());
    take();
    const Token& key = take();
    if (key.kind == Kind::end || is_char(key, '}')) {
      return error(key, "missing tag in the filter", usage);
    }
    if (key.kind != Kind::word || key.text != "name") {
      return error(key, fmt::format("unknown tag {}", quoted(key)),
                   "the only tag is 'name', a request of load.requests: " + usage);
    }
    if (!is_char(peek(), ':')) {
      return error(peek(), fmt::format("expected ':' after 'name', found {}", quoted(peek())), usage);
    }
    take();
    const Token& first = peek();
    if (first.kind == Kind::end || is_char(first, '}')) {
      return error(first, "missing request name", usage);
    }
    std::size_t end = static_cast<std::size_t>(first.column);
    while (peek().kind != Kind::end && !is_char(peek(), '}') && peek().kind != Kind::comparator) {
      const Token& part = take();
      if (static_cast<std::size_t>(part.column) != end) {
        return error(part, fmt::format("unexpected {} in the request name", quoted(part)),
                     "write the name without spaces, e.g. {name:checkout}");
      }
      end = static_cast<std::size_t>(part.column) + part.text.size();
    }
    if (!is_char(peek(), '}')) {
      return error(peek(), fmt::format("expected '}}' after the request name, found {}", quoted(peek())),
                   usage);
    }
    take();
    const auto start = static_cast<std::size_t>(first.column);
    const std::string_view name = text_.substr(start, end - start);
    for (std::size_t i = 0; i < name.size(); ++i) {
      const char c = name[i];
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
        continue;
      }
      const bool quote = c == '"' || c == '\'';
      return ObjectiveError{static_cast<int>(start + i),
                            fmt::format("unexpected '{}' in the request name", c),
                            quote ? "write the name without quotes, e.g. {name:checkout}"
                                  : "a request name is a-z, 0-9, '_' and '-', as in load.requests"};
    }
    expr_.request_name = std::string(name);
    expr_.request_name_column = first.column;
    return std::nullopt;
  }

  // ---- end of the tag filter ----

  Failure parse_comparator() {
    const std::string_view usage = "compare with <, <=, > or >=";
    const Token& op = peek();
    if (op.kind == Kind::end) {
      return error(op, "missing comparator", fmt::format("{}, e.g. '{}'", usage, metric_->example));
    }
    if (op.kind == Kind::other && op.text.find_first_of("=!") != std::string_view::npos) {
      return error(op, fmt::format("unsupported comparator '{}'", op.text), std::string(usage));
    }
    if (op.kind != Kind::comparator) {
      return error(op, fmt::format("expected a comparator, found {}", quoted(op)),
                   fmt::format("{}, e.g. '{}'", usage, metric_->example));
    }
    take();
    expr_.op = op.text == "<"    ? Comparator::lt
               : op.text == "<=" ? Comparator::le
               : op.text == ">"  ? Comparator::gt
                                 : Comparator::ge;
    comparator_ = &op;
    return std::nullopt;
  }

  Failure parse_threshold() {
    const Token& value = take();
    if (value.kind == Kind::end) {
      return error(value, fmt::format("missing threshold after '{}'", comparator_->text),
                   fmt::format("e.g. '{}'", metric_->example));
    }
    if (value.kind != Kind::number) {
      return error(value,
                   fmt::format("expected a number after '{}', found {}", comparator_->text, quoted(value)),
                   fmt::format("e.g. '{}'", metric_->example));
    }
    const double number = to_number(value.text);
    switch (metric_->threshold) {
      case ThresholdKind::ratio:
        return parse_ratio(value, number);
      case ThresholdKind::latency:
        return parse_latency(number);
      case ThresholdKind::rate:
        return parse_rate(value, number);
    }
    return std::nullopt;
  }

  Failure parse_ratio(const Token& value, double number) {
    if (peek().kind == Kind::percent) {
      take();
      if (number > 100) {
        return error(value, fmt::format("{} cannot exceed 100%, got {}%", written_metric(), value.text),
                     fmt::format("e.g. '{}'", metric_->example));
      }
      expr_.threshold = number / 100;
      return std::nullopt;
    }
    if (peek().kind == Kind::word) {
      return error(peek(),
                   fmt::format("{} is a ratio and takes no unit, got '{}'", written_metric(), peek().text),
                   fmt::format("write a percentage or a fraction, e.g. '{}'", metric_->example));
    }
    if (number > 1) {
      return error(value, fmt::format("threshold {} of {} is not a fraction", value.text, written_metric()),
                   fmt::format("write '{}%' for a percentage, or a fraction between 0 and 1", value.text));
    }
    expr_.threshold = number;
    return std::nullopt;
  }

  Failure parse_latency(double number) {
    if (peek().kind == Kind::percent) {
      return error(peek(), fmt::format("{} is a latency, not a percentage", metric_label(expr_)),
                   fmt::format("write a duration, e.g. '{}'", metric_->example));
    }
    if (peek().kind != Kind::word) {
      expr_.threshold = number;  // a bare number is milliseconds, as in k6
      return std::nullopt;
    }
    const Token& unit = take();
    for (const LatencyUnit& known : latency_units) {
      if (unit.text == known.name) {
        expr_.threshold = number * known.ms;
        return std::nullopt;
      }
    }
    std::vector<std::string_view> names;
    for (const LatencyUnit& known : latency_units) {
      names.push_back(known.name);
    }
    const auto guess = nearest(lower(unit.text), names);
    return error(unit, fmt::format("unknown duration unit '{}'", unit.text),
                 guess ? fmt::format("did you mean '{}'? (units: us, ms, s, m)", *guess)
                       : std::string("units: us, ms, s, m"));
  }

  // "500/s" (per second) or "30000/m" (per minute): requests for
  // offered_rate, responses for throughput and goodput.
  Failure parse_rate(const Token& value, double number) {
    const std::string usage =
        fmt::format("write the rate per second as '{0}/s', or per minute as '{0}/m'", value.text);
    if (peek().kind == Kind::percent) {
      return error(peek(), fmt::format("{} is a rate, not a percentage", metric_->name), usage);
    }
    if (peek().kind == Kind::word) {
      return error(peek(), fmt::format("unknown rate unit '{}'", peek().text), usage);
    }
    if (peek().kind != Kind::other || peek().text != "/") {
      return error(peek(), fmt::format("missing unit after {}: {} is a rate", value.text, metric_->name),
                   usage);
    }
    take();
    const Token& unit = peek();
    if (unit.kind != Kind::word) {
      return error(unit, fmt::format("missing time unit after '/', found {}", quoted(unit)), usage);
    }
    take();
    if (unit.text == "s") {
      expr_.threshold = number;
    } else if (unit.text == "m") {
      expr_.threshold = number / 60;
    } else {
      return error(unit, fmt::format("unknown rate unit '/{}'", unit.text), usage);
    }
    return std::nullopt;
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
  ObjectiveExpr expr_;
  const MetricDefinition* metric_ = nullptr;
  const Token* comparator_ = nullptr;
};

std::string format_latency_ms(double ms) {
  if (ms < 10) {
    return fmt::format("{:.2f} ms", ms);
  }
  if (ms < 100) {
    return fmt::format("{:.1f} ms", ms);
  }
  return fmt::format("{:.0f} ms", ms);
}

}  // namespace

std::variant<ObjectiveExpr, ObjectiveError> parse_objective(std::string_view text) {
  return ObjectiveParser(text).parse();
}

std::optional<ObjectiveError> unknown_backend(const ObjectiveExpr& expr,
                                              std::span<const std::string> backends) {
  if (expr.metric != Metric::backend_share) {
    return std::nullopt;
  }
  std::vector<std::string_view> names;
  std::string listed;
  for (const std::string& backend : backends) {
    if (backend == expr.argument) {
      return std::nullopt;
    }
    names.emplace_back(backend);
    listed += listed.empty() ? "" : ", ";
    listed += backend;
  }
  const auto guess = nearest(expr.argument, names);
  return ObjectiveError{expr.argument_column, fmt::format("unknown backend '{}'", expr.argument),
                        guess ? fmt::format("did you mean '{}'? (backends: {})", *guess, listed)
                              : fmt::format("backends: {}", listed.empty() ? "none" : listed)};
}

std::optional<ObjectiveError> unknown_request(const ObjectiveExpr& expr,
                                              std::span<const std::string> requests) {
  if (expr.request_name.empty()) {
    return std::nullopt;
  }
  std::vector<std::string_view> names;
  std::string listed;
  for (const std::string& name : requests) {
    if (name == expr.request_name) {
      return std::nullopt;
    }
    names.emplace_back(name);
    listed += listed.empty() ? "" : ", ";
    listed += name;
  }
  const auto guess = nearest(expr.request_name, names);
  return ObjectiveError{expr.request_name_column, fmt::format("unknown request name '{}'", expr.request_name),
                        guess ? fmt::format("did you mean '{}'? (load.requests: {})", *guess, listed)
                              : fmt::format("the names of load.requests: {}", listed)};
}

std::vector<std::string> filtered_requests(std::span<const ObjectiveExpr* const> exprs) {
  std::vector<std::string> names;
  for (const ObjectiveExpr* expr : exprs) {
    if (!expr->request_name.empty() &&
        std::find(names.begin(), names.end(), expr->request_name) == names.end()) {
      names.push_back(expr->request_name);
    }
  }
  return names;
}

std::optional<double> measure(const ObjectiveExpr& expr, const WindowStats& window) {
  if (!expr.request_name.empty()) {
    const WindowStats* part = window.for_request(expr.request_name);
    if (part == nullptr) {
      return std::nullopt;
    }
    return definition_of(expr.metric).measure(expr, *part);
  }
  return definition_of(expr.metric).measure(expr, window);
}

bool holds(const ObjectiveExpr& expr, double value) {
  switch (expr.op) {
    case Comparator::lt:
      return value < expr.threshold;
    case Comparator::le:
      return value <= expr.threshold;
    case Comparator::gt:
      return value > expr.threshold;
    case Comparator::ge:
      return value >= expr.threshold;
  }
  return false;
}

std::string format_value(const ObjectiveExpr& expr, double value) {
  const MetricDefinition& d = definition_of(expr.metric);
  if (d.threshold == ThresholdKind::latency) {
    return format_latency_ms(value);
  }
  if (d.threshold == ThresholdKind::rate) {
    return value < 100 ? fmt::format("{:.1f}/s", value) : fmt::format("{:.0f}/s", value);
  }
  return fmt::format("{:.{}f}%", value * 100, d.percent_decimals);
}

std::string metric_label(const ObjectiveExpr& expr) {
  const MetricDefinition& d = definition_of(expr.metric);
  std::string label(d.label);
  if (const auto at = label.find("{}"); at != std::string::npos) {
    label.replace(
        at, 2,
        d.argument == MetricArgument::percentile ? fmt::format("{:g}", expr.percentile) : expr.argument);
  }
  if (!expr.request_name.empty()) {
    label.append(" of ").append(expr.request_name);
  }
  return label;
}

std::string_view to_string(Comparator op) {
  switch (op) {
    case Comparator::lt:
      return "<";
    case Comparator::le:
      return "<=";
    case Comparator::gt:
      return ">";
    case Comparator::ge:
      return ">=";
  }
  return "?";
}

}  // namespace faultline::verify
