// The team's configs as a run starts them: the copy's lines beside the
// team's line numbers, faultline's changes marked with their reasons.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "harness/common/text.h"
#include "harness/runner/plan_view.h"

namespace faultline::runner {

namespace {

// Writes one file of the copy. The margin holds the team file's line
// number and a mark, so a reader finds each line in the team's file and
// sees at once which lines are not the team's as written.
class CopyListing {
 public:
  explicit CopyListing(const CopiedConfigFile& file)
      : team_(split_lines(file.team_text)), copy_(split_lines(file.copy_text)), file_(file) {
    width_ = std::max<size_t>(3, std::to_string(team_.size()).size());
  }

  std::string text() {
    const auto map = stack::align_lines(file_.team_text, file_.copy_text);
    size_t next_team = 1;  // the first team line not shown yet
    for (size_t i = 1; i <= copy_.size(); ++i) {
      const size_t team_line = i < map.size() ? map[i] : 0;
      const std::string& line = copy_[i - 1];
      if (team_line == 0) {
        row("", '+', line);
      } else {
        // Team lines the alignment stepped over are not in the copy.
        for (; next_team < team_line; ++next_team) {
          row(std::to_string(next_team), '-', team_[next_team - 1]);
        }
        next_team = std::max(next_team, team_line + 1);
        const std::string& original = team_[team_line - 1];
        if (original == line) {
          row(std::to_string(team_line), ' ', line);
        } else {
          row(std::to_string(team_line), '~', line);
          row("", '^', "was: " + trim(original));
        }
      }
      for (const auto& c : file_.changes) {
        if (c.line == i) {
          row("", '^', "why: " + c.why);
        }
      }
    }
    for (; next_team <= team_.size(); ++next_team) {
      row(std::to_string(next_team), '-', team_[next_team - 1]);
    }
    // A change whose line the copy does not have (none is expected) is
    // still told, after the listing.
    for (const auto& c : file_.changes) {
      if (c.line == 0 || c.line > copy_.size()) {
        row("", '^', fmt::format("{}: {}", c.what, c.why));
      }
    }
    return out_;
  }

 private:
  void row(const std::string& number, char mark, const std::string& line) {
    std::string text = fmt::format("  {:>{}} {} {}", number, width_, mark, line);
    // No blanks at the end of a row (an empty line of the file).
    text.erase(text.find_last_not_of(' ') + 1);
    out_ += text + "\n";
  }

  std::vector<std::string> team_;
  std::vector<std::string> copy_;
  const CopiedConfigFile& file_;
  size_t width_ = 3;
  std::string out_;
};

size_t changes_in(const PreparedConfigView& config) {
  size_t n = 0;
  for (const auto& f : config.files) {
    n += f.changes.size();
  }
  return n;
}

}  // namespace

std::string format_config_copy(const PreparedConfigView& config) {
  if (!config.error.empty()) {
    return fmt::format("{}: no copy of the team's config could be prepared: {}\n", config.service,
                       config.error);
  }
  if (config.files.empty()) {
    return fmt::format("{}: no copy of the team's config could be prepared\n", config.service);
  }
  const size_t changes = changes_in(config);
  std::string out =
      fmt::format("{}: the team's {}, run as the copy {}, {}\n", config.service,
                  config.files.front().shown_path, config.copy_path,
                  changes == 0 ? std::string("unchanged")
                               : fmt::format("changed in {} place{}", changes, changes == 1 ? "" : "s"));
  for (size_t i = 0; i < config.files.size(); ++i) {
    const auto& file = config.files[i];
    if (i > 0) {
      out += fmt::format("  {}, a file it includes:\n", file.shown_path);
    }
    out += CopyListing(file).text();
  }
  if (!config.unchanged.empty()) {
    out += fmt::format("  also read, as the team wrote them: {}\n", fmt::join(config.unchanged, ", "));
  }
  return out;
}

}  // namespace faultline::runner
