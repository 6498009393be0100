// validate warns when the load after the last revert is too short to judge
// recovery (verify::kRecoveryHoldingWindows holding windows), at
// load.duration; and, for a drill, when a fault is never reverted before
// the load ends. Warnings leave the experiment valid; validate and run
// print them.

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "harness/runner/validate.h"
#include "harness/verify/verdict.h"
#include "tests/cli_capture.h"

namespace {

using faultline::testing::CapturedOutput;
using faultline::testing::faultline_main;

namespace fs = std::filesystem;
using faultline::experiment::Diagnostics;
using faultline::experiment::Severity;
using faultline::verify::kRecoveryHoldingWindows;

struct Spec {
  std::string duration = "15s";
  std::string window = "1s";
  std::string expect = "hold";
  bool objectives = true;
  std::string method;  // steps, from line 17 on
};

// load.duration is on line 11, its value at column 13.
std::string write_experiment(const std::string& name, const Spec& spec) {
  const std::string dir = std::string(FAULTLINE_BINARY_DIR).append("/test-output/validate_tail");
  fs::create_directories(dir);
  const std::string path = dir + "/" + name + ".yaml";
  std::ofstream(path) << "version: 1\n"
                         "title: t\n"
                         "stack:\n"
                         "  services:\n"
                         "    lb: { kind: haproxy, backends: [web1, web2] }\n"
                         "    web1: { kind: nginx }\n"
                         "    web2: { kind: nginx }\n"
                         "load:\n"
                         "  target: lb\n"
                         "  rate: 10/s\n"
                         "  duration: "
                      << spec.duration << "\nslo:\n  window: " << spec.window << "\n"
                      << (spec.objectives
                              ? "  objectives: [{ name: availability, expr: \"error_rate < 1%\" }]\n"
                              : "  steady_state: 0s\n")
                      << "expect: " << spec.expect << "\nmethod:\n"
                      << spec.method;
  return path;
}

const std::string kWeight = "lb_weight, target: lb, params: { server: web1, weight: 8 }";

struct Checked {
  bool valid = false;
  Diagnostics diags;
};

Checked validate(const std::string& path,
                 const std::vector<faultline::experiment::Override>& overrides = {}) {
  Checked c{false, Diagnostics(path)};
  c.valid = faultline::runner::validate(path, overrides, c.diags).has_value();
  return c;
}

}  // namespace

TEST_CASE("a load that ends too soon after the last revert is warned about at load.duration",
          "[runner][validate][recovery]") {
  Spec spec;
  spec.method = "  - { at: 3s, fault: " + kWeight + ", duration: 10s }\n";
  const auto c = validate(write_experiment("short", spec));
  INFO(c.diags.format());
  CHECK(c.valid);  // a warning only
  REQUIRE(c.diags.items().size() == 1);
  const auto& w = c.diags.items()[0];
  CHECK(w.severity == Severity::warning);
  CHECK(w.pos.line == 11);
  CHECK(w.pos.col == 13);
  // Revert at 13 s, load to 15 s: 2 s of the windows recovery needs.
  CHECK(w.message ==
        fmt::format("load ends 2 s after the last revert (t+13 s, fault 'lb_weight' on lb); judging "
                    "recovery needs {} windows of 1 s after it",
                    kRecoveryHoldingWindows));
  CHECK(w.hint == fmt::format("set load.duration to at least {} s, or end the faults by t+{} s",
                              13 + kRecoveryHoldingWindows, 15 - kRecoveryHoldingWindows));
  CHECK_THAT(c.diags.format(), Catch::Matchers::Contains("short.yaml:11:13: warning: load ends 2 s after"));
}

TEST_CASE("a load long enough after the last revert is not warned about", "[runner][validate][recovery]") {
  Spec spec;
  spec.duration = std::to_string(13 + kRecoveryHoldingWindows) + "s";
  spec.method = "  - { at: 3s, fault: " + kWeight + ", duration: 10s }\n";
  const auto c = validate(write_experiment("enough", spec));
  INFO(c.diags.format());
  CHECK(c.valid);
  CHECK(c.diags.items().empty());
}

TEST_CASE("the last revert is the latest end of any fault, and notes do not count",
          "[runner][validate][recovery]") {
  Spec spec;
  spec.window = "500ms";
  spec.duration = "9s";
  spec.method =
      "  - { at: 1s, fault: " + kWeight + ", duration: 7s }\n" +  // ends at 8 s
      "  - { at: 3s, fault: lb_maintenance, target: lb, params: { server: web2 }, duration: 2s }\n" +
      "  - { at: 8.5s, note: \"looks fine\" }\n";
  const auto c = validate(write_experiment("latest", spec));
  INFO(c.diags.format());
  CHECK(c.valid);
  REQUIRE(c.diags.items().size() == 1);
  CHECK(c.diags.items()[0].message ==
        fmt::format(
            "load ends 1 s after the last revert (t+8 s, fault 'lb_weight' on lb); judging recovery needs "
            "{} windows of 500 ms after it",
            kRecoveryHoldingWindows));
  CHECK_THAT(c.diags.items()[0].hint,
             Catch::Matchers::StartsWith(
                 fmt::format("set load.duration to at least {:g} s", 8 + 0.5 * kRecoveryHoldingWindows)));
}

TEST_CASE("a drill whose fault lasts to the end cannot show recovery: warned at the step",
          "[runner][validate][recovery]") {
  Spec spec;
  spec.expect = "breach";
  spec.method = "  - { at: 3s, fault: " + kWeight + " }\n";
  const auto c = validate(write_experiment("no_duration_breach", spec));
  INFO(c.diags.format());
  CHECK(c.valid);
  REQUIRE(c.diags.items().size() == 1);
  const auto& w = c.diags.items()[0];
  CHECK(w.severity == Severity::warning);
  CHECK(w.pos.line == 17);
  CHECK(w.pos.col == 5);
  CHECK(w.message ==
        fmt::format("recovery cannot be observed: fault 'lb_weight' on lb has no duration, so it is "
                    "reverted only when the load ends; judging recovery needs {} windows of 1 s "
                    "after it",
                    kRecoveryHoldingWindows));
  // 15 s of load from t+3 s, less the windows after the revert.
  CHECK(w.hint ==
        fmt::format("give the step a duration of at most {} s (then the load runs {} s after the revert)",
                    12 - kRecoveryHoldingWindows, kRecoveryHoldingWindows));
}

TEST_CASE("a regression test may keep its fault to the end without a warning",
          "[runner][validate][recovery]") {
  Spec spec;
  spec.expect = "hold";
  spec.method =
      "  - { at: 3s, fault: " + kWeight + " }\n" +
      "  - { at: 4s, fault: lb_maintenance, target: lb, params: { server: web2 }, duration: 10s }\n";
  const auto c = validate(write_experiment("no_duration_hold", spec));
  INFO(c.diags.format());
  CHECK(c.valid);
  CHECK(c.diags.items().empty());
}

TEST_CASE("nothing to recover, nothing to warn about", "[runner][validate][recovery]") {
  Spec no_objectives;
  no_objectives.objectives = false;
  no_objectives.method = "  - { at: 3s, fault: " + kWeight + ", duration: 12s }\n";
  Spec no_faults;
  no_faults.method = "  - { at: 3s, note: \"just load\" }\n";
  for (const auto& [name, spec] :
       {std::pair{"no_objectives", no_objectives}, std::pair{"no_faults", no_faults}}) {
    const auto c = validate(write_experiment(name, spec));
    INFO(name << "\n" << c.diags.format());
    CHECK(c.valid);
    CHECK(c.diags.items().empty());
  }
}

TEST_CASE("a load.duration set with --set is warned about at the override", "[runner][validate][recovery]") {
  Spec spec;
  spec.duration = "30s";
  spec.method = "  - { at: 3s, fault: " + kWeight + ", duration: 10s }\n";
  const auto c = validate(write_experiment("override", spec), {{"load.duration", "14s"}});
  INFO(c.diags.format());
  CHECK(c.valid);
  CHECK_THAT(c.diags.format(), Catch::Matchers::StartsWith(
                                   "--set load.duration: warning: load ends 1 s after the last revert"));
}

TEST_CASE("a file with errors gets no recovery warning computed from defaults",
          "[runner][validate][recovery]") {
  Spec spec;
  spec.duration = "soon";
  spec.method = "  - { at: 3s, fault: " + kWeight + ", duration: 10s }\n";
  const auto c = validate(write_experiment("bad_duration", spec));
  INFO(c.diags.format());
  CHECK_FALSE(c.valid);
  CHECK_FALSE(c.diags.has_warnings());
}

TEST_CASE("faultline validate prints the warning and still passes, and run prints it before anything else",
          "[runner][validate][recovery][cli]") {
  Spec spec;
  spec.method = "  - { at: 3s, fault: " + kWeight + ", duration: 10s }\n";
  const std::string path = write_experiment("cli", spec);
  {
    CapturedOutput output;
    const int code = faultline_main({"faultline", "validate", path});
    INFO(output.err() << output.out());
    CHECK(code == 0);
    CHECK_THAT(output.err(),
               Catch::Matchers::StartsWith(path + ":11:13: warning: load ends 2 s after the last "
                                                  "revert (t+13 s, fault 'lb_weight' on lb)"));
    CHECK_THAT(output.out(), Catch::Matchers::EndsWith("expect hold), 1 warning\n"));
  }
  {
    // A --template that cannot be used stops `run` right after validation,
    // before anything is made: the warning is out by then.
    CapturedOutput output;
    const int code = faultline_main({"faultline", "run", path, "--template", "no-such-format=x"});
    INFO(output.err());
    CHECK(code == 2);
    const auto warning = output.err().find(path + ":11:13: warning: load ends 2 s after the last revert");
    const auto refusal = output.err().find("--template 'no-such-format=x'");
    CHECK(warning != std::string::npos);
    CHECK(refusal != std::string::npos);
    CHECK(warning < refusal);
  }
}
