// A fault's parameter table (faults/common/param_table.h): the docs line of
// each parameter and the reading of a step's params come from the same row.
// Also what reading a fault's parameters through the experiment's own
// reader (harness/experiment/field_reader.h) gave them: the position of an
// empty value, and keys given twice.

#include "faults/common/param_table.h"

#include <catch2/catch.hpp>

#include "fault_test_support.h"
#include "harness/experiment/loader.h"

namespace {

using namespace std::chrono_literals;
using faultline::Duration;
using faultline::experiment::Diagnostics;
using faultline::experiment::Experiment;
using faultline::faults::param;
using faultline::faults::ParamReader;
using faultline::faults::ParamTable;
namespace kind = faultline::faults::kind;

struct Sample {
  std::optional<Duration> delay;
  std::optional<double> share;
  std::optional<int> count;
  std::optional<std::string> mode;
  std::optional<std::string> server;
  std::optional<std::vector<std::string>> peers;
};

const ParamTable<Sample>& sample_table() {
  static const ParamTable<Sample> table{{
      param(&Sample::delay, "delay", kind::duration(1ms, 60s)).required().doc("how long"),
      param(&Sample::share, "share", kind::percent()).defaults_to(0.25).doc("how much"),
      param(&Sample::count, "count", kind::integer(1, 10)).defaults_to(3).doc("how many"),
      param(&Sample::mode, "mode", kind::choice({"fast", "slow"})).defaults_to("slow").doc("which way"),
      param(&Sample::server, "server", kind::text()).absent_means("all servers").doc("which one"),
      param(&Sample::peers, "peers", kind::names("service or list")).absent_means("all").doc("with whom"),
  }};
  return table;
}

// Reads the params of the first step of `steps` (after the fault tests'
// stack) with sample_table(); problems go to `diags`.
Sample read_sample(const std::string& steps, Diagnostics& diags) {
  static Experiment exp;
  exp = faultline::experiment::load_string(faultline::faults::testing::kStack + steps, "t.yaml", {}, diags);
  REQUIRE_FALSE(diags.has_errors());
  REQUIRE(exp.method.size() == 1);
  ParamReader reader(exp.method[0], "sample", sample_table().names(), diags);
  return sample_table().read(reader);
}

}  // namespace

TEST_CASE("a parameter table's rows are the docs lines", "[faults][params]") {
  const auto docs = sample_table().docs();
  REQUIRE(docs.size() == 6);
  CHECK(docs[0].name == "delay");
  CHECK(docs[0].type == "duration 1ms..1m");
  CHECK(docs[0].default_value.empty());  // required
  CHECK(docs[0].description == "how long");
  CHECK(docs[1].type == "percent");
  CHECK(docs[1].default_value == "25%");
  CHECK(docs[2].type == "int 1..10");
  CHECK(docs[2].default_value == "3");
  CHECK(docs[3].type == "fast|slow");
  CHECK(docs[3].default_value == "slow");
  CHECK(docs[4].type == "string");
  CHECK(docs[4].default_value == "all servers");
  CHECK(docs[5].type == "service or list");
  CHECK(docs[5].default_value == "all");
  CHECK(sample_table().names() ==
        std::vector<std::string>{"delay", "share", "count", "mode", "server", "peers"});
}

TEST_CASE("a parameter table reads values, and defaults for those left out", "[faults][params]") {
  Diagnostics diags{"t.yaml"};
  const Sample given = read_sample(
      "  - { at: 1s, fault: latency, target: web1, params: { delay: 2s, share: 50%, count: +7, mode: fast, "
      "server: web2, peers: web1 } }\n",
      diags);
  INFO(diags.format());
  CHECK_FALSE(diags.has_errors());
  CHECK(given.delay == Duration(2s));
  CHECK(given.share == 0.5);
  CHECK(given.count == 7);
  CHECK(given.mode == "fast");
  CHECK(given.server == "web2");
  CHECK(given.peers == std::vector<std::string>{"web1"});

  const Sample defaults =
      read_sample("  - { at: 1s, fault: latency, target: web1, params: { delay: 5ms } }\n", diags);
  CHECK_FALSE(diags.has_errors());
  CHECK(defaults.share == 0.25);
  CHECK(defaults.count == 3);
  CHECK(defaults.mode == "slow");
  CHECK_FALSE(defaults.server.has_value());
  CHECK_FALSE(defaults.peers.has_value());
}

TEST_CASE("a parameter table reports what it cannot read, worded for parameters", "[faults][params]") {
  Diagnostics diags{"t.yaml"};
  const Sample bad = read_sample(
      "  - { at: 1s, fault: latency, target: web1, params: { share: 5, count: 11, mode: fsat, peers: [a, "
      "[b]] } "
      "}\n",
      diags);
  const std::string text = diags.format();
  CHECK_THAT(text, Catch::Matchers::Contains("t.yaml:12:5: error: fault 'sample' needs parameter 'delay'"));
  CHECK_THAT(text,
             Catch::Matchers::Contains(
                 "t.yaml:12:62: error: parameter 'share' must be a percentage from 0% to 100%, not '5'"));
  CHECK_THAT(text, Catch::Matchers::Contains("t.yaml:12:72: error: parameter 'count' is 11, outside 1..10"));
  CHECK_THAT(text, Catch::Matchers::Contains("t.yaml:12:82: error: parameter 'mode' cannot be 'fsat'"));
  CHECK_THAT(text, Catch::Matchers::Contains("hint: did you mean 'fast'?"));
  // A list item that is not a name is pointed at itself (col 99), not at the
  // list (col 95) as before the reader was shared.
  CHECK_THAT(text,
             Catch::Matchers::Contains("t.yaml:12:99: error: parameter 'peers' must be a list of names"));
  // What could not be read is left empty, never defaulted.
  CHECK_FALSE(bad.delay.has_value());
  CHECK_FALSE(bad.share.has_value());
  CHECK_FALSE(bad.count.has_value());
  CHECK_FALSE(bad.mode.has_value());
  CHECK_FALSE(bad.peers.has_value());
}

// Before the fault parameters were read from the loader's tree, an empty
// value was reported where yaml-cpp marks it (the start of the next line,
// here 17:7), and a key given twice was taken silently at its first value.
TEST_CASE("fault parameters: an empty value is reported at its key, a key given twice is refused",
          "[faults][params][bad-config]") {
  using faultline::faults::testing::BoundMethod;
  const BoundMethod empty(
      "  - at: 1s\n"
      "    fault: latency\n"
      "    target: web1\n"
      "    params:\n"
      "      delay:\n"
      "      jitter: 1ms\n");
  CHECK_THAT(empty.diags.format(),
             Catch::Matchers::Contains("t.yaml:16:7: error: parameter 'delay' must be a single value"));

  const BoundMethod twice(
      "  - { at: 1s, fault: lb_weight, target: lb, params: { server: web1, weight: 3, weight: 4 } }\n");
  CHECK(twice.faults.empty());
  CHECK_THAT(twice.diags.format(),
             Catch::Matchers::Contains("t.yaml:12:80: error: parameter 'weight' is given twice"));
}
