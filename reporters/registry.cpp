#include <cstdio>
#include <cstdlib>

#include "reporters/reporter.h"

namespace faultline::reporters {

ReporterRegistry& ReporterRegistry::instance() {
  static ReporterRegistry registry;
  return registry;
}

void ReporterRegistry::add(Reporter r) {
  if (find(r.format) != nullptr) {
    std::fprintf(stderr, "faultline: reporter '%s' registered twice\n", r.format.c_str());
    std::abort();
  }
  reporters_.push_back(std::move(r));
}

const Reporter* ReporterRegistry::find(const std::string& format) const {
  for (const auto& r : reporters_) {
    if (r.format == format) {
      return &r;
    }
  }
  return nullptr;
}

}  // namespace faultline::reporters
