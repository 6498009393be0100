#pragma once

#include <string>
#include <string_view>

namespace faultline::cli {

// The short hash of the commit this binary was built from, or "unknown"
// when it was built outside a git checkout. Defined in a file the build
// writes on every run (cmake/build_commit.cmake), so that only that file
// and the link follow a new commit.
std::string_view build_commit();

// What `faultline --version` prints: "faultline 0.1.0 (commit abc1234)".
std::string version_line();

}  // namespace faultline::cli
