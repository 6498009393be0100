// postmortem.md: the postmortem draft, in the sections of the Google SRE
// template (Issue Summary, Trigger, Contributing Factors, Timeline, Root
// Cause and Resolution, Detection, Lessons Learned, Action Items,
// Conclusion, Supporting Information), filled from the journal.

#include "reporters/mustache_render.h"
#include "reporters/postmortem_view.h"
#include "reporters/reporter.h"

namespace faultline::reporters {
namespace {

// Sections left empty by the template engine leave their blank lines
// behind; Markdown means nothing by more than one, so they go.
std::string without_blank_runs(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  size_t newlines = 0;
  for (const char c : text) {
    newlines = c == '\n' ? newlines + 1 : 0;
    if (newlines <= 2) {
      out += c;
    }
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
