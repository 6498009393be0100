#include "harness/experiment/diagnostics.h"

#include <algorithm>
#include <cctype>
#include <tuple>

#include "harness/common/text.h"

namespace faultline::experiment {

void Diagnostics::error(const YAML::Mark& mark, std::string message, std::string hint) {
  error(pos_of(mark), std::move(message), std::move(hint));
}

void Diagnostics::error(const SourcePos& pos, std::string message, std::string hint) {
  add(pos, std::move(message), std::move(hint), Severity::error);
}

void Diagnostics::warning(const SourcePos& pos, std::string message, std::string hint) {
  add(pos, std::move(message), std::move(hint), Severity::warning);
}

void Diagnostics::add(const SourcePos& pos, std::string message, std::string hint, Severity severity) {
  // An aliased node (`web2: *web`) is checked once per use but has one
  // position: its problem is worth one line, not one per alias.
  for (const auto& d : items_) {
    if (d.pos.file == pos.file && d.pos.line == pos.line && d.pos.col == pos.col && d.message == message &&
        d.hint == hint && d.severity == severity) {
      return;
    }
  }
  items_.push_back(Diagnostic{pos, std::move(message), std::move(hint), severity});
}

size_t Diagnostics::count(Severity severity) const {
  return static_cast<size_t>(std::count_if(
      items_.begin(), items_.end(), [severity](const Diagnostic& d) { return d.severity == severity; }));
}

void Diagnostics::error(std::string message, std::string hint) {
  error(SourcePos{file_, 0, 0}, std::move(message), std::move(hint));
}

SourcePos Diagnostics::pos_of(const YAML::Node& node) const {
  return pos_of(node.Mark());
}

SourcePos Diagnostics::pos_of(const YAML::Mark& mark) const {
  // Nodes built in code (not parsed) carry a null mark (-1): no position.
  if (mark.is_null() || mark.line < 0 || mark.column < 0) {
    return SourcePos{file_, 0, 0};
  }
  return SourcePos{file_, mark.line + 1, mark.column + 1};
}

void Diagnostics::sort_by_position() {
  std::stable_sort(items_.begin(), items_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.pos.file, a.pos.line, a.pos.col) < std::tie(b.pos.file, b.pos.line, b.pos.col);
  });
}

std::string Diagnostics::format() const {
  std::string out;
  for (const auto& d : items_) {
    // A problem without a line (unreadable file, a --set override) is shown
    // as `where: error: ...`, never with a misleading 0:0.
    if (!d.pos.file.empty()) {
      out += d.pos.file;
      if (d.pos.line > 0) {
        out += ':' + std::to_string(d.pos.line) + ':' + std::to_string(d.pos.col);
      }
      out += ": ";
    }
    out += (d.severity == Severity::error ? "error: " : "warning: ") + d.message + '\n';
    if (!d.hint.empty()) {
      out += "  hint: " + d.hint + '\n';
    }
  }
  return out;
}

namespace {

// Edit distance where swapping two neighbouring letters counts as one edit
// (optimal string alignment): "wieghts" is one typo away from "weights".
size_t edit_distance(const std::string& a, const std::string& b) {
  const size_t n = a.size();
  const size_t m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  for (size_t i = 0; i <= n; ++i) {
    d[i][0] = i;
  }
  for (size_t j = 0; j <= m; ++j) {
    d[0][j] = j;
  }
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

}  // namespace

std::string nearest(const std::string& word, const std::vector<std::string>& known) {
  if (word.empty()) {
    return {};
  }
  // About one typo per four letters: enough for real slips, while unrelated
  // short words ("at" for "xy") are not offered as fixes.
  const size_t limit = 1 + word.size() / 4;
  const std::string needle = lower(word);
  std::string best;
  size_t best_distance = limit + 1;
  for (const auto& candidate : known) {
    const size_t distance = edit_distance(needle, lower(candidate));
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

}  // namespace faultline::experiment
