#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace faultline {

// A private folder under the system's temporary one (`<prefix>-XXXXXX`),
// removed with everything in it when this goes out of scope, on every way
// out: for the copies `faultline validate` and `faultline plan` prepare and
// then read. path() is empty when it could not be made.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix) {
    std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (::mkdtemp(tmpl.data()) != nullptr) {
      path_ = tmpl;
    }
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    if (!path_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(path_, ec);
    }
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace faultline
