#include "harness/runner/shares_basis.h"

#include <fmt/format.h>

namespace faultline::runner {

const std::vector<verify::BackendCount>* source_counts(const RunRecord& rec) {
  if (!rec.shares || verify::backend_header_seen(rec.load)) {
    return nullptr;
  }
  return &rec.shares->counts;
}

SharesBasis shares_basis(const RunRecord& rec, const std::string& header) {
  if (source_counts(rec) != nullptr) {
    return rec.shares->basis;
  }
  SharesBasis basis;
  basis.source = "response-header";
  basis.detail =
      verify::backend_header_seen(rec.load)
          ? fmt::format("the {} header of each response, naming the backend that answered it", header)
          : fmt::format("the {} header of each response, which no response carried", header);
  return basis;
}

}  // namespace faultline::runner
