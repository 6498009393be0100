#pragma once

#include <fstream>
#include <sstream>
#include <string>

// Where the nginx_conf tests find their configs, and the bytes of a file as
// it is on disk (what a round trip must give back).
namespace faultline::testing {

// A path under tests/data/nginx_conf/. Appended in place, as in
// tests/test_data.h (GCC 12's -Warray-bounds misreads `string + literal`).
inline std::string nginx_conf_data(const std::string& name) {
  std::string path = FAULTLINE_TEST_DATA;
  path.append("/nginx_conf/").append(name);
  return path;
}

inline std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace faultline::testing
