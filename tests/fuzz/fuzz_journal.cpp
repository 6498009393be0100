// Fuzz target: the journal reader, i.e. everything that renders from a
// journal.json: every registered reporter (reporters/reporter.h), the
// journal check and the comparison view (reporters/compare_view.h).
//
// The input is parsed as JSON; not JSON, or not an object, is rejected the
// way `faultline report` rejects it. Exceptions the CLI catches and reports
// are accepted outcomes:
//   - reporters::JournalError (check_journal; `faultline compare`),
//   - std::exception from render() / compare_view() (`faultline report` and
//     `faultline compare` print "error: cannot render ...: <what>").
// Anything else (crash, sanitizer report, uncaught exception, hang, huge
// memory) is a finding.
//
// FAULTLINE_FUZZ_STRICT=1 in the environment also treats a
// nlohmann::json::exception escaping a reporter (e.g. type_error from a
// field of the wrong type) as a finding: the CLI reports it, but as a JSON
// library message rather than a journal diagnostic.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>

#include "reporters/compare_view.h"
#include "reporters/reporter.h"

namespace {

bool g_strict = false;

template <class F>
void guarded(const char* what, F&& f) {
  try {
    f();
  } catch (const faultline::reporters::JournalError&) {
  } catch (const nlohmann::json::exception& e) {
    if (g_strict) {
      std::fprintf(stderr, "fuzz_journal: %s threw nlohmann::json::exception: %s\n", what, e.what());
      std::abort();
    }
  } catch (const std::exception&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* s = std::getenv("FAULTLINE_FUZZ_STRICT");
  g_strict = s != nullptr && *s != '\0' && *s != '0';
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace faultline::reporters;
  nlohmann::ordered_json journal;
  try {
    journal = nlohmann::ordered_json::parse(data, data + size);
  } catch (const nlohmann::json::exception&) {
    return 0;  // `faultline report`: "not a faultline journal"
  }
  if (!journal.is_object()) {
    return 0;
  }
  for (const auto& reporter : ReporterRegistry::instance().all()) {
    guarded(reporter.format.c_str(), [&] {
      const std::string text = reporter.render(journal, "");
      (void)text;
    });
  }
  guarded("check_journal", [&] { check_journal(journal, "fuzz.json"); });
  guarded("compare_view", [&] {
    const auto view = compare_view(journal, journal, "before.json", "after.json");
    const std::string json = view.dump(2);
    const std::string md = render_compare_md(view);
    (void)json;
    (void)md;
  });
  return 0;
}
