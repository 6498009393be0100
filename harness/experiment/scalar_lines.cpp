#include "harness/experiment/scalar_lines.h"

#include <fstream>
#include <sstream>
#include <vector>

namespace faultline::experiment {
namespace {

std::vector<std::string> lines_of(std::istream& in) {
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
  }
  return lines;
}

std::string trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) {
    return {};
  }
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

}  // namespace

SourcePos position_of_line(const SourcePos& start, const std::string& value, int line) {
  std::istringstream value_in(value);
  const auto wanted = lines_of(value_in);
  if (line < 1 || static_cast<size_t>(line) > wanted.size() || start.line < 1 || start.col < 1) {
    return start;
  }
  std::ifstream file_in(start.file);
  if (!file_in) {
    return start;
  }
  const auto file = lines_of(file_in);
  // The cursor: where the previous line of the value ended in the file.
  auto at_line = static_cast<size_t>(start.line - 1);
  auto at_col = static_cast<size_t>(start.col - 1);
  int since_match = 1;  // value lines since the last one found, blank ones included
  for (int k = 1; k <= line; ++k, ++since_match) {
    const std::string text = trimmed(wanted[static_cast<size_t>(k - 1)]);
    if (text.empty()) {
      if (k == line) {
        return start;
      }
      continue;
    }
    // Each value line is at most one file line further than the previous
    // one (a blank value line is a blank file line in a block): looking
    // further could only find the same words somewhere else in the file.
    bool found = false;
    for (size_t l = at_line; l < file.size() && l <= at_line + static_cast<size_t>(since_match); ++l) {
      const size_t from = l == at_line ? at_col : 0;
      const auto c = from <= file[l].size() ? file[l].find(text, from) : std::string::npos;
      if (c == std::string::npos) {
        continue;
      }
      if (k == line) {
        return SourcePos{start.file, static_cast<int>(l) + 1, static_cast<int>(c) + 1};
      }
      at_line = l;
      at_col = c + text.size();
      since_match = 0;
      found = true;
      break;
    }
    if (!found) {
      return start;
    }
  }
  return start;
}

}  // namespace faultline::experiment
