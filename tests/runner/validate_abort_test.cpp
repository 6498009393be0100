// Abort conditions are checked with the experiment: grammar errors point at
// their column in the file.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "harness/runner/validate.h"

using namespace faultline;
using namespace std::chrono_literals;

namespace {

std::string write_experiment(const std::string& name, const std::string& slo) {
  const auto path = std::filesystem::temp_directory_path() / ("faultline-" + name);
  std::ofstream out(path);
  out << "title: t\n"
         "stack:\n"
         "  services:\n"
         "    web: { kind: nginx }\n"
         "load:\n"
         "  target: web\n"
         "  rate: 10/s\n"
         "  duration: 60s\n"
         "expect: hold\n"
      << slo;
  return path.string();
}

}  // namespace

TEST_CASE("valid abort conditions are parsed into rules", "[runner][validate][abort]") {
  const auto path = write_experiment("abort-ok.yaml",
                                     "slo:\n"
                                     "  abort_when: [\"error_rate > 50% for 5s\", \"p(99) > 2s\"]\n");
  experiment::Diagnostics diags(path);
  auto v = runner::validate(path, {}, diags);
  INFO(diags.format());
  REQUIRE(v.has_value());
  REQUIRE(v->abort_rules.size() == 2);
  CHECK(v->abort_rules[0].sustained == 5s);
  CHECK(v->abort_rules[1].sustained == 0s);
  std::filesystem::remove(path);
}

TEST_CASE("a bad abort condition is reported at its column in the file",
          "[runner][validate][abort][bad-config]") {
  const auto path = write_experiment("abort-bad.yaml",
                                     "slo:\n"
                                     "  abort_when:\n"
                                     "    - \"error_rate > 50% for soon\"\n"
                                     "    - \"error_rate > 50% for 90s\"\n");
  experiment::Diagnostics diags(path);
  auto v = runner::validate(path, {}, diags);
  REQUIRE_FALSE(v.has_value());
  REQUIRE(diags.items().size() == 2);
  const auto& bad = diags.items()[0];
  CHECK(bad.pos.line == 12);
  CHECK(bad.pos.col == 7 + 1 + 21);  // the quote, then the column inside
  CHECK(bad.message == "in abort condition: 'soon' is not a duration");
  const auto& longer = diags.items()[1];
  CHECK(longer.pos.line == 13);
  CHECK(longer.message.find("longer than the load") != std::string::npos);
  std::filesystem::remove(path);
}
