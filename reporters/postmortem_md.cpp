// postmortem.md: the incident postmortem draft, in the sections teams use
// (Issue Summary, Timeline, Root Cause and Resolution, Corrective and
// Preventative Measures), filled from the journal.

#include "reporters/mustache_render.h"
#include "reporters/postmortem_view.h"
#include "reporters/reporter.h"

namespace faultline::reporters {
namespace {

std::string render(const nlohmann::ordered_json& journal, const std::string& template_path) {
  return render_mustache("postmortem.md.mustache", template_path, postmortem_view(journal), false);
}

const ReporterRegistration registration{
    Reporter{"md", "postmortem.md", "incident postmortem draft in Markdown", render, true}};

}  // namespace
}  // namespace faultline::reporters
