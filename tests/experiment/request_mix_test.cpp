// load.requests and load.seed: the weighted request mix as the loader reads
// it, and every mistake in it reported at its position.

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "harness/experiment/loader.h"
#include "tests/experiment/expect_diags.h"
#include "tests/experiment/with_load.h"

using namespace faultline::experiment;
using faultline::testing::expect_diags;
using faultline::testing::with_load;

namespace {

namespace fs = std::filesystem;

Experiment load(const std::string& yaml, Diagnostics& diags) {
  return load_string(yaml, "mix.yaml", {}, diags);
}

// A folder of its own under the temporary directory, removed at the end.
struct TempDir {
  fs::path path;
  TempDir() : path(fs::temp_directory_path() / ("faultline-mix-" + std::to_string(::getpid()))) {
    fs::create_directories(path / "data");
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
  }
};

}  // namespace

TEST_CASE("without requests the mix is one GET of load.path named default", "[experiment][loader][mix]") {
  Diagnostics diags;
  const Experiment exp = load(with_load("  path: /api\n"), diags);
  INFO(diags.format());
  REQUIRE_FALSE(diags.has_errors());
  REQUIRE(exp.load.requests.size() == 1);
  CHECK_FALSE(exp.load.requests_written);
  const RequestTemplate& t = exp.load.requests.front();
  CHECK(t.name == "default");
  CHECK(t.name == kDefaultRequestName);
  CHECK(t.method == "GET");
  CHECK(t.path == "/api");
  CHECK(t.headers.empty());
  CHECK(t.body.empty());
  CHECK(exp.load.seed == 1);
}

TEST_CASE("a request mix is read in file order with its defaults, headers and bodies",
          "[experiment][loader][mix]") {
  Diagnostics diags;
  const Experiment exp =
      load(with_load("  seed: 42\n"
                     "  requests:\n"
                     "    - { name: home, path: / , weight: 70 }\n"
                     "    - { name: search, method: GET, path: \"/search?q=shoes\", weight: 25,\n"
                     "        headers: { Accept: application/json, X-Trace: \"a b\" } }\n"
                     "    - name: checkout\n"
                     "      method: POST\n"
                     "      path: /checkout\n"
                     "      weight: 2.5\n"
                     "      body: '{\"sku\": 1}'\n"
                     "      headers: { Content-Type: application/json }\n"),
           diags);
  INFO(diags.format());
  REQUIRE_FALSE(diags.has_errors());
  CHECK(exp.load.seed == 42);
  CHECK(exp.load.requests_written);
  REQUIRE(exp.load.requests.size() == 3);
  CHECK(exp.load.request_names() == std::vector<std::string>{"home", "search", "checkout"});
  const auto& home = exp.load.requests[0];
  CHECK(home.method == "GET");
  CHECK(home.weight == 70);
  CHECK(home.path == "/");
  const auto& search = exp.load.requests[1];
  CHECK(search.path == "/search?q=shoes");
  REQUIRE(search.headers.size() == 2);
  CHECK(search.headers[0] == std::pair<std::string, std::string>{"Accept", "application/json"});
  CHECK(search.headers[1] == std::pair<std::string, std::string>{"X-Trace", "a b"});
  const auto& checkout = exp.load.requests[2];
  CHECK(checkout.method == "POST");
  CHECK(checkout.weight == 2.5);
  CHECK(checkout.body == "{\"sku\": 1}");
  CHECK(checkout.body_file.empty());
  CHECK(checkout.name_pos.line == 14);
  CHECK(checkout.name_pos.col == 13);
}

TEST_CASE("a weight defaults to 1", "[experiment][loader][mix]") {
  Diagnostics diags;
  const Experiment exp = load(with_load("  requests:\n"
                                        "    - { name: a, path: /a }\n"
                                        "    - { name: b, path: /b, method: HEAD }\n"),
                              diags);
  INFO(diags.format());
  REQUIRE_FALSE(diags.has_errors());
  REQUIRE(exp.load.requests.size() == 2);
  CHECK(exp.load.requests[0].weight == 1);
  CHECK(exp.load.requests[1].method == "HEAD");
}

TEST_CASE("path beside requests is refused, saying which to keep", "[experiment][loader][mix]") {
  Diagnostics diags;
  load(with_load("  path: /x\n"
                 "  requests:\n"
                 "    - { name: a, path: /a }\n"),
       diags);
  expect_diags(diags, {{9, 3, "'path' and 'requests' cannot both be set", "keep 'requests'"}});
}

TEST_CASE("mistakes in a request are reported at their positions", "[experiment][loader][mix]") {
  Diagnostics diags;
  load(with_load("  seed: -1\n"
                 "  requests:\n"
                 "    - { name: Home, path: / }\n"                                  // 11
                 "    - { name: a, path: x, weight: 0 }\n"                          // 12
                 "    - { name: a, path: /b }\n"                                    // 13
                 "    - { name: c, method: get, path: /c }\n"                       // 14
                 "    - { name: d, path: /d, headers: { \"a b\": x, Host: h } }\n"  // 15
                 "    - { name: e, path: /e, body: x, body_file: y.json }\n"        // 16
                 "    - { path: /f, color: red }\n"                                 // 17
                 "    - just-a-name\n"),                                            // 18
       diags);
  expect_diags(diags, {
                          {9, 9, "seed"},
                          {11, 15, "request name 'Home' may only hold a-z"},
                          {12, 24, "'path' must start with '/'"},
                          {12, 35, "'weight' must be more than 0"},
                          {13, 15, "request name 'a' is used twice", "line 12"},
                          {14, 26, "method"},
                          {15, 39, "'a b' is not an HTTP header name"},
                          {15, 49, "header 'Host' is written by faultline itself"},
                          {16, 37, "has both 'body' and 'body_file'", "keep one"},
                          {17, 9, "missing required key 'name'"},
                          {17, 19, "color"},
                          {18, 7, "a request must be a map"},
                      });
}

TEST_CASE("Connection: close is the one Connection header a request may send", "[experiment][loader][mix]") {
  Diagnostics diags;
  const Experiment exp = load(with_load("  requests:\n"
                                        "    - { name: a, path: /a, headers: { Connection: close } }\n"
                                        "    - { name: b, path: /b, headers: { connection: Keep-Alive } }\n"),
                              diags);
  expect_diags(diags, {{11, 51, "header 'Connection' may only be 'close', not 'Keep-Alive'", "leave it out"}});
  REQUIRE(exp.load.requests.size() == 2);
  CHECK(exp.load.requests[0].headers == std::vector<std::pair<std::string, std::string>>{{"Connection", "close"}});
}

TEST_CASE("an empty mix, a header twice and a header value with a line break are refused",
          "[experiment][loader][mix]") {
  Diagnostics empty;
  load(with_load("  requests: []\n"), empty);
  expect_diags(empty, {{9, 3, "'requests' is empty"}});

  Diagnostics twice;
  load(with_load("  requests:\n"
                 "    - name: a\n"
                 "      path: /a\n"
                 "      headers:\n"
                 "        Accept: x\n"
                 "        accept: y\n"
                 "        X-Bad: \"one\\r\\ntwo\"\n"),
       twice);
  expect_diags(twice, {{14, 9, "header 'accept' is set twice"}, {15, 16, "holds a line break"}});
}

TEST_CASE("more than 255 requests are refused", "[experiment][loader][mix]") {
  std::string list = "  requests:\n";
  for (int i = 0; i < 256; ++i) {
    list += "    - { name: r" + std::to_string(i) + ", path: / }\n";
  }
  Diagnostics diags;
  load(with_load(list), diags);
  expect_diags(diags, {{9, 3, "at most 255"}});
}

TEST_CASE("body_file is read relative to the experiment file, and a missing one is named",
          "[experiment][loader][mix]") {
  const TempDir dir;
  const std::string body = "{\"order\": [1, 2]}\n\x01 binary too";
  dir.write("data/order.json", body);
  dir.write("good.yaml", with_load("  requests:\n"
                                   "    - { name: checkout, method: POST, path: /checkout, body_file: "
                                   "data/order.json }\n"));
  Diagnostics diags;
  const Experiment exp = load_file((dir.path / "good.yaml").string(), {}, diags);
  INFO(diags.format());
  REQUIRE_FALSE(diags.has_errors());
  REQUIRE(exp.load.requests.size() == 1);
  CHECK(exp.load.requests[0].body == body);
  CHECK(exp.load.requests[0].body_file == (dir.path / "data/order.json").lexically_normal().string());

  dir.write("bad.yaml", with_load("  requests:\n"
                                  "    - { name: checkout, method: POST, path: /checkout, body_file: "
                                  "data/missing.json }\n"));
  Diagnostics missing;
  load_file((dir.path / "bad.yaml").string(), {}, missing);
  const std::string looked = (dir.path / "data/missing.json").lexically_normal().string();
  expect_diags(missing, {{10, 67, "no such file: data/missing.json (looked in " + looked + ")"}});
  REQUIRE(missing.items().size() == 1);
  CHECK(missing.items()[0].pos.file.find("bad.yaml") != std::string::npos);
}
