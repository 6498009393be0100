#include "harness/common/version.h"

// CMakeLists.txt defines it for this file alone, so a new release recompiles
// one file rather than everything that includes a version header.
#ifndef FAULTLINE_VERSION
#error "FAULTLINE_VERSION is set by CMakeLists.txt from project(faultline VERSION ...)"
#endif

namespace faultline {

std::string_view version() {
  return FAULTLINE_VERSION;
}

}  // namespace faultline
