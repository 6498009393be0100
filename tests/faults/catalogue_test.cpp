// The docs that come from the fault types themselves stay true:
// docs/FAULTS.md is the catalogue generated from every type's table, and the
// example in docs/CREATING_FAULTS.md is a fault file of the tree, verbatim.

#include "faults/catalogue.h"

#include <catch2/catch.hpp>

#include "faults/registry.h"
#include "harness/common/text.h"

namespace {

std::string source_file(const std::string& path) {
  const std::string text = faultline::read_text(std::string(FAULTLINE_SOURCE_DIR) + "/" + path);
  REQUIRE_FALSE(text.empty());
  return text;
}

}  // namespace

TEST_CASE("docs/FAULTS.md is the catalogue generated from the fault types", "[faults][docs]") {
  const std::string generated =
      faultline::faults::catalogue_markdown(faultline::faults::Registry::instance().all());
  CHECK_THAT(generated, Catch::Matchers::Contains("| `delay` | duration 1ms..1m | **required** |"));
  INFO("regenerate with: build/faultline faults --markdown > docs/FAULTS.md");
  CHECK(generated == source_file("docs/FAULTS.md"));
}

TEST_CASE("faultline faults shows one type's parameters from its table", "[faults][docs]") {
  const auto* latency = faultline::faults::Registry::instance().find("latency");
  REQUIRE(latency != nullptr);
  const std::string text = faultline::faults::catalogue_text(*latency);
  CHECK(text.rfind("latency\n", 0) == 0);
  CHECK_THAT(text, Catch::Matchers::Contains("    jitter  (duration 0s..1m; default 0s)\n"));
  CHECK_THAT(text, Catch::Matchers::Contains("    peer  (service or list; default all)\n"));
}

TEST_CASE("the example of docs/CREATING_FAULTS.md is the fault file it names", "[faults][docs]") {
  const std::string doc = source_file("docs/CREATING_FAULTS.md");
  const std::string marker = "```cpp\n// duplicate: ";
  const size_t start = doc.find(marker);
  REQUIRE(start != std::string::npos);
  const size_t body = start + std::string("```cpp\n").size();
  const size_t end = doc.find("```\n", body);
  REQUIRE(end != std::string::npos);
  CHECK(doc.substr(body, end - body) == source_file("faults/duplicate.cpp"));
}
