#pragma once

#include <string_view>

namespace faultline {

// The release of this build ("0.1.0"). Its one source is
// `project(faultline VERSION ...)` in CMakeLists.txt, passed to version.cpp
// as FAULTLINE_VERSION: the journal's faultline_version, `faultline
// --version` and the Debian package all read it from there.
std::string_view version();

}  // namespace faultline
