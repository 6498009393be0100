#pragma once

#include <string>

namespace faultline::testing {

// A file under tests/data/experiments/. Appended in place: GCC 12's
// -Warray-bounds misreads `string + literal` on a temporary (a false
// positive that -Werror turns into an error).
inline std::string experiment_data(const std::string& name) {
  std::string path = FAULTLINE_TEST_DATA;
  path.append("/experiments/").append(name);
  return path;
}

}  // namespace faultline::testing
