// No script of the project stops, disables or kills a service or process of
// the host: faultline's servers live in the run's own namespaces and need
// nothing of the host out of the way. scripts/setup.sh used to stop and
// disable the host's nginx and HAProxy and pkill every process of those
// names, other runs' servers and the machine owner's own among them.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

std::vector<fs::path> project_scripts() {
  const fs::path root = FAULTLINE_SOURCE_DIR;
  std::vector<fs::path> files;
  for (const char* dir : {"scripts", ".ci", "vagrant", "bench"}) {
    std::error_code ec;
    for (const auto& entry : fs::recursive_directory_iterator(root / dir, ec)) {
      const auto ext = entry.path().extension().string();
      const auto name = entry.path().filename().string();
      if (entry.is_regular_file() && (ext == ".sh" || name == "run" || name == "Vagrantfile")) {
        files.push_back(entry.path());
      }
    }
  }
  return files;
}

}  // namespace

TEST_CASE("no project script stops, disables or kills the host's services or processes",
          "[common][scripts][host]") {
  const auto files = project_scripts();
  // setup.sh, build.sh, test.sh, demo.sh and .ci/run at least.
  REQUIRE(files.size() >= 5);
  // Commands that act on services or processes the project did not start.
  const std::regex forbidden(
      R"((^|[;&|(\s])(systemctl\s+(stop|disable|mask|kill|restart)\b|service\s+\S+\s+(stop|restart)\b|pkill\b|killall\b))");
  for (const auto& file : files) {
    std::ifstream in(file);
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      const auto hash = line.find('#');
      const std::string code = hash == std::string::npos ? line : line.substr(0, hash);
      INFO(file.string() << ":" << number << ": " << line);
      CHECK_FALSE(std::regex_search(code, forbidden));
    }
  }
}
