#include "harness/runner/validate.h"

#include <fstream>
#include <variant>

namespace faultline::runner {

namespace {

// Whether the scalar at `pos` is written in quotes: yaml-cpp's mark points at
// the opening quote, and a grammar error's column counts from inside it.
bool quoted_at(const experiment::SourcePos& pos) {
  std::ifstream in(pos.file);
  std::string line;
  for (int i = 0; i < pos.line && std::getline(in, line); ++i) {
  }
  const auto col = static_cast<size_t>(pos.col - 1);
  return col < line.size() && (line[col] == '"' || line[col] == '\'');
}

}  // namespace

std::optional<ValidatedExperiment> validate(const std::string& path,
                                            const std::vector<experiment::Override>& overrides,
                                            experiment::Diagnostics& diags) {
  ValidatedExperiment v;
  v.exp = experiment::load_file(path, overrides, diags);
  if (diags.has_errors() && v.exp.stack.services.empty()) {
    return std::nullopt;  // nothing usable was loaded; later checks would only add noise
  }
  for (const auto& objective : v.exp.slo.objectives) {
    auto parsed = verify::parse_objective(objective.expr);
    if (auto* err = std::get_if<verify::ObjectiveError>(&parsed)) {
      // Point into the expression itself.
      auto pos = objective.pos;
      pos.col += err->column + (quoted_at(pos) ? 1 : 0);
      diags.error(pos, "in SLO expression: " + err->message, err->hint);
      continue;
    }
    v.objectives.push_back({objective.name, std::get<verify::ObjectiveExpr>(parsed)});
  }
  // Bound faults point at v.exp.method's elements; moving v below keeps the
  // vector's buffer, so those pointers stay valid.
  v.faults = faults::bind_method(v.exp, diags);
  if (diags.has_errors()) {
    diags.sort_by_position();
    return std::nullopt;
  }
  return std::optional<ValidatedExperiment>(std::move(v));
}

}  // namespace faultline::runner
