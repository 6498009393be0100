#include "harness/experiment/diagnostics.h"

#include <catch2/catch.hpp>

using faultline::experiment::Diagnostics;
using faultline::experiment::nearest;
using faultline::experiment::SourcePos;

TEST_CASE("format prints file:line:col, the message and a hint line", "[experiment][diagnostics]") {
  Diagnostics d("exp.yaml");
  d.error(SourcePos{"exp.yaml", 4, 3}, "unknown key 'sevices' in stack", "did you mean 'services'?");
  d.error(SourcePos{"exp.yaml", 9, 11}, "'rate' must be a rate, not '600'");
  CHECK(d.format() ==
        "exp.yaml:4:3: error: unknown key 'sevices' in stack\n"
        "  hint: did you mean 'services'?\n"
        "exp.yaml:9:11: error: 'rate' must be a rate, not '600'\n");
}

TEST_CASE("yaml-cpp marks become 1-based positions in the diagnostics' file", "[experiment][diagnostics]") {
  Diagnostics d("exp.yaml");
  const YAML::Node doc = YAML::Load("a: 1\nbb:\n  c: 2\n");
  const SourcePos pos = d.pos_of(doc["bb"]["c"]);
  CHECK(pos.file == "exp.yaml");
  CHECK(pos.line == 3);
  CHECK(pos.col == 6);

  d.error(doc["a"].Mark(), "bad a");
  REQUIRE(d.items().size() == 1);
  CHECK(d.items()[0].pos.line == 1);
  CHECK(d.items()[0].pos.col == 4);
}

TEST_CASE("a node built in code has no position", "[experiment][diagnostics]") {
  Diagnostics d("exp.yaml");
  const SourcePos pos = d.pos_of(YAML::Node("made in code"));
  CHECK(pos.line == 0);
  CHECK(pos.col == 0);
}

TEST_CASE("a problem without a line is printed without a position", "[experiment][diagnostics]") {
  Diagnostics d("missing.yaml");
  d.error("cannot read experiment file 'missing.yaml'");
  d.error(SourcePos{"--set load.rate", 0, 0}, "'rate' must be a rate, not 'fast'", "e.g. 600/s");
  CHECK(d.format() ==
        "missing.yaml: error: cannot read experiment file 'missing.yaml'\n"
        "--set load.rate: error: 'rate' must be a rate, not 'fast'\n"
        "  hint: e.g. 600/s\n");
}

TEST_CASE("the same problem at the same place is kept once", "[experiment][diagnostics]") {
  Diagnostics d("exp.yaml");
  d.error(SourcePos{"exp.yaml", 5, 7}, "'port' must be between 1 and 65535, not 0");
  d.error(SourcePos{"exp.yaml", 5, 7}, "'port' must be between 1 and 65535, not 0");
  d.error(SourcePos{"exp.yaml", 6, 7}, "'port' must be between 1 and 65535, not 0");
  CHECK(d.items().size() == 2);
  CHECK(d.has_errors());
}

TEST_CASE("sort_by_position orders problems by line and column", "[experiment][diagnostics]") {
  Diagnostics d("exp.yaml");
  d.error(SourcePos{"exp.yaml", 9, 1}, "third");
  d.error(SourcePos{"exp.yaml", 2, 8}, "second");
  d.error(SourcePos{"exp.yaml", 2, 3}, "first");
  d.sort_by_position();
  REQUIRE(d.items().size() == 3);
  CHECK(d.items()[0].message == "first");
  CHECK(d.items()[1].message == "second");
  CHECK(d.items()[2].message == "third");
}

TEST_CASE("an empty Diagnostics has no errors and formats to nothing", "[experiment][diagnostics]") {
  Diagnostics d("exp.yaml");
  CHECK_FALSE(d.has_errors());
  CHECK(d.format().empty());
}

TEST_CASE("nearest suggests a known word one typo away", "[experiment][diagnostics]") {
  const std::vector<std::string> keys = {"runtime", "subnet", "services"};
  CHECK(nearest("sevices", keys) == "services");
  CHECK(nearest("servces", keys) == "services");
  CHECK(nearest("subnets", keys) == "subnet");
  CHECK(nearest("Runtime", keys) == "runtime");
}

TEST_CASE("nearest counts swapped neighbouring letters as one typo", "[experiment][diagnostics]") {
  CHECK(nearest("wieghts", {"weights", "retries"}) == "weights");
  CHECK(nearest("ngnix", {"haproxy", "nginx", "app"}) == "nginx");
}

TEST_CASE("nearest offers nothing for an unrelated word", "[experiment][diagnostics]") {
  CHECK(nearest("colour", {"kind", "port", "balance", "backends"}).empty());
  CHECK(nearest("xy", {"at"}).empty());
  CHECK(nearest("", {"at"}).empty());
  CHECK(nearest("anything", {}).empty());
}

TEST_CASE("nearest picks the closest of several candidates", "[experiment][diagnostics]") {
  CHECK(nearest("rtries", {"rise", "retries", "redispatch"}) == "retries");
  CHECK(nearest("durations", {"duration", "description"}) == "duration");
}

TEST_CASE("warnings print as warning: and do not count as errors", "[experiment][diagnostics]") {
  Diagnostics d("exp.yaml");
  d.warning(SourcePos{"exp.yaml", 12, 13}, "load ends 2 s after the last revert",
            "set load.duration to at least 16 s");
  CHECK_FALSE(d.has_errors());
  CHECK(d.has_warnings());
  d.error(SourcePos{"exp.yaml", 4, 3}, "unknown key 'sevices' in stack");
  d.sort_by_position();
  CHECK(d.has_errors());
  CHECK(d.count(faultline::experiment::Severity::error) == 1);
  CHECK(d.count(faultline::experiment::Severity::warning) == 1);
  CHECK(d.format() ==
        "exp.yaml:4:3: error: unknown key 'sevices' in stack\n"
        "exp.yaml:12:13: warning: load ends 2 s after the last revert\n"
        "  hint: set load.duration to at least 16 s\n");
}
