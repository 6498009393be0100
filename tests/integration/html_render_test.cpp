// postmortem.html renders in a real browser: headless Chromium turns the
// report of tests/data/journals/weight_skew.json into a PNG without
// complaining about the page. (No root needed; Chromium is required, and
// scripts/setup.sh installs it: a missing browser fails the test rather
// than skipping it, so CI cannot pass without having looked.)

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>

#include "process.h"

using namespace faultline::testing;

namespace {

namespace fs = std::filesystem;

std::string find_chromium() {
  for (const char* name : {"chromium", "chromium-browser"}) {
    const std::string path = shell(std::string("command -v ") + name + " 2>/dev/null");
    if (!path.empty()) {
      return path.substr(0, path.find('\n'));
    }
  }
  return {};
}

// A fresh Chromium profile, removed however the test ends, so that runs
// never share state (or leave a profile behind in /tmp).
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "faultline-chromium-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) {
      path_ = pattern;
    }
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) {
      fs::remove_all(path_, ignored);
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The lines of Chromium's output that point at a problem with the page.
// With --enable-logging=stderr Chromium prints the page's console as
// "INFO:CONSOLE" lines (the report has no script, so any is a problem),
// load failures as net::ERR_..., and its own errors as ERROR or FATAL.
// What it prints on every run in a container is not about the page and is
// left out, deliberately narrowly:
//  - ERROR lines from dbus/: there is no D-Bus system or session bus in a
//    container or CI job, and Chromium asks it for power and Bluetooth
//    state at start-up;
//  - WARNING lines (no GPU device, sandbox, screensaver service) are not
//    looked at: they are about the machine, never the page;
//  - Debian's /usr/bin/chromium wrapper prints a shell error from its
//    memory check ("[: NNN: unexpected operator"), which matches nothing
//    below.
std::vector<std::string> page_problems(const std::string& log, const std::string& html_name) {
  std::vector<std::string> problems;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    const bool console = line.find(":CONSOLE") != std::string::npos;
    const bool net_error = line.find("net::ERR_") != std::string::npos;
    const bool about_page = line.find(html_name) != std::string::npos;
    const bool error =
        (line.find(":ERROR:") != std::string::npos || line.find(":FATAL:") != std::string::npos) &&
        line.find(":ERROR:dbus/") == std::string::npos;
    if (console || net_error || about_page || error) {
      problems.push_back(line);
    }
  }
  return problems;
}

}  // namespace

TEST_CASE("headless Chromium renders postmortem.html to a PNG without page errors",
          "[integration][html][reporters]") {
  const std::string chromium = find_chromium();
  INFO("Chromium is required for this test: apt-get install chromium (see scripts/setup.sh)");
  REQUIRE_FALSE(chromium.empty());

  const fs::path out = fs::path(FAULTLINE_BINARY_DIR) / "html-render";
  fs::create_directories(out);
  const std::string html = (out / "postmortem.html").string();
  const std::string png = (out / "postmortem.png").string();
  const std::string chromium_log = (out / "chromium.log").string();
  fs::remove(png);

  REQUIRE(run({FAULTLINE_BINARY, "report", std::string(FAULTLINE_TEST_DATA) + "/journals/weight_skew.json",
               "--format", "html", "-o", html},
              (out / "report.log").string(), std::chrono::seconds(30)) == 0);
  REQUIRE(fs::file_size(html) > 10000);

  int code = 0;
  {
    const TempDir profile;
    REQUIRE_FALSE(profile.path().empty());
    code = run({chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                // Without it headless Chromium keeps the page's console to
                // itself, and a broken page would pass.
                "--enable-logging=stderr", "--user-data-dir=" + profile.path(), "--screenshot=" + png,
                "--window-size=1280,2400", "file://" + html},
               chromium_log, std::chrono::seconds(60));
  }
  const std::string log = read_file(chromium_log);
  INFO("Chromium's output (" << chromium_log << "):\n" << log);
  REQUIRE(code == 0);

  REQUIRE(fs::exists(png));
  const std::string image = read_file(png);
  REQUIRE(image.size() > 24);
  CHECK(image.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
  // IHDR: width and height, big-endian, right after the signature and the
  // chunk header.
  auto be32 = [&](size_t at) {
    return (uint32_t(uint8_t(image[at])) << 24) | (uint32_t(uint8_t(image[at + 1])) << 16) |
           (uint32_t(uint8_t(image[at + 2])) << 8) | uint32_t(uint8_t(image[at + 3]));
  };
  CHECK(be32(16) == 1280);
  CHECK(be32(20) == 2400);
  // A blank page of this size compresses to about 10 KB; the report with
  // its text and charts is well over 100 KB.
  CHECK(image.size() > 50 * 1024);

  const auto problems = page_problems(log, "postmortem.html");
  for (const auto& p : problems) {
    UNSCOPED_INFO(p);
  }
  CHECK(problems.empty());
}

TEST_CASE("the Chromium output filter catches what a broken page prints", "[integration][html]") {
  // Lines as Chromium 156 prints them; the first two on every run in a
  // container, the others only for a page with problems.
  const std::string log =
      "/usr/bin/chromium: 9: [: 25276510208: unexpected operator\n"
      "[1:1:1124/054827.1:ERROR:dbus/bus.cc:405] Failed to connect to the bus\n"
      "[1:1:1124/054827.2:WARNING:media/gpu/vaapi/vaapi_wrapper.cc:1655] drmGetDevices2() has not found any "
      "devices\n"
      "[1:1:1124/054827.3:INFO:CONSOLE:1] \"Uncaught ReferenceError: f is not defined\", source: "
      "file:///tmp/x/postmortem.html (1)\n"
      "[1:1:1124/054827.4:ERROR:net/url_request.cc:1] net::ERR_FILE_NOT_FOUND\n";
  const auto problems = page_problems(log, "postmortem.html");
  REQUIRE(problems.size() == 2);
  CHECK(problems[0].find("Uncaught ReferenceError") != std::string::npos);
  CHECK(problems[1].find("ERR_FILE_NOT_FOUND") != std::string::npos);
}
