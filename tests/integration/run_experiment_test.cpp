// End-to-end: the real faultline binary brings up HAProxy + 3 nginx in
// namespaces, drives load, skews the weights, and must see the skew in the
// measured shares, judge the breach inside the fault window, and leave
// nothing behind.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "journal_helpers.h"
#include "tests/skip.h"

namespace fs = std::filesystem;
using namespace faultline::testing;

namespace {

const std::string kExperiment = std::string(FAULTLINE_TEST_DATA) + "/experiments/integration_weight.yaml";

}  // namespace

TEST_CASE("a weight skew run breaches inside the fault window, matches the weights and leaves nothing behind",
          "[integration][run]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const std::string out = fresh_out_dir("weight_skew");
  INFO("reports and log in " << out);
  const json j = run_to_journal(kExperiment, out, {}, std::chrono::seconds(120));
  REQUIRE(j["expectation_met"] == true);  // expect: breach, and it was met

  const auto& fault = j["activities"][0];
  const double injected = fault["injected_s"].get<double>();
  const double reverted = fault["reverted_s"].get<double>();
  CHECK(injected == Approx(3.0).margin(0.2));
  CHECK(reverted == Approx(6.0).margin(0.2));

  // The balance objective breaches, and only while the fault is active
  // (allowing the window that straddles each edge).
  const double window = j["slo"]["window_s"].get<double>();
  json balance;
  for (const auto& o : j["slo"]["objectives"]) {
    if (o["name"] == "balance") {
      balance = o;
    }
  }
  REQUIRE(balance["breached"] == true);
  for (const auto& b : balance["breaches"]) {
    CHECK(b["start_s"].get<double>() >= injected - window);
    CHECK(b["end_s"].get<double>() <= reverted + window);
  }
  // Availability holds throughout: a weight change drops no request.
  for (const auto& o : j["slo"]["objectives"]) {
    if (o["name"] == "availability") {
      CHECK(o["breached"] == false);
    }
  }

  // Shares: even before, 8:1:1 during, even again after.
  const json& during = journal_phase(j, "fault")["backends"];
  const json& before = journal_phase(j, "baseline")["backends"];
  const json& after = journal_phase(j, "recovery")["backends"];
  CHECK(backend_share(during, "web1") == Approx(0.8).margin(0.05));
  CHECK(backend_share(during, "web2") == Approx(0.1).margin(0.04));
  CHECK(backend_share(during, "web3") == Approx(0.1).margin(0.04));
  for (const auto* phase : {&before, &after}) {
    for (const char* web : {"web1", "web2", "web3"}) {
      CHECK(backend_share(*phase, web) == Approx(1.0 / 3).margin(0.05));
    }
  }
  CHECK(j["analysis"]["time_to_detect_s"].get<double>() <= 1.0);
  CHECK_FALSE(j["analysis"]["time_to_recover_s"].is_null());

  // The postmortem is written and carries the measured figures.
  const std::string md = read_file(out + "/postmortem.md");
  CHECK(md.find("## Issue Summary") != std::string::npos);
  CHECK(md.find("## Timeline") != std::string::npos);
  CHECK(md.find("## Root Cause and Resolution") != std::string::npos);
  CHECK(md.find("## Action Items") != std::string::npos);
  CHECK(md.find("## Supporting Information") != std::string::npos);
  CHECK(md.find("operator note from the method") != std::string::npos);

  CHECK(leftovers(j["run_id"].get<std::string>()).empty());
}

TEST_CASE("a run whose expectation is not met exits 1 and says so", "[integration][run]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const std::string out = fresh_out_dir("expect_hold");
  INFO("reports and log in " << out);
  // The same weight skew, but expected to hold: the balance breach must
  // make the run fail.
  const int code = run({FAULTLINE_BINARY, "run", kExperiment, "--out", out, "--set", "expect=hold", "--set",
                        "load.duration=6s"},
                       out + "/faultline.log");
  const std::string log = read_file(out + "/faultline.log");
  INFO("log:\n" << log);
  CHECK(code == 1);
  CHECK(log.find("expect hold: NOT MET") != std::string::npos);
  const json j = json::parse(read_file(out + "/journal.json"));
  CHECK(j["status"] == "completed");
  CHECK(j["expectation_met"] == false);
  CHECK(j["load"]["duration_s"].get<double>() == Approx(6.0));
  CHECK(leftovers(j["run_id"].get<std::string>()).empty());
}

TEST_CASE("a run stopped by SIGINT or SIGTERM mid-fault reverts, tears down and says why",
          "[integration][signals]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const int sig = GENERATE(SIGINT, SIGTERM);
  const std::string out = fresh_out_dir(sig == SIGINT ? "sigint" : "sigterm");
  INFO("reports and log in " << out);
  const pid_t pid = start_run(kExperiment, out);
  CHECK(wait_for_fault_in_force(out + "/faultline.log"));
  const json j = stop_run(pid, out, sig);
  CHECK(leftovers(j["run_id"].get<std::string>()).empty());
}

TEST_CASE("validate reports every problem of a bad file with positions and exits 2", "[integration][cli]") {
  const std::string out = fresh_out_dir("validate_bad");
  const std::string bad = std::string(FAULTLINE_TEST_DATA) + "/experiments/bad_fault_params.yaml";
  const int code = run({FAULTLINE_BINARY, "validate", bad}, out + "/log");
  const std::string log = read_file(out + "/log");
  INFO(log);
  CHECK(code == 2);
  CHECK(log.find("bad_fault_params.yaml:28:12: error: unknown fault 'lb_wieght'") != std::string::npos);
  CHECK(log.find("did you mean 'lb_weight'?") != std::string::npos);
  CHECK(log.find("bad_fault_params.yaml:34:23: error: 'web9' is not a backend of lb") != std::string::npos);
  CHECK(log.find("bad_fault_params.yaml:34:37: error: parameter 'weight' is 300, outside 0..256") !=
        std::string::npos);
  CHECK(log.find("bad_fault_params.yaml:25:14: error: in SLO expression: unknown metric 'eror_rate'") !=
        std::string::npos);
}

TEST_CASE("validate accepts the shipped experiments", "[integration][cli]") {
  const std::string out = fresh_out_dir("validate_shipped");
  for (const auto& entry :
       fs::recursive_directory_iterator(std::string(FAULTLINE_SOURCE_DIR) + "/experiments")) {
    if (entry.path().extension() != ".yaml") {
      continue;
    }
    const int code = run({FAULTLINE_BINARY, "validate", entry.path().string()}, out + "/log");
    INFO(entry.path() << "\n" << read_file(out + "/log"));
    CHECK(code == 0);
  }
}

TEST_CASE("run checks --template before anything starts", "[integration][cli]") {
  const std::string out = fresh_out_dir("run_template_check");
  const std::string tpl = out + "/ours.mustache";
  std::ofstream(tpl) << "# {{title}}\n";
  struct Case {
    std::string spec;
    std::string says;
  };
  for (const Case& c : {Case{"md=" + out + "/missing.mustache", "no such file"},
                        Case{"json=" + tpl, "expected FORMAT=FILE with a format that has a template ("},
                        Case{"pdf=" + tpl, "expected FORMAT=FILE"}, Case{"md", "expected FORMAT=FILE"}}) {
    const int code =
        run({FAULTLINE_BINARY, "run", kExperiment, "--out", out, "--template", c.spec}, out + "/log");
    const std::string log = read_file(out + "/log");
    INFO(c.spec << "\n" << log);
    CHECK(code == 2);
    CHECK(log.find(c.says) != std::string::npos);
    // Nothing ran: no stack, no reports.
    CHECK_FALSE(fs::exists(out + "/journal.json"));
  }
}

TEST_CASE("report renders every format from a journal, and a team's own template", "[integration][cli]") {
  const std::string out = fresh_out_dir("report_formats");
  const std::string journal = std::string(FAULTLINE_TEST_DATA) + "/journals/weight_skew.json";
  for (const char* format : {"md", "html", "json", "junit"}) {
    const std::string file = out + "/report." + format;
    CHECK(run({FAULTLINE_BINARY, "report", journal, "--format", format, "-o", file}, out + "/log") == 0);
    CHECK(fs::file_size(file) > 500);
  }
  const std::string tpl = out + "/ours.mustache";
  std::ofstream(tpl) << "Incident {{title}} ({{run_id}})\n";
  CHECK(run({FAULTLINE_BINARY, "report", journal, "--template", tpl, "-o", out + "/ours.md"}, out + "/log") ==
        0);
  CHECK(read_file(out + "/ours.md") == "Incident Integration - weight skew 8:1:1 on HAProxy (c49950)\n");
  CHECK(run({FAULTLINE_BINARY, "report", journal, "--format", "pdf"}, out + "/log") == 2);
  CHECK(read_file(out + "/log").find("valid formats") != std::string::npos);
}
