// The typed getters of harness/experiment/field_reader.h that the experiment's
// sections and the faults' parameters share, in the experiment's words, and
// a Wording that words them otherwise.

#include "harness/experiment/field_reader.h"

#include <catch2/catch.hpp>

namespace {

using namespace std::chrono_literals;
using faultline::Duration;
using faultline::experiment::Diagnostics;
using faultline::experiment::FieldReader;
using faultline::experiment::Phrase;
using faultline::experiment::SourceNode;

// The value of `key` in the one-line YAML map `yaml`, positions in f.yaml.
SourceNode value_of(const std::string& yaml, const std::string& key) {
  Diagnostics ignored{"f.yaml"};
  const SourceNode root = faultline::experiment::to_source_tree(YAML::Load(yaml), "f.yaml", ignored);
  const SourceNode* value = root.find(key);
  REQUIRE(value != nullptr);
  return *value;
}

}  // namespace

TEST_CASE("field reader: integers may carry a plus sign, as YAML's do", "[experiment][fields]") {
  Diagnostics diags{"f.yaml"};
  FieldReader r(diags);
  CHECK(r.integer(value_of("{ n: +80 }", "n"), "n", 1, 100) == 80);
  CHECK(r.integer(value_of("{ n: -3 }", "n"), "n", -5, 5) == -3);
  CHECK(r.ok());
  CHECK_FALSE(r.integer(value_of("{ n: +-3 }", "n"), "n", -5, 5).has_value());
  CHECK_FALSE(r.integer(value_of("{ n: '+' }", "n"), "n", -5, 5).has_value());
  CHECK_FALSE(r.ok());
  CHECK(diags.format() ==
        "f.yaml:1:6: error: 'n' must be a whole number, not '+-3'\n"
        "f.yaml:1:6: error: 'n' must be a whole number, not '+'\n");
}

TEST_CASE("field reader: bounded durations, numbers, percentages and one-or-list values",
          "[experiment][fields]") {
  Diagnostics diags{"f.yaml"};
  FieldReader r(diags);
  CHECK(r.duration_within(value_of("{ d: 2s }", "d"), "d", 1ms, 60s) == Duration(2s));
  CHECK(r.number(value_of("{ x: 0.5 }", "x"), "x", 0, 1) == 0.5);
  CHECK(r.percent(value_of("{ p: 20% }", "p"), "p") == Approx(0.2));
  CHECK(r.one_or_list(value_of("{ l: a }", "l"), "l") == std::vector<std::string>{"a"});
  CHECK(r.one_or_list(value_of("{ l: [a, b] }", "l"), "l") == std::vector<std::string>{"a", "b"});
  REQUIRE(r.ok());

  CHECK_FALSE(r.duration_within(value_of("{ d: 2m }", "d"), "d", 1ms, 60s).has_value());
  CHECK_FALSE(r.number(value_of("{ x: 3 }", "x"), "x", 0, 1).has_value());
  CHECK_FALSE(r.percent(value_of("{ p: 20 }", "p"), "p").has_value());
  CHECK_FALSE(r.one_or_list(value_of("{ l: { a: b } }", "l"), "l").has_value());
  CHECK_FALSE(r.one_or_list(value_of("{ l: [a, [b]] }", "l"), "l").has_value());
  CHECK(diags.format() ==
        "f.yaml:1:6: error: 'd' must be between 1ms and 1m, not 2m\n"
        "f.yaml:1:6: error: 'x' must be between 0 and 1, not 3\n"
        "f.yaml:1:6: error: 'p' must be a percentage from 0% to 100%, not '20'\n"
        "  hint: write it with a % sign, e.g. 20%\n"
        "f.yaml:1:6: error: 'l' must be a single value or a list, not a map\n"
        "f.yaml:1:10: error: each item of 'l' must be a single value, not a list\n");
}

TEST_CASE("field reader: another Wording words the same problems its own way", "[experiment][fields]") {
  struct Terse final : faultline::experiment::Wording {
    Phrase not_whole_number(const std::string& what, const std::string& text) const override {
      return {what + "=" + text + "?", "digits only"};
    }
  };
  const Terse terse;
  Diagnostics diags{"f.yaml"};
  FieldReader r(diags, terse);
  CHECK_FALSE(r.integer(value_of("{ n: x1 }", "n"), "n", 0, 9).has_value());
  // What Terse does not word keeps the experiment's words.
  CHECK_FALSE(r.integer(value_of("{ n: 12 }", "n"), "n", 0, 9).has_value());
  CHECK(diags.format() ==
        "f.yaml:1:6: error: n=x1?\n"
        "  hint: digits only\n"
        "f.yaml:1:6: error: 'n' must be between 0 and 9, not 12\n");
}
