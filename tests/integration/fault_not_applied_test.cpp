// An lb_config fragment that `haproxy -c` rejects used to pass a regression
// test: the inject failed and was rolled back, yet `expect: hold` exited 0,
// JUnit was green and the postmortem read "Regression test passed", with
// "the fault active for 36 ms". Now `faultline validate` and `run` refuse
// the fragment before anything starts, naming its line in the experiment;
// and a fault that fails at inject time anyway makes the run not proven.

#include <catch2/catch.hpp>
#include <filesystem>

#include "harness/runner/journal.h"
#include "harness/runner/runner.h"
#include "journal_helpers.h"
#include "reporters/reporter.h"
#include "tests/skip.h"

using namespace faultline::testing;
namespace runner = faultline::runner;
namespace journal = faultline::journal;
namespace fs = std::filesystem;

namespace {

const std::string kExperiment = fault_experiment("lb_config_rejected");

std::string render(const char* format, const json& journal) {
  const auto* reporter = faultline::reporters::ReporterRegistry::instance().find(format);
  REQUIRE(reporter != nullptr);
  return reporter->render(journal, "");
}

}  // namespace

TEST_CASE("a rejected lb_config fragment is refused before the run, with its line in the experiment",
          "[integration][not-applied]") {
  const std::string out = fresh_out_dir("not_applied/refused");
  fs::create_directories(out);
  const int code = run({FAULTLINE_BINARY, "run", kExperiment, "--out", out + "/reports"}, out + "/faultline.log",
                       std::chrono::seconds(30));
  const std::string log = read_file(out + "/faultline.log");
  INFO(log);
  CHECK(code == 2);
  CHECK(log.find("lb_config_rejected.yaml:41:9: error: haproxy -c rejects this line") != std::string::npos);
  // Refused before anything was made: not even the output folder.
  CHECK_FALSE(fs::exists(out + "/reports"));
}

TEST_CASE("a fault whose inject fails at run time makes the run not proven", "[integration][not-applied]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  faultline::experiment::Diagnostics diags(kExperiment);
  runner::ValidateOptions options;
  options.check_faults_before_run = false;  // let the rejected fragment reach inject()
  auto v = runner::validate(kExperiment, {}, diags, options);
  INFO(diags.format());
  REQUIRE(v.has_value());

  const std::string out = fresh_out_dir("not_applied/run");
  runner::RunOptions ropts;
  ropts.out_dir = out;
  ropts.live_progress = false;
  const auto record = runner::run_experiment(*v, ropts);
  const json j = journal::to_json(runner::make_journal(*v, record));
  INFO(j["error"].dump());

  CHECK(record.status == runner::RunStatus::not_proven);
  CHECK(runner::exit_code(record, *v) == 3);
  CHECK(j["verdict"]["outcome"] == "not_proven");
  CHECK(j["expectation_met"] == false);
  CHECK(j["activities"][0]["status"] == "inject_failed");
  CHECK(j["activities"][0]["injected_s"].is_null());
  CHECK_THAT(j["activities"][0]["error"].get<std::string>(), Catch::Contains("balancee"));
  // The rolled-back fault left no phase of its own.
  for (const auto& p : j["phases"]) {
    CHECK(p["kind"] != "fault");
  }
  const std::string md = render("md", j);
  CHECK_THAT(md, Catch::StartsWith("# Run not proven: no verdict"));
  CHECK_THAT(md, !Catch::Contains("Regression test passed"));
  CHECK_THAT(md, Catch::Contains("did not apply"));
  const std::string xml = render("junit", j);
  CHECK_THAT(xml, Catch::Contains("type=\"NotProven\""));
  CHECK(leftovers(record.run_id).empty());
}
