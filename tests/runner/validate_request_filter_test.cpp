// Objectives and abort conditions that filter by request name are checked
// against the experiment's request mix: a name not in load.requests is
// reported at its column in the file, and the names in use are the ones the
// windows are split by.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "harness/runner/validate.h"

using namespace faultline;

namespace {

// An experiment whose load has `load_extra` and whose slo section is `slo`
// (from line 11 on with a two-line load_extra).
std::string write_experiment(const std::string& name, const std::string& load_extra, const std::string& slo) {
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
      << load_extra << "expect: hold\n"
      << slo;
  return path.string();
}

const std::string kMix =
    "  requests:\n"
    "    - { name: home, path: / }\n"
    "    - { name: checkout, method: POST, path: /checkout }\n";

}  // namespace

TEST_CASE("filters naming requests of the mix validate, and are the names the windows split by",
          "[runner][validate][mix]") {
  const auto path = write_experiment("filter-ok.yaml", kMix,
                                     "slo:\n"
                                     "  objectives:\n"
                                     "    - { name: c, expr: \"p(99){name:checkout} < 300ms\" }\n"
                                     "    - { name: all, expr: \"error_rate < 1%\" }\n"
                                     "  abort_when: \"error_rate{name:home} > 50% for 5s\"\n");
  experiment::Diagnostics diags(path);
  auto v = runner::validate(path, {}, diags);
  INFO(diags.format());
  REQUIRE(v.has_value());
  CHECK(runner::filtered_requests(*v) == std::vector<std::string>{"checkout", "home"});
  std::filesystem::remove(path);
}

TEST_CASE("a filter naming no request of the mix is reported at its column in the file",
          "[runner][validate][mix][bad-config]") {
  const auto path = write_experiment("filter-bad.yaml", kMix,
                                     "slo:\n"
                                     "  objectives:\n"
                                     "    - { name: c, expr: \"p(99){name:chekout} < 300ms\" }\n"
                                     "  abort_when: \"error_rate{name:basket} > 50%\"\n");
  experiment::Diagnostics diags(path);
  auto v = runner::validate(path, {}, diags);
  REQUIRE_FALSE(v.has_value());
  INFO(diags.format());
  REQUIRE(diags.items().size() == 2);
  const auto& objective = diags.items()[0];
  CHECK(objective.pos.line == 15);
  CHECK(objective.pos.col == 24 + 1 + 11);  // the quote, then the name's column inside
  CHECK(objective.message == "in SLO expression: unknown request name 'chekout'");
  CHECK(objective.hint == "did you mean 'checkout'? (load.requests: home, checkout)");
  const auto& abort = diags.items()[1];
  CHECK(abort.pos.line == 16);
  CHECK(abort.pos.col == 15 + 1 + 16);
  CHECK(abort.message.find("unknown request name 'basket'") != std::string::npos);
  std::filesystem::remove(path);
}

TEST_CASE("without a mix the one request is named default", "[runner][validate][mix]") {
  const auto path = write_experiment("filter-default.yaml", "",
                                     "slo:\n"
                                     "  objectives:\n"
                                     "    - { name: d, expr: \"p(99){name:default} < 300ms\" }\n"
                                     "    - { name: h, expr: \"p(99){name:home} < 300ms\" }\n");
  experiment::Diagnostics diags(path);
  auto v = runner::validate(path, {}, diags);
  REQUIRE_FALSE(v.has_value());
  INFO(diags.format());
  REQUIRE(diags.items().size() == 1);
  CHECK(diags.items()[0].pos.line == 13);
  CHECK(diags.items()[0].hint == "the names of load.requests: default");
  std::filesystem::remove(path);
}
