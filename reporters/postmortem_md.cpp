// postmortem.md: the postmortem draft, in the sections of the Google SRE
// template (Issue Summary, Trigger, Contributing Factors, Timeline, Root
// Cause and Resolution, Detection, Lessons Learned, Action Items,
// Conclusion, Supporting Information), filled from the journal.

#include <sstream>
#include <string>
#include <vector>

#include "reporters/mustache_render.h"
#include "reporters/postmortem_view.h"
#include "reporters/reporter.h"

namespace faultline::reporters {
namespace {

// Sections left empty by the template engine leave their blank lines
// behind; Markdown means nothing by more than one, so they go.
// A blank line between two items splits a Markdown list in two, which an
// optional item left out (a prompt the experiment answered) must not do.
bool list_item(const std::string& line) {
  const size_t at = line.find_first_not_of(' ');
  return at != std::string::npos && line.compare(at, 2, "- ") == 0;
}

std::string without_blank_runs(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty()) {
      const bool after_blank = i > 0 && lines[i - 1].empty();
      const bool inside_list =
          i > 0 && i + 1 < lines.size() && list_item(lines[i - 1]) && list_item(lines[i + 1]);
      if (after_blank || inside_list) {
        continue;
      }
    }
    out += lines[i];
    out += '\n';
  }
  return out;
}

std::string render(const nlohmann::ordered_json& journal, const std::string& template_path) {
  return without_blank_runs(
      render_mustache("postmortem.md.mustache", template_path, postmortem_view(journal), false));
}

const ReporterRegistration registration{
    Reporter{"md", "postmortem.md", "incident postmortem draft in Markdown", render, true}};

}  // namespace
}  // namespace faultline::reporters
