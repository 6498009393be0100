#include "harness/cli/version.h"

#include <fmt/format.h>

#include "harness/common/version.h"

namespace faultline::cli {

std::string version_line() {
  return fmt::format("faultline {} (commit {})", faultline::version(), build_commit());
}

}  // namespace faultline::cli
