// Two experiments at the same time, one behind HAProxy and one behind nginx,
// each with its own latency and its own heavy server: both complete, each
// measures only its own faults, their stacks get distinct run ids, subnets
// and names, and a third run SIGKILLed beside them is cleaned up by
// `faultline cleanup` without touching the two live ones.

#include <signal.h>

#include <catch2/catch.hpp>

#include "journal_helpers.h"
#include "machine_state.h"
#include "tests/skip.h"

using namespace faultline::testing;

namespace {

std::string reliability_experiment(const std::string& name) {
  return std::string(FAULTLINE_TEST_DATA) + "/experiments/reliability/" + name + ".yaml";
}

struct Expected {
  double delay_ms;
  std::string heavy;  // the server weighted 9 to 1
};

void check_own_figures(const json& j, const Expected& e) {
  INFO("run " << j["run_id"] << ", subnet " << j["stack"]["subnet"]);
  CHECK(j["status"] == "completed");
  for (const auto& a : j["activities"]) {
    INFO(a.dump());
    CHECK(a["status"] == "reverted");
    CHECK(a["error"].is_null());
  }
  const double base = journal_phase(j, "baseline")["p50_ms"].get<double>();
  const double during = journal_phase(j, "fault", 0)["p50_ms"].get<double>();
  const double after = journal_phase(j, "recovery")["p50_ms"].get<double>();
  INFO("p50 baseline " << base << " ms, during " << during << " ms, after " << after << " ms");
  // Its own delay, not the other run's (100 vs 30 ms), nor their sum.
  CHECK(during - base == Approx(e.delay_ms).margin(15.0));
  CHECK(std::abs(after - base) <= 5.0);
  const double injected = j["activities"][1]["injected_s"].get<double>();
  const double reverted = j["activities"][1]["reverted_s"].get<double>();
  const auto sum = windows_between(j, injected + 0.5, reverted);
  INFO("backends while weighted: " << sum.backends.dump());
  CHECK(backend_share(sum.backends, e.heavy) == Approx(0.9).margin(0.05));
}

}  // namespace

TEST_CASE("two experiments run at the same time, each correct and isolated, and cleanup spares live runs",
          "[integration][concurrent]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const MachineState baseline = machine_state();
  const std::string out_a = fresh_out_dir("concurrent/a");
  const std::string out_b = fresh_out_dir("concurrent/b");
  const std::string out_c = fresh_out_dir("concurrent/killed");
  const pid_t a = start_run(reliability_experiment("concurrent_a"), out_a);
  const pid_t b = start_run(reliability_experiment("concurrent_b"), out_b);
  // Long enough to be alive when A's and B's faults are in.
  const pid_t c = start_run(reliability_experiment("kill_storm"), out_c, {"--set", "load.duration=30s"});

  // While A and B hold their faults, C dies by SIGKILL and cleanup runs.
  const bool a_in = wait_for_text(out_a + "/faultline.log", "injected lb_weight", std::chrono::seconds(20));
  const bool b_in = wait_for_text(out_b + "/faultline.log", "injected lb_weight", std::chrono::seconds(20));
  const std::string id_a = run_id_from_log(out_a + "/faultline.log");
  const std::string id_b = run_id_from_log(out_b + "/faultline.log");
  const std::string id_c = run_id_from_log(out_c + "/faultline.log");
  const MachineState during = added_since(baseline, machine_state());
  kill(c, SIGKILL);
  const int c_code = wait_for(c, std::chrono::seconds(10));
  const int cleanup_code =
      run({FAULTLINE_BINARY, "cleanup"}, out_c + "/cleanup.log", std::chrono::seconds(30));
  const std::string cleanup_log = read_file(out_c + "/cleanup.log");

  const int a_code = wait_for(a, std::chrono::seconds(60));
  const int b_code = wait_for(b, std::chrono::seconds(60));
  INFO("A log:\n"
       << read_file(out_a + "/faultline.log") << "\nB log:\n"
       << read_file(out_b + "/faultline.log"));
  REQUIRE(a_in);
  REQUIRE(b_in);
  REQUIRE(id_a.size() == 6);
  REQUIRE(id_b.size() == 6);
  REQUIRE(id_c.size() == 6);
  CHECK(id_a != id_b);

  // Both stacks and the killed one were up at once, each under its own id.
  INFO("faultline resources while A, B and C ran:\n" << describe(during));
  for (const auto& id : {id_a, id_b, id_c}) {
    size_t own = 0;
    for (const auto& ns : during.at("namespaces")) {
      own += ns.find("-" + id + "-") != std::string::npos ? 1 : 0;
    }
    CHECK(own >= 3);
  }

  CHECK(c_code == 128 + SIGKILL);
  INFO("cleanup:\n" << cleanup_log);
  CHECK(cleanup_code == 0);
  CHECK(cleanup_log.find(id_c) != std::string::npos);
  CHECK(cleanup_log.find(id_a) == std::string::npos);
  CHECK(cleanup_log.find(id_b) == std::string::npos);

  // breach: each one's own latency objective failed during its own fault.
  CHECK(a_code == 0);
  CHECK(b_code == 0);
  const json ja = json::parse(read_file(out_a + "/journal.json"));
  const json jb = json::parse(read_file(out_b + "/journal.json"));
  CHECK(ja["stack"]["subnet"] != jb["stack"]["subnet"]);
  check_own_figures(ja, {100.0, "web1"});
  check_own_figures(jb, {30.0, "web2"});

  const MachineState left = added_since(baseline, machine_state());
  INFO("left behind:\n" << describe(left));
  CHECK(total(left) == 0);
}
