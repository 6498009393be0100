// Inputs found by fuzzing (tests/fuzz/fuzz_experiment, scripts/fuzz.sh) that
// once hung or crashed the experiment loader, kept as regression tests.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "harness/experiment/loader.h"

using namespace faultline::experiment;

namespace {

// Loads `yaml` and returns the diagnostics' text ("" when it loaded).
std::string load_errors(const std::string& yaml) {
  Diagnostics diags;
  load_string(yaml, "fuzz.yaml", {}, diags);
  return diags.format();
}

}  // namespace

// yaml-cpp 0.7's LoadAll never returned (and allocated without bound) on a
// document that starts with ',' (jbeder/yaml-cpp#1040). Found by
// fuzz_experiment as ",itle: B\n  services:\n  rect: breach\n".
TEST_CASE("fuzz regression: a document starting with ',' is an error, not a hang", "[experiment][fuzz]") {
  static const char kWithNul[] = ",itle: B\n  services:\n  rect: bre\0\0\0ach\n";  // as found
  const std::vector<std::string> inputs = {",", ",a", ",a: b\n", ",itle: B\n  services:\n  rect: breach\n",
                                           std::string(kWithNul, sizeof(kWithNul) - 1)};
  for (const std::string& yaml : inputs) {
    INFO("input: " << yaml);
    const std::string errors = load_errors(yaml);
    CHECK_THAT(errors, Catch::Contains("fuzz.yaml:1:1: error: invalid YAML: unexpected ','"));
  }
}

TEST_CASE("fuzz regression: a ',' document after a valid one is an error, not a hang", "[experiment][fuzz]") {
  const std::string errors = load_errors("version: 1\n---\n,\n");
  CHECK_THAT(errors, Catch::Contains("fuzz.yaml:3:1: error: invalid YAML: unexpected ','"));
}

TEST_CASE("fuzz regression: the stuck-parser check leaves valid files and other errors alone",
          "[experiment][fuzz]") {
  CHECK_THAT(load_errors("a: ,\n"), Catch::Contains("invalid YAML"));  // yaml-cpp's own error
  CHECK_THAT(load_errors("[,]\n"), !Catch::Contains("unexpected ','"));
  CHECK_THAT(load_errors("---\n---\n"), Catch::Contains("one document"));
}
