// The journal itself, as JSON: the record every other format renders from.

#include "reporters/reporter.h"

namespace faultline::reporters {
namespace {

std::string render(const nlohmann::ordered_json& journal, const std::string& /*template_path*/) {
  return journal.dump(2) + "\n";
}

const ReporterRegistration registration{
    Reporter{"json", "journal.json", "the full record of the run (schema faultline.journal/1)", render}};

}  // namespace
}  // namespace faultline::reporters
